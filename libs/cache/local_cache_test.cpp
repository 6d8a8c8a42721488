// LocalCache on its own: expiry, replacement, erase, and the memory bound.
#include "cache/local_cache.hpp"

#include <gtest/gtest.h>

namespace kai::cache {
namespace {

using namespace std::chrono_literals;

TEST(LocalCacheTest, KeepsAValueUntilItsTtl) {
  LocalCache c(100ms, 1u << 20);
  const auto t0 = SteadyClock::now();
  c.put("k", "v", t0);
  EXPECT_EQ(c.get("k", t0 + 99ms), "v");
  EXPECT_EQ(c.get("k", t0 + 100ms), std::nullopt);
  EXPECT_EQ(c.entries(), 0u);  // the expired entry was dropped when found
  EXPECT_EQ(c.get("other", t0), std::nullopt);
}

TEST(LocalCacheTest, PutReplacesAndRestartsTheTtl) {
  LocalCache c(100ms, 1u << 20);
  const auto t0 = SteadyClock::now();
  c.put("k", "v1", t0);
  c.put("k", "v2", t0 + 50ms);
  EXPECT_EQ(c.get("k", t0 + 120ms), "v2");
  EXPECT_EQ(c.entries(), 1u);
  EXPECT_EQ(c.bytes(), 3u);
}

TEST(LocalCacheTest, EraseForgetsTheKey) {
  LocalCache c(1min, 1u << 20);
  const auto t0 = SteadyClock::now();
  c.put("k", "v", t0);
  c.erase("k");
  c.erase("never there");
  EXPECT_EQ(c.get("k", t0), std::nullopt);
  EXPECT_EQ(c.bytes(), 0u);
}

TEST(LocalCacheTest, MemoryStaysWithinTheBoundOldestFirst) {
  const std::size_t max = 64u << 10;  // 4 KiB per shard
  LocalCache c(1min, max);
  const auto t0 = SteadyClock::now();
  const std::string value(100, 'x');
  for (int i = 0; i < 10'000; ++i) {
    c.put("key:" + std::to_string(i), value, t0);
    ASSERT_LE(c.bytes(), max);
  }
  EXPECT_GT(c.entries(), 100u);
  EXPECT_EQ(c.get("key:9999", t0), value);      // the newest stays
  EXPECT_EQ(c.get("key:0", t0), std::nullopt);  // the oldest went first
}

TEST(LocalCacheTest, ValuesTooLargeForAShardAreNotKept) {
  LocalCache c(1min, 64u << 10);
  const auto t0 = SteadyClock::now();
  c.put("big", std::string(1024, 'x'), t0);
  EXPECT_EQ(c.get("big", t0), std::nullopt);
  c.put("small", std::string(100, 'x'), t0);
  EXPECT_TRUE(c.get("small", t0).has_value());
}

}  // namespace
}  // namespace kai::cache
