// Settings and start-up every process of the platform shares: log level and the ops port.
#pragma once

#include <string_view>
#include <vector>

#include "common/config.hpp"

namespace kai {

// log-level (debug|info|warn|error) and ops-addr ("0.0.0.0:<default_ops_port>").
std::vector<SettingSpec> process_settings(int default_ops_port);

// Sets up JSON logging from log-level; invalid_argument for an unknown level.
Status init_logging(const Config& cfg, std::string_view process);

}  // namespace kai
