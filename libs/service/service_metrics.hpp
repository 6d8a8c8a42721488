// The chassis' Prometheus series (names fixed by the platform's metric list):
//   kai_requests_total{service,op,code}         requests answered, by status code
//   kai_request_duration_seconds{service,op}    time from receipt to reply (histogram)
//   kai_requests_in_flight{service}             requests being served
//   kai_events_published_total{service,topic}   events relayed to the bus after commit
//   kai_events_applied_total{service,publisher} events of another service applied
//   kai_events_gaps_total{service,publisher}    gaps noticed (missed events fetched with
//   events.since) kai_events_replay_lag{service,publisher}    publisher's last known sequence −
//   last applied kai_data_dir_free_bytes{service}, kai_data_dir_size_bytes{service}  filesystem of
//   KAI_DATA_DIR
// plus the business gauges a service registers. Internal to libs/service; thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "common/result.hpp"
#include "common/status.hpp"
#include "schema/descriptor.hpp"
#include "service/registrar.hpp"

namespace kai::svc::detail {

// The op label used for requests naming an operation the service does not have (so that
// arbitrary names from the network cannot create series).
inline constexpr std::string_view kUnknownOpLabel = "(unknown)";

class ServiceMetrics {
 public:
  // Registers (or joins, when already registered in this process) the families and creates the
  // series of every operation of `schema`. Errors when prometheus-cpp refuses (a name clash).
  static Result<std::unique_ptr<ServiceMetrics>> create(const schema::ServiceDesc& schema);

  // The series of one operation. Counters per code are created on first use, so /metrics shows
  // only the codes an operation has answered.
  struct OpSeries {
    std::string name;
    prometheus::Histogram* duration = nullptr;
    std::array<std::atomic<prometheus::Counter*>, kStatusCodeCount> by_code{};
  };
  // The series of `op`, or those labelled kUnknownOpLabel.
  OpSeries& op(std::string_view name);
  // kai_requests_total{service,op,code} of `series`.
  prometheus::Counter& requests(OpSeries& series, StatusCode code);
  prometheus::Gauge& in_flight() { return *in_flight_; }

  prometheus::Counter& published(std::string_view topic);
  prometheus::Counter& applied(std::string_view publisher);
  prometheus::Counter& gaps(std::string_view publisher);
  prometheus::Gauge& replay_lag(std::string_view publisher);
  prometheus::Gauge& data_dir_free() { return *data_dir_free_; }
  prometheus::Gauge& data_dir_size() { return *data_dir_size_; }

  // Business gauges: registers the family `name` once (empty labels: one series).
  Status add_business_gauge(const std::string& name, const std::string& help);
  // Sets the series of business gauge `name` to exactly `samples`: series missing from it are
  // removed.
  void set_business_gauge(const std::string& name, const std::vector<GaugeSample>& samples);

 private:
  explicit ServiceMetrics(std::string service) : service_(std::move(service)) {}
  void add_op(std::string_view name);
  prometheus::Counter& counter_for(prometheus::Family<prometheus::Counter>& family,
                                   std::map<std::string, prometheus::Counter*, std::less<>>& cache,
                                   std::string_view label, std::string_view value);

  std::string service_;
  std::map<std::string, std::unique_ptr<OpSeries>, std::less<>> ops_;  // fixed after create()
  prometheus::Gauge* in_flight_ = nullptr;
  prometheus::Gauge* data_dir_free_ = nullptr;
  prometheus::Gauge* data_dir_size_ = nullptr;

  std::mutex mu_;  // guards the lazily created series below
  std::map<std::string, prometheus::Counter*, std::less<>> published_;
  std::map<std::string, prometheus::Counter*, std::less<>> applied_;
  std::map<std::string, prometheus::Counter*, std::less<>> gaps_;
  std::map<std::string, prometheus::Gauge*, std::less<>> lag_;
  struct Business {
    prometheus::Family<prometheus::Gauge>* family = nullptr;
    std::map<std::map<std::string, std::string>, prometheus::Gauge*> series;
  };
  std::map<std::string, Business, std::less<>> business_;
};

}  // namespace kai::svc::detail
