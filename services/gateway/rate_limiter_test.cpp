#include "gateway/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace kai::gateway {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiterTest, BurstThenRefillAtTheRate) {
  RateLimiter rl(2.0, 3.0);
  const auto t0 = SteadyClock::time_point() + 1000s;
  EXPECT_EQ(rl.acquire("a", t0), 0);
  EXPECT_EQ(rl.acquire("a", t0), 0);
  EXPECT_EQ(rl.acquire("a", t0), 0);
  EXPECT_EQ(rl.acquire("a", t0), 1);  // empty: one unit comes in 0.5 s, rounded up to 1 s
  EXPECT_EQ(rl.acquire("a", t0 + 500ms), 0);
  EXPECT_GE(rl.acquire("a", t0 + 500ms), 1);
  // Never more than the burst, however long the wait.
  const auto later = t0 + 3600s;
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(rl.acquire("a", later), 0);
  EXPECT_GE(rl.acquire("a", later), 1);
}

TEST(RateLimiterTest, KeysHaveTheirOwnBuckets) {
  RateLimiter rl(1.0, 1.0);
  const auto t0 = SteadyClock::time_point() + 10s;
  EXPECT_EQ(rl.acquire("a", t0), 0);
  EXPECT_EQ(rl.acquire("a", t0), 1);
  EXPECT_EQ(rl.acquire("b", t0), 0);
}

TEST(RateLimiterTest, SlowRatesAskForLongerWaits) {
  RateLimiter rl(0.1, 1.0);
  const auto t0 = SteadyClock::time_point() + 10s;
  EXPECT_EQ(rl.acquire("a", t0), 0);
  EXPECT_EQ(rl.acquire("a", t0), 10);
}

TEST(RateLimiterTest, ZeroRateDisablesLimiting) {
  RateLimiter rl(0, 1.0);
  const auto t0 = SteadyClock::time_point() + 10s;
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(rl.acquire("a", t0), 0);
}

}  // namespace
}  // namespace kai::gateway
