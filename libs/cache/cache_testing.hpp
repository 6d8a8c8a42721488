// Helpers shared by the cache's tests (header-only, test binaries only).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "cache/cache.hpp"
#include "cache/redis_connection.hpp"

namespace kai::cache::testing {

using namespace std::chrono_literals;

// Metric series are per service and live for the whole process, so every cache in the tests gets
// a service name of its own (also across --gtest_repeat).
inline std::string unique_service(std::string_view base) {
  static std::atomic<int> n{0};
  return std::string(base) + "-" + std::to_string(n++);
}

// Timeouts generous enough that a loaded machine never trips the breaker by accident.
inline CacheOptions relaxed_options(const std::string& url, std::string_view base) {
  CacheOptions o;
  o.url = url;
  o.service = unique_service(base);
  o.connect_timeout = 5s;
  o.op_timeout = 5s;
  o.pool_size = 4;
  o.retry_after = 1s;
  return o;
}

inline std::unique_ptr<Cache> make_cache(const CacheOptions& o) {
  auto c = Cache::create(o);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? std::move(*c) : nullptr;
}

// A plain client to look at Redis behind the cache's back.
class RawRedis {
 public:
  explicit RawRedis(const std::string& url) {
    auto ep = parse_redis_url(url);
    EXPECT_TRUE(ep.ok());
    if (!ep.ok()) return;
    auto c = RedisConnection::open(*ep, SteadyClock::now() + 5s, 64u << 20);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    if (c.ok()) conn_ = std::move(*c);
  }
  Reply cmd(std::initializer_list<std::string_view> args) {
    if (!conn_) return {};
    auto r = conn_->call(std::vector<std::string_view>(args), SteadyClock::now() + 5s);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : Reply{};
  }
  std::optional<std::string> get(const std::string& key) {
    Reply r = cmd({"GET", key});
    if (r.type != Reply::Type::string) return std::nullopt;
    return r.str;
  }

 private:
  std::unique_ptr<RedisConnection> conn_;
};

// A one-shot gate a loader can block on.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

}  // namespace kai::cache::testing
