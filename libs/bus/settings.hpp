// The bus settings every process shares, declared once so names, defaults and help stay the same
// everywhere (DESIGN.md §3).
#pragma once

#include <vector>

#include "bus/client.hpp"
#include "bus/curve.hpp"
#include "bus/worker.hpp"
#include "common/config.hpp"

namespace kai::bus {

// broker (list), curve-* keys.
std::vector<SettingSpec> client_settings();
// heartbeat-interval, heartbeat-liveness: must match the broker's.
std::vector<SettingSpec> heartbeat_settings();
// worker-slots, worker-credit, with these defaults (a program picks what suits its handlers).
struct WorkerDefaults {
  int slots = 16;
  int credit = 1;  // plain 7/MDP
};
std::vector<SettingSpec> worker_settings(WorkerDefaults defaults = {});
// events-pub, events-sub.
std::vector<SettingSpec> event_settings();

// Appends `more` to `specs` (helper for building a program's setting list).
void add_settings(std::vector<SettingSpec>& specs, std::vector<SettingSpec> more);

// Builders from a parsed Config (which must have declared the corresponding settings).
Result<ClientOptions> client_options_from(const Config& cfg);
Result<WorkerOptions> worker_options_from(const Config& cfg, std::string service);

}  // namespace kai::bus
