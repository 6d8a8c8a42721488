// Process configuration. Every setting has a name ("broker-bind") and is read from the
// environment variable KAI_BROKER_BIND or the flag --broker-bind (flags win). Values are checked
// once at start-up against the declared kind and range, so a bad setting stops the process with a
// clear message instead of failing later. `--help` lists every setting with its default.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace kai {

enum class SettingKind : std::uint8_t {
  string,
  integer,      // decimal, within [min, max]
  duration_ms,  // "250ms", "5s", "2m", "1h" or a bare number of milliseconds, within [min, max]
  boolean,      // true/false/1/0/yes/no/on/off
  list,         // comma-separated, empty items dropped
};

struct SettingSpec {
  std::string name;  // lower-case words joined by '-'
  std::string default_value;
  std::string help;
  SettingKind kind = SettingKind::string;
  std::int64_t min = INT64_MIN;  // integer and duration_ms (in ms) only
  std::int64_t max = INT64_MAX;
  // Values that must never be printed (keys, passwords); --help and logs show "(secret)".
  bool secret = false;
};

// "broker-bind" -> "KAI_BROKER_BIND"
std::string env_name_for(std::string_view setting);

class Config {
 public:
  using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

  // Parses the environment and argv[1..]. Arguments that are not flags are kept as positionals
  // when `allow_positionals`, else rejected. Unknown flags are invalid_argument naming the flag.
  static Result<Config> parse(std::vector<SettingSpec> specs, int argc, const char* const* argv,
                              bool allow_positionals = false, EnvLookup env = {});

  // Parses, printing --help and exiting 0, or printing the error and exiting 2.
  static Config load_or_exit(std::string_view program, std::string_view summary,
                             std::vector<SettingSpec> specs, int argc, const char* const* argv,
                             bool allow_positionals = false);

  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }
  const std::string& str(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  std::chrono::milliseconds duration(std::string_view name) const;
  bool boolean(std::string_view name) const;
  std::vector<std::string> list(std::string_view name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  bool help_requested() const { return help_requested_; }

  // "Settings (environment variable / flag, default):" followed by one block per setting.
  std::string help_text(std::string_view program, std::string_view summary) const;

 private:
  const SettingSpec& spec(std::string_view name) const;

  std::vector<SettingSpec> specs_;
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positionals_;
  bool help_requested_ = false;
};

// Parsers shared by Config and by anything else that reads the same formats.
std::optional<std::int64_t> parse_int64(std::string_view s);
std::optional<std::int64_t> parse_duration_ms(std::string_view s);
std::optional<bool> parse_bool(std::string_view s);
std::vector<std::string> split_list(std::string_view s, char sep = ',');

}  // namespace kai
