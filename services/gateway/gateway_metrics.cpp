#include "gateway/gateway_metrics.hpp"

#include "ops/metrics.hpp"

namespace kai::gateway {

RouteMetrics::RouteMetrics(std::string route, std::string method,
                           prometheus::Family<prometheus::Counter>& f,
                           prometheus::Histogram& duration)
    : route_(std::move(route)), method_(std::move(method)), family_(f), duration_(duration) {}

void RouteMetrics::observe(int status, double seconds) {
  duration_.Observe(seconds);
  if (status < 0 || status >= static_cast<int>(by_status_.size())) status = 0;
  std::atomic<prometheus::Counter*>& slot = by_status_[static_cast<std::size_t>(status)];
  prometheus::Counter* c = slot.load(std::memory_order_acquire);
  if (c == nullptr) {
    // Family::Add is thread-safe and returns the same child for the same labels.
    c = &family_.Add({{"route", route_}, {"method", method_}, {"status", std::to_string(status)}});
    slot.store(c, std::memory_order_release);
  }
  c->Increment();
}

GatewayMetrics::GatewayMetrics()
    : requests_(prometheus::BuildCounter()
                    .Name("kai_gateway_requests_total")
                    .Help("HTTP requests answered by the gateway, by route template, method and "
                          "status")
                    .Register(ops::registry())),
      durations_(prometheus::BuildHistogram()
                     .Name("kai_gateway_request_duration_seconds")
                     .Help("Time from a request's arrival to its answer, by route template")
                     .Register(ops::registry())),
      auth_failures_(prometheus::BuildCounter()
                         .Name("kai_gateway_auth_failures_total")
                         .Help("Requests refused by authentication or authorisation, by reason")
                         .Register(ops::registry())),
      rate_limited_(prometheus::BuildCounter()
                        .Name("kai_gateway_rate_limited_total")
                        .Help("Requests refused with 429 by the per-token rate limit")
                        .Register(ops::registry())
                        .Add({})),
      audit_records_(prometheus::BuildCounter()
                         .Name("kai_gateway_audit_records_total")
                         .Help("Writes recorded in the audit log")
                         .Register(ops::registry())
                         .Add({})) {
  for (const char* reason : {"missing", "invalid", "forbidden"}) {
    auth_failures_.Add({{"reason", reason}});
  }
}

RouteMetrics& GatewayMetrics::route(std::string_view route_template, std::string_view method) {
  std::string key = std::string(method) + " " + std::string(route_template);
  std::lock_guard lock(mu_);
  if (auto it = by_key_.find(key); it != by_key_.end()) return *it->second;
  prometheus::Histogram& h =
      durations_.Add({{"route", std::string(route_template)}}, ops::latency_buckets());
  storage_.emplace_back(std::string(route_template), std::string(method), requests_, h);
  by_key_.emplace(std::move(key), &storage_.back());
  return storage_.back();
}

RouteMetrics& GatewayMetrics::unmatched(std::string_view method) {
  static constexpr std::string_view kStandard[] = {"GET",    "HEAD",    "POST", "PUT",
                                                   "DELETE", "OPTIONS", "PATCH"};
  std::string_view label = "other";
  for (std::string_view m : kStandard) {
    if (m == method) label = m;
  }
  return route("unmatched", label);
}

void GatewayMetrics::auth_failure(std::string_view reason) {
  auth_failures_.Add({{"reason", std::string(reason)}}).Increment();
}

}  // namespace kai::gateway
