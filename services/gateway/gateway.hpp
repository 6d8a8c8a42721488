// The gateway's HTTP handler: the REST/JSON API over the bus (DESIGN.md §8).
//
//   /api/v1/<service>/...     every operation with an HTTP binding in proto-schemas/: bearer token
//                             (401), per-token rate limit (429), scope (403), JSON -> MessagePack
//                             validated against the schema (400 naming the field), the bus call
//                             with request id, trace id, principal, deadline and idempotency key,
//                             the reply as JSON (personal data masked without pii:read) or, for
//                             lists, CSV; every write of an authenticated caller recorded in
//                             the audit log with its outcome, refusals included (a rate-limited
//                             flood is counted in metrics instead, so it cannot flood the log)
//   /api/v1/audit[.csv]       the audit log (audit:read or admin), JSON or CSV
//   /api/v1/openapi.json      the OpenAPI 3 document
//   /api/v1/docs              the browsable API page
//
// handle() runs on the HTTP loops and never blocks: bus calls complete on the bus client's thread,
// audit writes on the store's writer, audit queries on the blocking executor.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "bus/client.hpp"
#include "gateway/api_page.hpp"
#include "gateway/audit_log.hpp"
#include "gateway/blocking_executor.hpp"
#include "gateway/gateway_metrics.hpp"
#include "gateway/gateway_settings.hpp"
#include "gateway/rate_limiter.hpp"
#include "gateway/route_table.hpp"
#include "gateway/token_store.hpp"
#include "http/server.hpp"

namespace kai::gateway {

struct GatewayParts {
  bus::Client* bus = nullptr;
  TokenStore* tokens = nullptr;
  AuditLog* audit = nullptr;
  const ApiPage* page = nullptr;
  std::string openapi_json;  // build_openapi_document()
};

class Gateway {
 public:
  // The parts must outlive the Gateway. Routes come from kai::schema::all_services().
  Gateway(const GatewayOptions& options, GatewayParts parts);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  void handle(http::Request& req, http::Responder responder);
  // Finishes the audit queries in flight and stops taking new ones (shutdown, after the HTTP
  // server stopped).
  void drain() { executor_.reset(); }

  const RouteTable& routes() const { return routes_; }

  struct Exchange;  // one request being answered (gateway_exchange.hpp)

 private:
  void handle_bus_route(http::Request& req, std::shared_ptr<Exchange> ex, const RouteMatch& m);
  void handle_audit(http::Request& req, std::shared_ptr<Exchange> ex, bool csv_only);
  // Bearer token (401) and rate limit (429); on failure answers and returns nullptr.
  Principal authenticate(const http::Request& req, Exchange& ex);
  // permission_denied (counted) unless `who` holds `scope`.
  Status check_scope(const auth::TokenEntry& who, std::string_view scope);
  void send_to_bus(std::shared_ptr<Exchange> ex, std::string payload);
  void on_reply(std::shared_ptr<Exchange> ex, bus::Reply&& reply);
  // Writes go through the audit log before their answer leaves.
  void finish_write(std::shared_ptr<Exchange> ex, http::Response resp, StatusCode outcome,
                    std::string target_id);

  GatewayOptions options_;
  GatewayParts parts_;
  RouteTable routes_;
  RateLimiter limiter_;
  GatewayMetrics metrics_;
  std::unique_ptr<BlockingExecutor> executor_;
  std::unordered_map<const Route*, RouteMetrics*> route_metrics_;
  RouteMetrics* openapi_metrics_;
  RouteMetrics* docs_metrics_;
  RouteMetrics* docs_asset_metrics_;
  RouteMetrics* audit_metrics_;
  RouteMetrics* audit_csv_metrics_;
};

}  // namespace kai::gateway
