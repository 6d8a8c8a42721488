// The commands of kaictl, each a CommandSpec (cli.hpp) built by one of these functions. Each
// lives in its own file: mmi_command.cpp, call_command.cpp, keygen_command.cpp, token_command.cpp.
#pragma once

#include "kaictl/cli.hpp"

namespace kai::kaictl {

// kaictl mmi SERVICE — 8/MMI mmi.service: prints 200 and exits 0 when the broker has a worker
// for SERVICE, prints 404 and exits 1 when it has none, exits 2 when the broker does not answer.
CommandSpec mmi_command();

// kaictl call SERVICE OP [JSON|-] — one bus request of a schema operation, JSON in and out
// (call_command.hpp).
CommandSpec call_command();

// kaictl keygen [--out PREFIX] — a new CurveZMQ key pair (keygen_command.hpp).
CommandSpec keygen_command();

// kaictl token create / kaictl token list — the gateway's tokens file (libs/auth).
CommandSpec token_create_command();
CommandSpec token_list_command();

// Settings shared by the commands that talk to the broker: broker, curve keys, timeout,
// log-level.
std::vector<SettingSpec> bus_command_settings();

}  // namespace kai::kaictl
