// The gateway's settings (KAI_* / --flags, DESIGN.md §3 and §8) and the options they produce.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "bus/client.hpp"
#include "common/config.hpp"
#include "common/result.hpp"
#include "http/server.hpp"

namespace kai::gateway {

inline constexpr int kDefaultOpsPort = 9101;

// Every setting kai-gateway reads: its own, the bus client's and the process ones.
std::vector<SettingSpec> gateway_settings();

struct GatewayOptions {
  http::ServerOptions http;  // KAI_HTTP_ADDR, threads, limits and slow-client timeouts
  bus::ClientOptions bus;    // KAI_BROKER, CurveZMQ keys
  std::string ops_addr;      // KAI_OPS_ADDR
  std::string tokens_file;   // KAI_TOKENS_FILE (required)
  std::string data_dir;      // KAI_DATA_DIR: the audit database lives here
  std::string db_url;        // KAI_DB_URL: PostgreSQL instead of SQLite when set
  std::string api_page_dir;  // KAI_API_PAGE_DIR: swagger-ui-dist files
  std::chrono::milliseconds request_timeout{10000};  // per-request deadline on the bus
  std::chrono::milliseconds bus_attempt_timeout{0};  // resend after this (0: timeout / 3)
  double rate_limit = 50;   // requests per second per token (refill rate); 0 disables limiting
  double rate_burst = 100;  // bucket size
  std::size_t csv_max_rows = 10000;  // rows one CSV export of a list may follow cursors for
};

// Builds the options from a parsed Config holding gateway_settings(). invalid_argument naming
// the setting when a value is unusable (no tokens file, no broker).
Result<GatewayOptions> gateway_options_from(const Config& cfg);

}  // namespace kai::gateway
