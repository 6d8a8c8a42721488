#include "service/periodic.hpp"

namespace kai::svc::detail {

Periodic::Periodic(std::chrono::milliseconds interval, std::chrono::milliseconds first_delay,
                   std::function<void()> fn)
    : interval_(interval), fn_(std::move(fn)) {
  thread_ = std::thread([this, first_delay] { loop(first_delay); });
}

Periodic::~Periodic() {
  stop();
}

void Periodic::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Periodic::loop(std::chrono::milliseconds first_delay) {
  auto next = std::chrono::steady_clock::now() + first_delay;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_until(lock, next, [&] { return stop_; })) return;
    }
    fn_();
    next = std::max(next + interval_, std::chrono::steady_clock::now());
  }
}

}  // namespace kai::svc::detail
