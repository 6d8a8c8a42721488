// kaictl's command line: the table of commands, how a command line is parsed into one of them,
// and the exit codes every command keeps to.
//
//   kaictl COMMAND [ARGS] [--flags]      flags may come before or after the command words
//
// Every setting is a KAI_* environment variable and a --flag (the flag wins), as everywhere in
// the platform (common/config.hpp). Each command declares only the settings it uses, so a flag
// that means nothing to it is refused rather than silently ignored.
//
// Output discipline: a command's result goes to Io::out (stdout), messages and errors to Io::err
// (stderr). The libraries' JSON log lines are sent to stderr by main(), so stdout can be piped.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"

namespace kai::kaictl {

// Exit codes.
inline constexpr int kExitOk = 0;
// The command ran and the answer is "no": an error reply or invalid input (call), service not
// found (mmi), a file that cannot be read or written (token).
inline constexpr int kExitFailed = 1;
// Bad usage (unknown command or flag, missing or extra arguments, bad setting values), or — for
// mmi — no answer from the broker.
inline constexpr int kExitUsage = 2;

// Where a command reads and writes; tests pass string streams and a fixed environment.
struct Io {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool in_is_terminal = false;  // no JSON argument and a terminal on stdin: call sends {}
  Config::EnvLookup env;        // empty: the process environment
};

// What a command gets to run with.
struct Invocation {
  const Config& cfg;
  const std::vector<std::string>& args;  // positionals after the command words
  Io& io;
};

struct CommandSpec {
  std::vector<std::string> words;  // {"mmi"}, {"token", "create"}
  std::string usage;               // "kaictl mmi SERVICE"
  std::string summary;             // one line for the command list
  std::size_t min_args = 0;
  std::size_t max_args = 0;
  std::vector<SettingSpec> settings;
  int (*run)(const Invocation&) = nullptr;
};

// Every command of kaictl, in the order the general help lists them.
const std::vector<CommandSpec>& commands();

// Parses argv, runs the chosen command and returns the process exit code. Never throws.
int run(int argc, const char* const* argv, Io& io);

// Prints "kaictl: <message>" and the command's usage to io.err; returns kExitUsage.
int usage_error(const Io& io, const CommandSpec& command, std::string_view message);

}  // namespace kai::kaictl
