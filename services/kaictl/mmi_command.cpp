// kaictl mmi SERVICE (commands.hpp), and the settings every bus command shares.
#include <ostream>

#include <zmq.hpp>

#include "bus/client.hpp"
#include "bus/settings.hpp"
#include "kaictl/commands.hpp"

namespace kai::kaictl {
namespace {

int run_mmi(const Invocation& inv) {
  const std::string& service = inv.args[0];
  if (service.empty()) return usage_error(inv.io, mmi_command(), "SERVICE must not be empty");
  auto options = bus::client_options_from(inv.cfg);
  if (!options.ok()) return usage_error(inv.io, mmi_command(), options.status().message());
  const std::string brokers = inv.cfg.str("broker");

  Result<std::string> answer = std::string();
  try {
    zmq::context_t ctx(1);
    bus::Client client(ctx, std::move(options).value());
    answer = client.mmi("mmi.service", service, inv.cfg.duration("timeout"));
  } catch (const zmq::error_t& e) {
    // ZeroMQ refuses a malformed endpoint when the client connects.
    return usage_error(inv.io, mmi_command(),
                       "cannot use broker endpoint '" + brokers + "': " + e.what());
  }
  if (!answer.ok()) {
    inv.io.err << "kaictl: no answer from the broker at " << brokers << ": "
               << answer.status().message() << "\n";
    return kExitUsage;
  }
  inv.io.out << *answer << "\n";
  if (*answer == "200") return kExitOk;
  if (*answer == "404") {
    inv.io.err << "kaictl: the broker has no worker for service '" << service << "'\n";
    return kExitFailed;
  }
  inv.io.err << "kaictl: unexpected MMI answer '" << *answer << "'\n";
  return kExitUsage;
}

}  // namespace

std::vector<SettingSpec> bus_command_settings() {
  std::vector<SettingSpec> s = bus::client_settings();
  s.push_back(
      {"timeout", "5s", "how long to wait for the answer", SettingKind::duration_ms, 1, 3'600'000});
  // Library log lines go to stderr (see cli.hpp); only warnings and errors by default.
  s.push_back({"log-level", "warn", "minimum level of log lines: debug, info, warn or error"});
  return s;
}

CommandSpec mmi_command() {
  CommandSpec c;
  c.words = {"mmi"};
  c.usage = "kaictl mmi SERVICE [--broker tcp://127.0.0.1:5555] [--timeout 5s]";
  c.summary = "ask the broker whether SERVICE has a worker (prints 200 or 404)";
  c.min_args = 1;
  c.max_args = 1;
  c.settings = bus_command_settings();
  c.run = run_mmi;
  return c;
}

}  // namespace kai::kaictl
