#include "common/process.hpp"

#include "common/log.hpp"

namespace kai {

std::vector<SettingSpec> process_settings(int default_ops_port) {
  return {
      {"log-level", "info", "minimum log level: debug, info, warn or error"},
      {"ops-addr", "0.0.0.0:" + std::to_string(default_ops_port),
       "ops HTTP address serving /metrics, /healthz and /readyz (port 0 = any free port)"},
  };
}

Status init_logging(const Config& cfg, std::string_view process) {
  auto level = log::level_from_name(cfg.str("log-level"));
  if (!level) {
    return invalid_argument("KAI_LOG_LEVEL must be debug, info, warn or error", "log-level");
  }
  log::init(process, *level);
  return Status::Ok();
}

}  // namespace kai
