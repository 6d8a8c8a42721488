#include "gateway/gateway.hpp"

#include "common/log.hpp"
#include "gateway/api_error.hpp"
#include "gateway/gateway_exchange.hpp"
#include "gateway/request_ids.hpp"
#include "schema/all_services.hpp"

namespace kai::gateway {
namespace {

constexpr std::string_view kOpenApiPath = "/api/v1/openapi.json";
constexpr std::string_view kAuditPath = "/api/v1/audit";
constexpr std::string_view kAuditCsvPath = "/api/v1/audit.csv";

bool starts_with_segment(std::string_view path, std::string_view prefix) {
  return path.substr(0, prefix.size()) == prefix &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}

}  // namespace

Gateway::Gateway(const GatewayOptions& options, GatewayParts parts)
    : options_(options),
      parts_(std::move(parts)),
      routes_(schema::all_services()),
      limiter_(options.rate_limit, options.rate_burst),
      executor_(std::make_unique<BlockingExecutor>(2, 1024)) {
  for (const Route& r : routes_.routes()) {
    route_metrics_[&r] = &metrics_.route(r.template_path, r.method);
  }
  openapi_metrics_ = &metrics_.route(kOpenApiPath, "GET");
  docs_metrics_ = &metrics_.route(kDocsPath, "GET");
  docs_asset_metrics_ = &metrics_.route(std::string(kDocsPath) + "/{asset}", "GET");
  audit_metrics_ = &metrics_.route(kAuditPath, "GET");
  audit_csv_metrics_ = &metrics_.route(kAuditCsvPath, "GET");
}

Gateway::~Gateway() = default;

void Gateway::handle(http::Request& req, http::Responder responder) {
  auto ex = std::make_shared<Exchange>();
  ex->responder = std::move(responder);
  ex->start = SteadyClock::now();
  ex->request_id = request_id_for(req);
  ex->trace_id = trace_id_for(req);
  ex->method = req.method;
  const std::string_view path = req.path;
  const bool get = req.method == "GET" || req.method == "HEAD";

  if (path == "/") {
    ex->metrics = &metrics_.unmatched(req.method);
    http::Response r = http::Response::text(302, "see /api/v1/docs\n");
    r.headers.push_back({"Location", std::string(kDocsPath)});
    ex->finish(std::move(r));
    return;
  }
  if (path == kOpenApiPath) {
    ex->metrics = openapi_metrics_;
    if (!get) {
      http::Response r = api_error(405, invalid_argument("use GET"), ex->request_id);
      r.headers.push_back({"Allow", "GET, HEAD"});
      ex->finish(std::move(r));
      return;
    }
    http::Response r = http::Response::json(200, parts_.openapi_json);
    r.headers.push_back({"Cache-Control", "no-cache"});
    ex->finish(std::move(r));
    return;
  }
  if (starts_with_segment(path, kDocsPath)) {
    const bool asset = path.size() > kDocsPath.size() + 1;
    ex->metrics = asset ? docs_asset_metrics_ : docs_metrics_;
    if (!get) {
      http::Response r = api_error(405, invalid_argument("use GET"), ex->request_id);
      r.headers.push_back({"Allow", "GET, HEAD"});
      ex->finish(std::move(r));
      return;
    }
    ex->finish(parts_.page->serve(path));
    return;
  }
  if (path == kAuditPath || path == kAuditCsvPath) {
    ex->metrics = path == kAuditPath ? audit_metrics_ : audit_csv_metrics_;
    if (req.method != "GET") {
      http::Response r = api_error(405, invalid_argument("use GET"), ex->request_id);
      r.headers.push_back({"Allow", "GET"});
      ex->finish(std::move(r));
      return;
    }
    handle_audit(req, std::move(ex), path == kAuditCsvPath);
    return;
  }

  RouteMatch m = routes_.match(req.method, path);
  if (m.route == nullptr) {
    ex->metrics = &metrics_.unmatched(req.method);
    const std::vector<std::string> allowed = routes_.methods_for(path);
    if (!allowed.empty()) {
      std::string allow;
      for (const std::string& a : allowed)
        allow += (allow.empty() ? "" : ", ") + a;
      http::Response r = api_error(
          405, invalid_argument("method " + req.method + " is not allowed here; use " + allow),
          ex->request_id);
      r.headers.push_back({"Allow", allow});
      ex->finish(std::move(r));
      return;
    }
    ex->finish(api_error(not_found("no route for " + req.method + " " + std::string(path) +
                                   "; see /api/v1/openapi.json"),
                         ex->request_id));
    return;
  }
  ex->metrics = route_metrics_[m.route];
  handle_bus_route(req, std::move(ex), m);
}

Principal Gateway::authenticate(const http::Request& req, Exchange& ex) {
  const std::optional<std::string_view> token = bearer_token(req);
  Principal who = token ? parts_.tokens->find(*token) : nullptr;
  if (who == nullptr) {
    metrics_.auth_failure(token ? "invalid" : "missing");
    http::Response r =
        api_error(unauthenticated(token ? "the bearer token is not valid"
                                        : "an Authorization: Bearer <token> header is required"),
                  ex.request_id);
    r.headers.push_back({"WWW-Authenticate", token ? R"(Bearer realm="kai", error="invalid_token")"
                                                   : R"(Bearer realm="kai")"});
    ex.finish(std::move(r));
    return nullptr;
  }
  if (const int wait_s = limiter_.acquire(who->hash, SteadyClock::now()); wait_s > 0) {
    metrics_.rate_limited();
    http::Response r = api_error(resource_exhausted("rate limit of this token exceeded; retry in " +
                                                    std::to_string(wait_s) + " s"),
                                 ex.request_id);
    r.headers.push_back({"Retry-After", std::to_string(wait_s)});
    ex.finish(std::move(r));
    return nullptr;
  }
  return who;
}

Status Gateway::check_scope(const auth::TokenEntry& who, std::string_view scope) {
  if (auth::has_scope(who, scope)) return Status::Ok();
  metrics_.auth_failure("forbidden");
  return permission_denied("this token lacks the scope " + std::string(scope));
}

}  // namespace kai::gateway
