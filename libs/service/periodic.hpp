// Periodic: runs a function now and then every interval on its own thread until stopped. Used for
// business gauges, periodic jobs, the idempotency purge, data dir metrics and the head beacon.
// Internal to libs/service.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace kai::svc::detail {

class Periodic {
 public:
  // `first_delay` before the first run (0: at once).
  Periodic(std::chrono::milliseconds interval, std::chrono::milliseconds first_delay,
           std::function<void()> fn);
  ~Periodic();
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  // Lets a run in progress finish; no further run starts.
  void stop();

 private:
  void loop(std::chrono::milliseconds first_delay);

  std::chrono::milliseconds interval_;
  std::function<void()> fn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace kai::svc::detail
