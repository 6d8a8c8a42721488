// The gateway's Prometheus series (names fixed for dashboards and alerts):
//   kai_gateway_requests_total{route,method,status}
//   kai_gateway_request_duration_seconds{route}        histogram, latency_buckets()
//   kai_gateway_auth_failures_total{reason}            missing | invalid | forbidden
//   kai_gateway_rate_limited_total
//   kai_gateway_audit_records_total
// `route` is a route template ("/api/v1/membership/organizations/{id}") or "unmatched", so the
// label set stays small whatever paths clients send.
//
// Thread safety: all methods may be called from any thread; the hot path takes no lock once a
// (route, method, status) series has been used.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

namespace kai::gateway {

class RouteMetrics {
 public:
  RouteMetrics(std::string route, std::string method, prometheus::Family<prometheus::Counter>& f,
               prometheus::Histogram& duration);
  void observe(int status, double seconds);

 private:
  std::string route_;
  std::string method_;
  prometheus::Family<prometheus::Counter>& family_;
  prometheus::Histogram& duration_;
  std::array<std::atomic<prometheus::Counter*>, 600> by_status_{};
};

class GatewayMetrics {
 public:
  GatewayMetrics();

  // The series of one route template and method; created on first use and kept forever.
  RouteMetrics& route(std::string_view route_template, std::string_view method);
  // For requests that matched no route: the method label is the method when it is a standard
  // one, else "other".
  RouteMetrics& unmatched(std::string_view method);

  void auth_failure(std::string_view reason);
  void rate_limited() { rate_limited_.Increment(); }
  void audit_recorded() { audit_records_.Increment(); }

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Counter>& auth_failures_;
  prometheus::Counter& rate_limited_;
  prometheus::Counter& audit_records_;

  std::mutex mu_;
  std::map<std::string, RouteMetrics*, std::less<>> by_key_;  // "METHOD route" -> series
  std::deque<RouteMetrics> storage_;                          // stable addresses
};

}  // namespace kai::gateway
