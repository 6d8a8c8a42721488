#include "common/config.hpp"

#include <cassert>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace kai {

std::string env_name_for(std::string_view setting) {
  std::string out = "KAI_";
  for (char c : setting) {
    out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

std::optional<std::int64_t> parse_int64(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_duration_ms(std::string_view s) {
  struct Unit {
    std::string_view suffix;
    std::int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  for (const Unit& u : kUnits) {
    if (s.size() > u.suffix.size() && s.ends_with(u.suffix)) {
      auto n = parse_int64(s.substr(0, s.size() - u.suffix.size()));
      if (!n || *n < 0 || *n > INT64_MAX / u.ms) return std::nullopt;
      return *n * u.ms;
    }
  }
  auto n = parse_int64(s);
  if (!n || *n < 0) return std::nullopt;
  return n;
}

std::optional<bool> parse_bool(std::string_view s) {
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off" || s.empty()) return false;
  return std::nullopt;
}

std::vector<std::string> split_list(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const std::size_t p = s.find(sep);
    std::string_view item = s.substr(0, p);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

namespace {

Status check_value(const SettingSpec& spec, const std::string& value) {
  const auto bad = [&](std::string why) {
    return invalid_argument(env_name_for(spec.name) + " / --" + spec.name + ": " + why, spec.name);
  };
  switch (spec.kind) {
    case SettingKind::string:
    case SettingKind::list:
      return Status::Ok();
    case SettingKind::boolean:
      if (!parse_bool(value)) return bad("expected true or false, got '" + value + "'");
      return Status::Ok();
    case SettingKind::integer: {
      auto v = parse_int64(value);
      if (!v) return bad("expected an integer, got '" + value + "'");
      if (*v < spec.min || *v > spec.max) {
        return bad("must be between " + std::to_string(spec.min) + " and " +
                   std::to_string(spec.max) + ", got " + value);
      }
      return Status::Ok();
    }
    case SettingKind::duration_ms: {
      auto v = parse_duration_ms(value);
      if (!v) return bad("expected a duration such as 250ms, 5s or 2m, got '" + value + "'");
      if (*v < spec.min || *v > spec.max) {
        return bad("must be between " + std::to_string(spec.min) + "ms and " +
                   std::to_string(spec.max) + "ms, got " + value);
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Config> Config::parse(std::vector<SettingSpec> specs, int argc, const char* const* argv,
                             bool allow_positionals, EnvLookup env) {
  if (!env) {
    env = [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      if (v == nullptr) return std::nullopt;
      return std::string(v);
    };
  }
  Config cfg;
  cfg.specs_ = std::move(specs);
  for (const SettingSpec& s : cfg.specs_) {
    auto from_env = env(env_name_for(s.name));
    cfg.values_[s.name] = from_env ? *from_env : s.default_value;
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      cfg.help_requested_ = true;
      continue;
    }
    if (arg == "--") {
      for (++i; i < argc; ++i)
        cfg.positionals_.emplace_back(argv[i]);
      break;
    }
    if (!arg.starts_with("--")) {
      if (!allow_positionals)
        return invalid_argument("unexpected argument '" + std::string(arg) + "'");
      cfg.positionals_.emplace_back(arg);
      continue;
    }
    arg.remove_prefix(2);
    std::string name(arg.substr(0, arg.find('=')));
    auto it = cfg.values_.find(name);
    if (it == cfg.values_.end()) {
      return invalid_argument("unknown flag --" + name + " (see --help)", name);
    }
    if (arg.find('=') != std::string_view::npos) {
      it->second = std::string(arg.substr(arg.find('=') + 1));
    } else if (cfg.spec(name).kind == SettingKind::boolean &&
               (i + 1 >= argc || !parse_bool(argv[i + 1]))) {
      it->second = "true";  // a bare boolean flag switches it on
    } else if (i + 1 < argc) {
      it->second = argv[++i];
    } else {
      return invalid_argument("flag --" + name + " needs a value", name);
    }
  }
  for (const SettingSpec& s : cfg.specs_) {
    KAI_RETURN_IF_ERROR(check_value(s, cfg.values_[s.name]));
  }
  return cfg;
}

Config Config::load_or_exit(std::string_view program, std::string_view summary,
                            std::vector<SettingSpec> specs, int argc, const char* const* argv,
                            bool allow_positionals) {
  auto cfg = parse(std::move(specs), argc, argv, allow_positionals);
  if (!cfg.ok()) {
    std::cerr << program << ": " << cfg.status().message() << "\n";
    std::exit(2);
  }
  if (cfg->help_requested()) {
    std::cout << cfg->help_text(program, summary);
    std::exit(0);
  }
  return std::move(cfg).value();
}

const SettingSpec& Config::spec(std::string_view name) const {
  for (const SettingSpec& s : specs_) {
    if (s.name == name) return s;
  }
  assert(false && "setting not declared");
  std::abort();
}

const std::string& Config::str(std::string_view name) const {
  auto it = values_.find(name);
  assert(it != values_.end() && "setting not declared");
  return it->second;
}

std::int64_t Config::integer(std::string_view name) const {
  assert(spec(name).kind == SettingKind::integer);
  return *parse_int64(str(name));
}

std::chrono::milliseconds Config::duration(std::string_view name) const {
  assert(spec(name).kind == SettingKind::duration_ms);
  return std::chrono::milliseconds(*parse_duration_ms(str(name)));
}

bool Config::boolean(std::string_view name) const {
  assert(spec(name).kind == SettingKind::boolean);
  return *parse_bool(str(name));
}

std::vector<std::string> Config::list(std::string_view name) const {
  return split_list(str(name));
}

std::string Config::help_text(std::string_view program, std::string_view summary) const {
  std::string out;
  out.append(program).append(" — ").append(summary).append("\n\n");
  out.append("Every setting is an environment variable and a flag; the flag wins.\n\n");
  for (const SettingSpec& s : specs_) {
    out.append("  ").append(env_name_for(s.name)).append(" / --").append(s.name).append("\n");
    out.append("      ").append(s.help).append("\n");
    out.append("      default: ");
    if (s.secret) {
      out.append(s.default_value.empty() ? "(empty)" : "(secret)");
    } else {
      out.append(s.default_value.empty() ? "(empty)" : s.default_value);
    }
    out.append("\n");
  }
  return out;
}

}  // namespace kai
