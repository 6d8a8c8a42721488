#include "gateway/broker_probe.hpp"

#include "common/time.hpp"

namespace kai::gateway {
namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

}  // namespace

BrokerProbe::BrokerProbe(bus::Client& client, std::chrono::milliseconds interval)
    : client_(client), interval_(interval), thread_([this] { run(); }) {}

BrokerProbe::~BrokerProbe() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void BrokerProbe::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    // Any MMI answer ("200" or "404") proves the broker is there.
    if (client_.mmi("mmi.service", "membership", interval_).ok()) {
      last_answer_ms_.store(steady_ms(), std::memory_order_relaxed);
    }
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

ops::CheckResult BrokerProbe::check() const {
  const std::int64_t last = last_answer_ms_.load(std::memory_order_relaxed);
  if (last == 0) return {false, false, "no answer from the broker yet"};
  const std::int64_t age = steady_ms() - last;
  if (age > 3 * interval_.count() + 1000) {
    return {false, false, "broker silent for " + std::to_string(age) + " ms"};
  }
  return {true, false, ""};
}

}  // namespace kai::gateway
