// Runs kaictl's command line in-process for unit tests, with a fixed environment (nothing from
// the real one leaks in) and captured output.
#pragma once

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "kaictl/cli.hpp"

namespace kai::kaictl::testing {

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

inline RunResult run_kaictl(std::vector<std::string> args,
                            std::map<std::string, std::string> env = {},
                            const std::string& stdin_text = "", bool stdin_is_terminal = false) {
  std::vector<const char*> argv = {"kaictl"};
  for (const std::string& a : args)
    argv.push_back(a.c_str());
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  Io io{in, out, err, stdin_is_terminal,
        [env](const std::string& name) -> std::optional<std::string> {
          auto it = env.find(name);
          if (it == env.end()) return std::nullopt;
          return it->second;
        }};
  RunResult r;
  r.code = run(static_cast<int>(argv.size()), argv.data(), io);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace kai::kaictl::testing
