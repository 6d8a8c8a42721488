#include "gateway/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace kai::gateway {

RateLimiter::RateLimiter(double rate_per_second, double burst)
    : rate_(rate_per_second), burst_(std::max(1.0, burst)) {}

int RateLimiter::acquire(std::string_view key, SteadyClock::time_point now) {
  if (rate_ <= 0) return 0;
  Stripe& stripe = stripes_[std::hash<std::string_view>{}(key) % stripes_.size()];
  std::lock_guard lock(stripe.mu);
  auto [it, fresh] = stripe.buckets.try_emplace(std::string(key));
  Bucket& b = it->second;
  if (fresh) {
    b.units = burst_;
  } else {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    if (elapsed > 0) b.units = std::min(burst_, b.units + elapsed * rate_);
  }
  b.last = std::max(b.last, now);
  if (b.units >= 1.0) {
    b.units -= 1.0;
    return 0;
  }
  const double wait_s = (1.0 - b.units) / rate_;
  return std::max(1, static_cast<int>(std::ceil(wait_s)));
}

}  // namespace kai::gateway
