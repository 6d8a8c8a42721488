// Per-token rate limiting: a token bucket per key (the token's hash) refilled at `rate` requests
// per second up to `burst`. A request takes one unit; when the bucket is empty the caller learns
// how long until the next unit, for the Retry-After header of its 429.
//
// Memory is bounded by the number of distinct keys, i.e. of tokens in the tokens file: only
// authenticated callers reach the limiter. Thread-safe (striped locks).
#pragma once

#include <array>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/time.hpp"

namespace kai::gateway {

class RateLimiter {
 public:
  // rate <= 0 disables limiting (every acquire succeeds).
  RateLimiter(double rate_per_second, double burst);

  // 0 when the request may go ahead; otherwise the whole seconds (at least 1) after which a
  // retry will find a unit in the bucket.
  int acquire(std::string_view key, SteadyClock::time_point now);

 private:
  struct Bucket {
    double units = 0;
    SteadyClock::time_point last;
  };
  struct Stripe {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
  };

  double rate_;
  double burst_;
  std::array<Stripe, 16> stripes_;
};

}  // namespace kai::gateway
