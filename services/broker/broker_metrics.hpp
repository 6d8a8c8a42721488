// The broker's Prometheus metrics. Constructed on a registry so unit tests can use a private one.
#pragma once

#include <array>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "bus/mdp.hpp"

namespace kai::broker {

// Per-service children, looked up once when a service is first seen.
struct ServiceMetrics {
  prometheus::Counter* routed;           // requests handed to a worker
  prometheus::Counter* replies;          // replies relayed back to clients
  prometheus::Gauge* queue_depth;        // requests waiting for a worker
  prometheus::Gauge* workers;            // workers registered and alive
  prometheus::Counter* expired_workers;  // workers removed because heartbeats stopped
  prometheus::Counter* dropped_queue_full;
  prometheus::Counter* dropped_deadline;
};

class BrokerMetrics {
 public:
  explicit BrokerMetrics(prometheus::Registry& registry);

  ServiceMetrics for_service(const std::string& service);
  // Drops a forgotten service's series so names nobody serves do not pile up in /metrics.
  void release(const ServiceMetrics& m);
  void malformed(bus::mdp::Malformed why) {
    malformed_[static_cast<std::size_t>(why)]->Increment();
  }
  void protocol_error(const char* what);
  void undeliverable(const char* why);
  void denied(const char* what);
  prometheus::Counter& mmi() { return *mmi_; }
  prometheus::Counter& events_relayed() { return *events_relayed_; }
  prometheus::Gauge& services() { return *services_; }

 private:
  prometheus::Family<prometheus::Counter>& routed_;
  prometheus::Family<prometheus::Counter>& replies_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& workers_;
  prometheus::Family<prometheus::Counter>& expired_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Family<prometheus::Counter>& malformed_family_;
  prometheus::Family<prometheus::Counter>& protocol_errors_;
  prometheus::Family<prometheus::Counter>& undeliverable_;
  prometheus::Family<prometheus::Counter>& denied_;
  std::array<prometheus::Counter*, bus::mdp::kMalformedCount> malformed_{};
  prometheus::Counter* mmi_;
  prometheus::Counter* events_relayed_;
  prometheus::Gauge* services_;
};

}  // namespace kai::broker
