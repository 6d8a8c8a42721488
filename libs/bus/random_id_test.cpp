#include <array>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "bus/client.hpp"

namespace kai::bus {
namespace {

TEST(RandomId, Is32LowerHexDigits) {
  for (int i = 0; i < 100; ++i) {
    const std::string id = random_id();
    ASSERT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  }
}

TEST(RandomId, NeverRepeatsWithinOrAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kEach = 20'000;
  std::mutex mu;
  std::set<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < kEach; ++i)
        mine.push_back(random_id());
      std::lock_guard lock(mu);
      seen.insert(mine.begin(), mine.end());
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST(RandomId, DigitsAreEvenlySpread) {
  // 16,000 ids × 32 digits: each of the 16 hex digits is expected 32,000 times; a generator stuck
  // on part of its output would be far outside ±5 %.
  std::array<int, 16> counts{};
  for (int i = 0; i < 16'000; ++i) {
    for (char c : random_id())
      ++counts[static_cast<std::size_t>(c <= '9' ? c - '0' : c - 'a' + 10)];
  }
  for (int n : counts) {
    EXPECT_GT(n, 30'400);
    EXPECT_LT(n, 33'600);
  }
}

}  // namespace
}  // namespace kai::bus
