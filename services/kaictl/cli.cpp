#include "kaictl/cli.hpp"

#include <algorithm>
#include <exception>
#include <iostream>
#include <set>

#include "common/process.hpp"
#include "kaictl/commands.hpp"

namespace kai::kaictl {
namespace {

std::string command_name(const CommandSpec& c) {
  std::string name;
  for (const std::string& w : c.words) {
    if (!name.empty()) name.push_back(' ');
    name += w;
  }
  return name;
}

void print_general_help(std::ostream& os) {
  os << "kaictl — command line of the Kai Alliance platform\n\n"
        "Usage:\n";
  for (const CommandSpec& c : commands())
    os << "  " << c.usage << "\n";
  os << "\nCommands:\n";
  for (const CommandSpec& c : commands()) {
    std::string name = command_name(c);
    name.resize(std::max<std::size_t>(name.size() + 2, 15), ' ');
    os << "  " << name << c.summary << "\n";
  }
  os << "\nEvery setting is an environment variable and a flag (KAI_BROKER / --broker); the flag\n"
        "wins. 'kaictl COMMAND --help' lists a command's settings with their defaults.\n"
        "Exit codes: 0 success, 1 the command failed (error reply, not found, file error),\n"
        "2 bad usage (or, for mmi, no answer from the broker).\n";
}

// Every command's settings together, each name once: the first pass only needs to find the
// command words among the arguments, whichever flags surround them.
std::vector<SettingSpec> all_settings() {
  std::vector<SettingSpec> out;
  std::set<std::string> seen;
  for (const CommandSpec& c : commands()) {
    for (const SettingSpec& s : c.settings) {
      if (seen.insert(s.name).second) out.push_back(s);
    }
  }
  return out;
}

const CommandSpec* find_command(const std::vector<std::string>& positionals) {
  for (const CommandSpec& c : commands()) {
    if (positionals.size() >= c.words.size() &&
        std::equal(c.words.begin(), c.words.end(), positionals.begin())) {
      return &c;
    }
  }
  return nullptr;
}

int run_parsed(int argc, const char* const* argv, Io& io) {
  // Pass 1: which command? Flags of any command are accepted here; pass 2 checks them against
  // the command. When pass 1 fails (an unknown flag, a bad value of a setting the command may
  // not even use), the command words are taken as the leading non-flag arguments and pass 2
  // decides; the error is reported only when no command can be found.
  auto first = Config::parse(all_settings(), argc, argv, /*allow_positionals=*/true, io.env);
  std::vector<std::string> positionals;
  bool help = false;
  if (first.ok()) {
    positionals = first->positionals();
    help = first->help_requested();
  } else {
    for (int i = 1; i < argc; ++i) {
      const std::string_view a = argv[i];
      if (a == "--help" || a == "-h") help = true;
    }
    for (int i = 1; i < argc && !std::string_view(argv[i]).starts_with("-"); ++i) {
      positionals.emplace_back(argv[i]);
    }
  }
  if (positionals.empty()) {
    if (help) {
      print_general_help(io.out);
      return kExitOk;
    }
    if (!first.ok()) {
      io.err << "kaictl: " << first.status().message() << "\n";
      return kExitUsage;
    }
    print_general_help(io.err);
    return kExitUsage;
  }
  const CommandSpec* command = find_command(positionals);
  if (command == nullptr) {
    std::string what = positionals[0];
    if (positionals[0] == "token" && positionals.size() > 1) what += " " + positionals[1];
    io.err << "kaictl: unknown command '" << what << "'\n\n";
    print_general_help(io.err);
    return kExitUsage;
  }

  // Pass 2: the command's own settings only.
  auto cfg = Config::parse(command->settings, argc, argv, /*allow_positionals=*/true, io.env);
  if (!cfg.ok()) return usage_error(io, *command, cfg.status().message());
  if (cfg->help_requested()) {
    io.out << "Usage: " << command->usage << "\n\n"
           << cfg->help_text("kaictl " + command_name(*command), command->summary);
    return kExitOk;
  }
  if (cfg->has("log-level")) {
    if (Status s = init_logging(*cfg, "kaictl"); !s.ok()) {
      return usage_error(io, *command, s.message());
    }
  }
  const std::vector<std::string> args(
      cfg->positionals().begin() + static_cast<std::ptrdiff_t>(command->words.size()),
      cfg->positionals().end());
  if (args.size() < command->min_args) return usage_error(io, *command, "missing arguments");
  if (args.size() > command->max_args) {
    return usage_error(io, *command, "unexpected argument '" + args[command->max_args] + "'");
  }
  const Invocation inv{*cfg, args, io};
  return command->run(inv);
}

}  // namespace

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> kCommands = {
      mmi_command(), call_command(), keygen_command(), token_create_command(), token_list_command(),
  };
  return kCommands;
}

int usage_error(const Io& io, const CommandSpec& command, std::string_view message) {
  io.err << "kaictl: " << message << "\nusage: " << command.usage << "\n(see 'kaictl "
         << command_name(command) << " --help')\n";
  return kExitUsage;
}

int run(int argc, const char* const* argv, Io& io) {
  try {
    return run_parsed(argc, argv, io);
  } catch (const std::exception& e) {
    // Third-party code (ZeroMQ, the standard library) may throw; kaictl reports, never crashes.
    io.err << "kaictl: internal error: " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace kai::kaictl
