#include "gateway/gateway_settings.hpp"

#include "bus/settings.hpp"
#include "common/process.hpp"

#ifndef KAI_GATEWAY_API_PAGE_DIR
#define KAI_GATEWAY_API_PAGE_DIR ""
#endif

namespace kai::gateway {

std::vector<SettingSpec> gateway_settings() {
  std::vector<SettingSpec> s = {
      {"http-addr", "0.0.0.0:8080", "address the REST/JSON API listens on"},
      {"http-threads", "2", "HTTP event-loop threads", SettingKind::integer, 1, 64},
      {"tokens-file", "", "bearer tokens file (kaictl token create); reloaded on SIGHUP"},
      {"data-dir", "./data/gateway", "folder of the gateway's own database (the audit log)"},
      {"db-url", "", "PostgreSQL URI for the audit log (empty: SQLite in the data dir)",
       SettingKind::string, INT64_MIN, INT64_MAX, true},
      {"api-page-dir", KAI_GATEWAY_API_PAGE_DIR,
       "folder holding swagger-ui-dist's files for the API page at /api/v1/docs"},
      {"request-timeout", "10s", "deadline of one API request on the bus", SettingKind::duration_ms,
       10, 600'000},
      {"bus-attempt-timeout", "0",
       "wait for a reply before resending on the bus (0: a third of "
       "the request timeout)",
       SettingKind::duration_ms, 0, 600'000},
      {"rate-limit", "50", "requests per second each token may make on average (0: unlimited)",
       SettingKind::integer, 0, 1'000'000},
      {"rate-burst", "100", "requests a token may make at once before rate-limit applies",
       SettingKind::integer, 1, 10'000'000},
      {"http-max-body", "1048576", "largest request body accepted, in bytes", SettingKind::integer,
       1024, 64 << 20},
      {"http-max-header-bytes", "16384", "largest request head (all header lines), in bytes",
       SettingKind::integer, 1024, 1 << 20},
      {"http-max-headers", "100", "most header fields in one request", SettingKind::integer, 8,
       10'000},
      {"http-header-timeout", "10s", "time a client has to send a whole request head",
       SettingKind::duration_ms, 100, 3'600'000},
      {"http-body-timeout", "30s", "time a client has to send a whole request body",
       SettingKind::duration_ms, 100, 3'600'000},
      {"http-idle-timeout", "60s", "how long an idle keep-alive connection is kept",
       SettingKind::duration_ms, 100, 3'600'000},
      {"http-max-connections", "10000", "open client connections beyond which new ones are closed",
       SettingKind::integer, 1, 1'000'000},
      {"csv-max-rows", "10000", "rows one CSV export of a list gathers (following cursors)",
       SettingKind::integer, 1, 1'000'000},
  };
  bus::add_settings(s, bus::client_settings());
  bus::add_settings(s, process_settings(kDefaultOpsPort));
  return s;
}

Result<GatewayOptions> gateway_options_from(const Config& cfg) {
  GatewayOptions o;
  o.http.name = "gateway";
  o.http.bind = cfg.str("http-addr");
  o.http.threads = static_cast<int>(cfg.integer("http-threads"));
  o.http.limits.max_body_bytes = static_cast<std::size_t>(cfg.integer("http-max-body"));
  o.http.limits.max_header_bytes = static_cast<std::size_t>(cfg.integer("http-max-header-bytes"));
  o.http.limits.max_headers = static_cast<std::size_t>(cfg.integer("http-max-headers"));
  o.http.header_timeout = cfg.duration("http-header-timeout");
  o.http.body_timeout = cfg.duration("http-body-timeout");
  o.http.idle_timeout = cfg.duration("http-idle-timeout");
  o.http.max_connections = static_cast<std::size_t>(cfg.integer("http-max-connections"));

  auto bus = bus::client_options_from(cfg);
  if (!bus.ok()) return bus.status();
  o.bus = std::move(bus).value();

  o.ops_addr = cfg.str("ops-addr");
  o.tokens_file = cfg.str("tokens-file");
  if (o.tokens_file.empty()) {
    return invalid_argument("KAI_TOKENS_FILE must name the bearer tokens file", "tokens-file");
  }
  o.data_dir = cfg.str("data-dir");
  if (o.data_dir.empty()) return invalid_argument("KAI_DATA_DIR must not be empty", "data-dir");
  o.db_url = cfg.str("db-url");
  o.api_page_dir = cfg.str("api-page-dir");
  o.request_timeout = cfg.duration("request-timeout");
  o.bus_attempt_timeout = cfg.duration("bus-attempt-timeout");
  o.rate_limit = static_cast<double>(cfg.integer("rate-limit"));
  o.rate_burst = static_cast<double>(cfg.integer("rate-burst"));
  o.csv_max_rows = static_cast<std::size_t>(cfg.integer("csv-max-rows"));
  return o;
}

}  // namespace kai::gateway
