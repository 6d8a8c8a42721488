// Readiness of the gateway's bus side: a background thread asks the broker an 8/MMI question once
// a second, so /readyz can answer from memory whether the broker is reachable.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "bus/client.hpp"
#include "ops/ops_server.hpp"

namespace kai::gateway {

class BrokerProbe {
 public:
  explicit BrokerProbe(bus::Client& client,
                       std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~BrokerProbe();  // stops and joins
  BrokerProbe(const BrokerProbe&) = delete;
  BrokerProbe& operator=(const BrokerProbe&) = delete;

  // Ready while the broker answered one of the last three probes.
  ops::CheckResult check() const;

 private:
  void run();

  bus::Client& client_;
  std::chrono::milliseconds interval_;
  std::atomic<std::int64_t> last_answer_ms_{0};  // steady-clock ms; 0 = never
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kai::gateway
