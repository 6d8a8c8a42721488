// Cache behaviour against a real redis-server (and, where an interleaving must be forced, a
// scripted fake): round trips, TTLs, cache-aside, single flight, invalidation races, options.
#include "cache/cache.hpp"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "cache/cache_testing.hpp"
#include "cache/fake_redis_server.hpp"
#include "ops/metrics.hpp"
#include "support/process.hpp"

namespace kai::cache {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using kai::testing::RedisServer;
using kai::testing::wait_until;

using testing::Gate;
using testing::RawRedis;
using testing::unique_service;

CacheOptions options_for(const std::string& url, std::string_view base) {
  return testing::relaxed_options(url, base);
}
std::unique_ptr<Cache> make(const CacheOptions& o) {
  return testing::make_cache(o);
}

// A get_or_load() of `key` whose loader has read `value` from the source of truth and is held
// there until release(): the window in which a writer commits and invalidates.
class BlockedLoad {
 public:
  BlockedLoad(Cache& cache, std::string key, std::string value)
      : result_(std::async(std::launch::async, [&cache, this, key, value] {
          return cache.get_or_load(key, 1min, [&]() -> Result<std::string> {
            loading_.open();
            release_.wait();
            return value;
          });
        })) {
    loading_.wait();
  }
  void release() { release_.open(); }
  Result<std::string> result() { return result_.get(); }

 private:
  Gate loading_, release_;
  std::future<Result<std::string>> result_;
};

class CacheTest : public ::testing::Test {
 protected:
  RedisServer redis_;
};

TEST_F(CacheTest, BinaryValuesRoundTripUnderThePrefix) {
  auto o = options_for(redis_.url(), "roundtrip");
  auto cache = make(o);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->state(), State::ok);
  EXPECT_EQ(cache->key_prefix(), "kai:" + o.service + ":");

  std::string all_bytes;
  for (int i = 0; i < 256; ++i)
    all_bytes.push_back(static_cast<char>(i));
  const std::string msgpack = "\x82\xa2id\xcd\x01\x00\xa4name\xa3\xe5\x87\xaf"s;
  const std::string big(1 << 20, '\xc1');
  const std::pair<std::string, std::string> cases[] = {
      {"org:1", msgpack}, {"all", all_bytes}, {"empty", ""}, {"big", big}, {"k\0\r\n"s, "v\0"s}};
  for (const auto& [key, value] : cases)
    cache->set(key, value, 1min);
  for (const auto& [key, value] : cases) {
    auto got = cache->get(key);
    ASSERT_TRUE(got.has_value()) << key;
    EXPECT_EQ(*got, value) << key;
  }
  RawRedis raw(redis_.url());
  EXPECT_EQ(raw.get(cache->key_prefix() + "org:1"), msgpack);
  EXPECT_EQ(raw.get("org:1"), std::nullopt);
  EXPECT_EQ(cache->stats().sets, std::size(cases));
  EXPECT_EQ(cache->stats().hits, std::size(cases));
}

TEST_F(CacheTest, AbsentKeyIsAMiss) {
  auto cache = make(options_for(redis_.url(), "miss"));
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->get("nothing-here"), std::nullopt);
  EXPECT_EQ(cache->stats().misses, 1u);
  EXPECT_EQ(cache->stats().errors, 0u);
  EXPECT_EQ(cache->state(), State::ok);
}

TEST_F(CacheTest, TtlIsAttachedAndEntriesExpire) {
  auto cache = make(options_for(redis_.url(), "ttl"));
  ASSERT_NE(cache, nullptr);
  RawRedis raw(redis_.url());
  cache->set("long", "v", 10min);
  const Reply pttl = raw.cmd({"PTTL", cache->key_prefix() + "long"});
  ASSERT_EQ(pttl.type, Reply::Type::integer);
  EXPECT_GT(pttl.integer, 0);
  EXPECT_LE(pttl.integer, 600'000);

  cache->set("short", "v", 200ms);
  EXPECT_TRUE(wait_until([&] { return !cache->get("short").has_value(); }, 10s));
  EXPECT_TRUE(cache->get("long").has_value());

  cache->set("no-ttl", "v", 0ms);  // not stored: every entry must expire
  EXPECT_EQ(raw.get(cache->key_prefix() + "no-ttl"), std::nullopt);
}

TEST_F(CacheTest, DelInvalidatesOneOrManyKeys) {
  auto cache = make(options_for(redis_.url(), "del"));
  ASSERT_NE(cache, nullptr);
  for (const char* k : {"a", "b", "c", "d", "e", "f"})
    cache->set(k, "v", 1min);
  cache->del("a");
  EXPECT_EQ(cache->get("a"), std::nullopt);
  EXPECT_TRUE(cache->get("b").has_value());
  const std::string two = "c";
  cache->del("b", two);
  EXPECT_EQ(cache->get("b"), std::nullopt);
  EXPECT_EQ(cache->get("c"), std::nullopt);
  const std::vector<std::string> batch{"d", "e", "never-set"};
  cache->del_many(batch);
  EXPECT_EQ(cache->get("d"), std::nullopt);
  EXPECT_EQ(cache->get("e"), std::nullopt);
  EXPECT_TRUE(cache->get("f").has_value());
  EXPECT_EQ(cache->stats().invalidations, 6u);
  EXPECT_EQ(cache->stats().pending_invalidations, 0u);
}

TEST_F(CacheTest, LargeBatchDelete) {
  auto cache = make(options_for(redis_.url(), "bigdel"));
  ASSERT_NE(cache, nullptr);
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i)
    keys.push_back("k" + std::to_string(i));
  for (const auto& k : keys)
    cache->set(k, "v", 1min);
  cache->del_many(keys);
  RawRedis raw(redis_.url());
  const Reply n = raw.cmd({"DBSIZE"});
  EXPECT_EQ(n.integer, 0);
}

TEST_F(CacheTest, GetOrLoadMissesThenHits) {
  auto cache = make(options_for(redis_.url(), "aside"));
  ASSERT_NE(cache, nullptr);
  int calls = 0;
  const Loader loader = [&]() -> Result<std::string> {
    ++calls;
    return "\x93\x01\x02\x03"s;
  };
  auto first = cache->get_or_load("org:7", 1min, loader);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, "\x93\x01\x02\x03");
  auto second = cache->get_or_load("org:7", 1min, loader);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, "\x93\x01\x02\x03");
  EXPECT_EQ(calls, 1);
  const auto s = cache->stats();
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.sets, 1u);
  RawRedis raw(redis_.url());
  const Reply pttl = raw.cmd({"PTTL", cache->key_prefix() + "org:7"});
  EXPECT_GT(pttl.integer, 0);
}

TEST_F(CacheTest, LoaderErrorsAreReturnedAndNotCached) {
  auto cache = make(options_for(redis_.url(), "loaderr"));
  ASSERT_NE(cache, nullptr);
  auto r = cache->get_or_load("org:404", 1min,
                              []() -> Result<std::string> { return not_found("no org 404"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::not_found);
  RawRedis raw(redis_.url());
  EXPECT_EQ(raw.cmd({"DBSIZE"}).integer, 0);
  int calls = 0;
  auto again = cache->get_or_load("org:404", 1min, [&]() -> Result<std::string> {
    ++calls;
    return "now it exists"s;
  });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cache->stats().sets, 1u);
}

TEST_F(CacheTest, ThrowingLoaderBecomesInternalError) {
  auto cache = make(options_for(redis_.url(), "throw"));
  ASSERT_NE(cache, nullptr);
  auto r = cache->get_or_load(
      "k", 1min, []() -> Result<std::string> { throw std::runtime_error("database exploded"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::internal);
  EXPECT_NE(r.status().message().find("database exploded"), std::string::npos);
  // The key is not stuck in flight.
  auto ok = cache->get_or_load("k", 1min, []() -> Result<std::string> { return "v"s; });
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "v");
}

// N threads miss the same key at once: the loader runs once, and only returns after every other
// thread is known to be waiting for it, so the test cannot pass by lucky timing.
void run_single_flight(Cache& cache, Result<std::string> outcome, int* calls_out,
                       std::vector<Result<std::string>>* results) {
  constexpr int kThreads = 8;
  const auto before = cache.stats().coalesced;
  std::atomic<int> calls{0};
  std::atomic<bool> all_joined{false};
  const Loader loader = [&]() -> Result<std::string> {
    ++calls;
    all_joined = wait_until(
        [&] {
          return cache.stats().coalesced - before == static_cast<std::uint64_t>(kThreads - 1);
        },
        60s);
    return outcome;
  };
  std::vector<std::thread> threads;
  results->assign(kThreads, Result<std::string>(internal_error("not run")));
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { (*results)[i] = cache.get_or_load("hot", 1min, loader); });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_TRUE(all_joined.load());
  *calls_out = calls.load();
}

TEST_F(CacheTest, ConcurrentMissesShareOneLoad) {
  auto cache = make(options_for(redis_.url(), "flight"));
  ASSERT_NE(cache, nullptr);
  int calls = 0;
  std::vector<Result<std::string>> results;
  run_single_flight(*cache, "shared value"s, &calls, &results);
  EXPECT_EQ(calls, 1);
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(*r, "shared value");
  }
  EXPECT_EQ(cache->stats().coalesced, 7u);
  EXPECT_EQ(cache->get("hot"), "shared value");
}

TEST_F(CacheTest, ConcurrentMissesShareOneError) {
  auto cache = make(options_for(redis_.url(), "flighterr"));
  ASSERT_NE(cache, nullptr);
  int calls = 0;
  std::vector<Result<std::string>> results;
  run_single_flight(*cache, Status(unavailable("database down")), &calls, &results);
  EXPECT_EQ(calls, 1);
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::unavailable);
  }
  EXPECT_EQ(cache->get("hot"), std::nullopt);
  EXPECT_EQ(cache->stats().sets, 0u);
}

TEST_F(CacheTest, SingleFlightWorksWhenDisabled) {
  CacheOptions o;
  o.service = unique_service("flightoff");
  auto cache = make(o);
  ASSERT_NE(cache, nullptr);
  int calls = 0;
  std::vector<Result<std::string>> results;
  run_single_flight(*cache, "v"s, &calls, &results);
  EXPECT_EQ(calls, 1);
  for (const auto& r : results)
    EXPECT_TRUE(r.ok());
}

// del() while a load is running: the load's value (read before the write) must not be stored.
TEST_F(CacheTest, LoadOverlappingAnInvalidationDoesNotStoreItsValue) {
  auto cache = make(options_for(redis_.url(), "race"));
  ASSERT_NE(cache, nullptr);
  // The load read "old name" from the database; then the writer commits "new name" and
  // invalidates.
  BlockedLoad old_load(*cache, "org:1", "old name");
  cache->del("org:1");
  old_load.release();
  auto r = old_load.result();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "old name");  // the caller still gets what it loaded...
  RawRedis raw(redis_.url());
  EXPECT_EQ(raw.get(cache->key_prefix() + "org:1"), std::nullopt);  // ...but it is not cached
  EXPECT_EQ(cache->stats().stale_sets, 1u);
  EXPECT_EQ(cache->stats().sets, 0u);

  auto fresh =
      cache->get_or_load("org:1", 1min, []() -> Result<std::string> { return "new name"s; });
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(raw.get(cache->key_prefix() + "org:1"), "new name");
}

// --- the local copy (local_ttl > 0) ----------------------------------------------------------

CacheOptions with_local(CacheOptions o, std::chrono::milliseconds ttl) {
  o.local_ttl = ttl;
  return o;
}

// Hot reads skip Redis: a value changed behind the cache's back is not seen until local_ttl has
// passed, and then it is.
TEST_F(CacheTest, LocalCopyAnswersHotReadsUntilItsTtl) {
  auto cache = make(with_local(options_for(redis_.url(), "local"), 300ms));
  ASSERT_NE(cache, nullptr);
  int loads = 0;
  const auto load = [&]() -> Result<std::string> {
    ++loads;
    return "v1"s;
  };
  ASSERT_EQ(*cache->get_or_load("org:1", 1min, load), "v1");  // loaded, stored in both
  RawRedis raw(redis_.url());
  raw.cmd({"SET", cache->key_prefix() + "org:1", "changed elsewhere"});
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(*cache->get_or_load("org:1", 1min, load), "v1");
  EXPECT_EQ(cache->stats().local_hits, 5u);
  EXPECT_EQ(cache->stats().hits, 5u);
  EXPECT_TRUE(wait_until(
      [&] { return *cache->get_or_load("org:1", 1min, load) == "changed elsewhere"; }, 5s));
  EXPECT_EQ(loads, 1);
}

// This process never reads older than Redis: del() and set() drop the local copy at once.
TEST_F(CacheTest, DelAndSetDropTheLocalCopyAtOnce) {
  auto cache = make(with_local(options_for(redis_.url(), "local-del"), 1min));
  ASSERT_NE(cache, nullptr);
  std::string source = "old";
  const auto load = [&]() -> Result<std::string> { return source; };
  ASSERT_EQ(*cache->get_or_load("org:1", 1min, load), "old");
  ASSERT_EQ(*cache->get_or_load("org:1", 1min, load), "old");
  EXPECT_EQ(cache->stats().local_hits, 1u);
  source = "new";  // the write commits, then invalidates
  cache->del("org:1");
  EXPECT_EQ(*cache->get_or_load("org:1", 1min, load), "new");

  cache->set("org:2", "first", 1min);
  ASSERT_EQ(cache->get("org:2"), "first");  // from Redis, now kept locally
  ASSERT_EQ(cache->get("org:2"), "first");  // local
  cache->set("org:2", "second", 1min);
  EXPECT_EQ(cache->get("org:2"), "second");
}

// A load that read the source before an invalidation keeps no local copy either.
TEST_F(CacheTest, LoadOverlappingAnInvalidationKeepsNoLocalCopy) {
  auto cache = make(with_local(options_for(redis_.url(), "local-race"), 1min));
  ASSERT_NE(cache, nullptr);
  BlockedLoad old_load(*cache, "org:1", "old name");
  cache->del("org:1");
  old_load.release();
  ASSERT_EQ(*old_load.result(), "old name");
  const auto fresh =
      cache->get_or_load("org:1", 1min, []() -> Result<std::string> { return "new name"s; });
  EXPECT_EQ(*fresh, "new name");
  EXPECT_EQ(cache->stats().local_hits, 0u);
}

// With Redis gone the local copy still answers, and invalidations still reach it.
TEST_F(CacheTest, LocalCopyServesAndIsInvalidatedWhileRedisIsDown) {
  auto o = with_local(options_for(redis_.url(), "local-down"), 1min);
  o.op_timeout = 200ms;
  auto cache = make(o);
  ASSERT_NE(cache, nullptr);
  std::string source = "old";
  const auto load = [&]() -> Result<std::string> { return source; };
  ASSERT_EQ(*cache->get_or_load("org:1", 1min, load), "old");
  redis_.kill_now();
  EXPECT_EQ(*cache->get_or_load("org:1", 1min, load), "old");
  EXPECT_EQ(cache->stats().local_hits, 1u);
  source = "new";
  cache->del("org:1");
  EXPECT_EQ(*cache->get_or_load("org:1", 1min, load), "new");
  EXPECT_EQ(*cache->get_or_load("org:1", 1min, load), "new");
}

// get_local() answers from the local copy only: never from Redis, and never after del().
TEST_F(CacheTest, GetLocalAnswersOnlyFromTheLocalCopy) {
  auto cache = make(with_local(options_for(redis_.url(), "local-only"), 1min));
  ASSERT_NE(cache, nullptr);
  RawRedis raw(redis_.url());
  raw.cmd({"SET", cache->key_prefix() + "org:1", "in redis"});
  EXPECT_EQ(cache->get_local("org:1"), std::nullopt);  // in Redis, not yet in this process
  EXPECT_EQ(cache->stats().hits + cache->stats().misses, 0u);
  ASSERT_EQ(cache->get("org:1"), "in redis");  // fetched, now kept locally
  EXPECT_EQ(cache->get_local("org:1"), "in redis");
  EXPECT_EQ(cache->stats().local_hits, 1u);
  cache->del("org:1");
  EXPECT_EQ(cache->get_local("org:1"), std::nullopt);

  auto without = make(options_for(redis_.url(), "local-off"));  // local_ttl 0: no local copy
  ASSERT_NE(without, nullptr);
  ASSERT_EQ(without->get("org:1"), std::nullopt);
  without->set("org:2", "value", 1min);
  ASSERT_EQ(without->get("org:2"), "value");
  EXPECT_EQ(without->get_local("org:2"), std::nullopt);
}

TEST(CacheOptionsTest, LocalCopySettingsAreChecked) {
  CacheOptions o;
  o.url = "redis://127.0.0.1:1";
  o.service = unique_service("local-opts");
  o.local_ttl = 2min;
  auto too_long = Cache::create(o);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().field(), "cache-local-ttl");
  o.local_ttl = 1s;
  o.local_max_bytes = 1000;
  auto too_small = Cache::create(o);
  ASSERT_FALSE(too_small.ok());
  EXPECT_EQ(too_small.status().field(), "cache-local-bytes");
}

// A call arriving after del() must not join a load that started before it.
TEST_F(CacheTest, CallsAfterAnInvalidationStartAFreshLoad) {
  auto cache = make(options_for(redis_.url(), "detach"));
  ASSERT_NE(cache, nullptr);
  BlockedLoad old_load(*cache, "org:2", "old");
  cache->del("org:2");
  auto fresh = cache->get_or_load("org:2", 1min, []() -> Result<std::string> { return "new"s; });
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(*fresh, "new");
  old_load.release();
  ASSERT_TRUE(old_load.result().ok());
  RawRedis raw(redis_.url());
  EXPECT_EQ(raw.get(cache->key_prefix() + "org:2"), "new");
  EXPECT_EQ(cache->stats().coalesced, 0u);
}

// A del() that comes while a load's SET is in flight waits for that SET, so its DEL reaches Redis
// after it and the old value does not survive. The fake holds the SET for a while; an
// implementation without the fence would send the DEL meanwhile.
TEST(CacheFenceTest, DelWaitsForASetInFlight) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> log;  // "SET", "SET-replied", "DEL" in the order the server saw them
  bool set_seen = false;
  testing::FakeRedisServer fake([&](const std::vector<std::string>& cmd) -> testing::FakeReply {
    const std::string& name = cmd.at(0);
    if (name == "PING") return {"+PONG\r\n"};
    if (name == "GET") return {"$-1\r\n"};
    if (name == "DEL") {
      std::lock_guard lock(mu);
      log.push_back("DEL");
      cv.notify_all();
      return {":1\r\n"};
    }
    if (name == "SET") {
      std::unique_lock lock(mu);
      log.push_back("SET");
      set_seen = true;
      cv.notify_all();
      // Hold the reply until a DEL shows up or a generous while has passed.
      cv.wait_for(lock, 1500ms, [&] { return log.back() == "DEL"; });
      log.push_back("SET-replied");
      return {"+OK\r\n"};
    }
    return {"-ERR unknown\r\n"};
  });
  auto o = options_for(fake.url(), "fence");
  auto cache = make(o);
  ASSERT_NE(cache, nullptr);
  auto load = std::async(std::launch::async, [&] {
    return cache->get_or_load("k", 1min, []() -> Result<std::string> { return "old"s; });
  });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return set_seen; }));
  }
  cache->del("k");  // returns only once the DEL was answered
  ASSERT_TRUE(load.get().ok());
  std::lock_guard lock(mu);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], "SET");
  EXPECT_EQ(log[1], "SET-replied");
  EXPECT_EQ(log[2], "DEL");
}

TEST(CacheDisabledTest, EmptyUrlDisablesWithoutErrors) {
  CacheOptions o;
  o.service = unique_service("off");
  auto cache = make(o);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->state(), State::disabled);
  EXPECT_NE(cache->detail().find("disabled"), std::string::npos);
  cache->set("k", "v", 1min);
  EXPECT_EQ(cache->get("k"), std::nullopt);
  cache->del("k");
  int calls = 0;
  for (int i = 0; i < 3; ++i) {
    auto r = cache->get_or_load("k", 1min, [&]() -> Result<std::string> {
      ++calls;
      return "v"s;
    });
    ASSERT_TRUE(r.ok());
  }
  EXPECT_EQ(calls, 3);
  const auto s = cache->stats();
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.hits, 0u);
  EXPECT_EQ(s.misses, 4u);
  EXPECT_EQ(s.sets, 0u);
  const std::string text = ops::render_metrics();
  EXPECT_NE(text.find("kai_cache_degraded{service=\"" + o.service + "\"} 0"), std::string::npos);
}

TEST(CacheOptionsTest, InvalidOptionsNameTheSetting) {
  const auto field_of = [](const CacheOptions& o) {
    auto c = Cache::create(o);
    EXPECT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), StatusCode::invalid_argument);
    return c.ok() ? std::string() : c.status().field();
  };
  CacheOptions o;
  o.service = "svc";
  o.url = "redis://:hunter2@host:port/0";
  EXPECT_EQ(field_of(o), "redis-url");
  auto c = Cache::create(o);
  EXPECT_EQ(c.status().message().find("hunter2"), std::string::npos);
  o.url = "redis://127.0.0.1:6379/0";
  o.pool_size = 0;
  EXPECT_EQ(field_of(o), "redis-pool-size");
  o.pool_size = 8;
  o.op_timeout = 0ms;
  EXPECT_EQ(field_of(o), "redis-op-timeout");
  o.op_timeout = 50ms;
  o.connect_timeout = -1ms;
  EXPECT_EQ(field_of(o), "redis-connect-timeout");
  o.connect_timeout = 100ms;
  o.retry_after = 0ms;
  EXPECT_EQ(field_of(o), "redis-retry-after");
  o.retry_after = 1s;
  for (const char* bad : {"", "a:b", "with space", "tab\t"}) {
    o.service = bad;
    EXPECT_EQ(field_of(o), "service") << bad;
  }
}

TEST(CacheOptionsTest, FromConfig) {
  std::map<std::string, std::string> env{{"KAI_REDIS_URL", "redis://:pw@10.1.2.3:6390/4"},
                                         {"KAI_REDIS_OP_TIMEOUT", "20ms"}};
  const char* argv[] = {"svc", "--redis-pool-size=3"};
  auto cfg = Config::parse(setting_specs(), 2, argv, false,
                           [&](const std::string& k) -> std::optional<std::string> {
                             auto it = env.find(k);
                             if (it == env.end()) return std::nullopt;
                             return it->second;
                           });
  ASSERT_TRUE(cfg.ok()) << cfg.status().to_string();
  auto o = options_from_config(*cfg, "membership");
  ASSERT_TRUE(o.ok()) << o.status().to_string();
  EXPECT_EQ(o->url, "redis://:pw@10.1.2.3:6390/4");
  EXPECT_EQ(o->service, "membership");
  EXPECT_EQ(o->op_timeout, 20ms);
  EXPECT_EQ(o->connect_timeout, 100ms);
  EXPECT_EQ(o->pool_size, 3);
  EXPECT_EQ(o->retry_after, 1000ms);
  EXPECT_EQ(o->local_ttl, 1000ms);
  EXPECT_EQ(o->local_max_bytes, 32u << 20);

  env["KAI_REDIS_URL"] = "localhost:6379";
  auto bad_cfg = Config::parse(setting_specs(), 1, argv, false,
                               [&](const std::string& k) -> std::optional<std::string> {
                                 auto it = env.find(k);
                                 if (it == env.end()) return std::nullopt;
                                 return it->second;
                               });
  ASSERT_TRUE(bad_cfg.ok());
  auto bad = options_from_config(*bad_cfg, "membership");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "redis-url");
}

TEST_F(CacheTest, PasswordAndDatabaseFromTheUrl) {
  RawRedis admin(redis_.url());
  ASSERT_EQ(admin.cmd({"CONFIG", "SET", "requirepass", "p@ss word"}).type, Reply::Type::status);
  const std::string base = "redis://127.0.0.1:" + std::to_string(redis_.port());
  auto o = options_for(base + "/0", "auth");
  o.url = "redis://:p%40ss%20word@127.0.0.1:" + std::to_string(redis_.port()) + "/5";
  auto cache = make(o);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->state(), State::ok) << cache->detail();
  cache->set("k", "in db 5", 1min);
  EXPECT_EQ(cache->get("k"), "in db 5");
  EXPECT_EQ(cache->detail().find("p@ss"), std::string::npos);

  RawRedis db5(o.url);
  EXPECT_EQ(db5.get(cache->key_prefix() + "k"), "in db 5");
  EXPECT_EQ(admin.cmd({"AUTH", "p@ss word"}).type, Reply::Type::status);
  EXPECT_EQ(admin.get(cache->key_prefix() + "k"), std::nullopt);  // db 0

  auto wrong = options_for("", "badauth");
  wrong.url = "redis://:wrong-secret@127.0.0.1:" + std::to_string(redis_.port()) + "/0";
  auto refused = make(wrong);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->state(), State::degraded);
  EXPECT_NE(refused->detail().find("AUTH"), std::string::npos) << refused->detail();
  EXPECT_EQ(refused->detail().find("wrong-secret"), std::string::npos);
  auto loaded = refused->get_or_load("k", 1min, []() -> Result<std::string> { return "db"s; });
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, "db");
  EXPECT_EQ(admin.cmd({"CONFIG", "SET", "requirepass", ""}).type, Reply::Type::status);
}

TEST_F(CacheTest, ValuesAboveTheLimitAreNotCached) {
  auto o = options_for(redis_.url(), "limit");
  o.max_value_bytes = 1000;
  auto cache = make(o);
  ASSERT_NE(cache, nullptr);
  cache->set("small", std::string(1000, 'x'), 1min);
  cache->set("large", std::string(1001, 'x'), 1min);
  EXPECT_TRUE(cache->get("small").has_value());
  EXPECT_FALSE(cache->get("large").has_value());
  auto r = cache->get_or_load("loaded", 1min,
                              []() -> Result<std::string> { return std::string(5000, 'y'); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 5000u);
  EXPECT_EQ(cache->state(), State::ok);
  EXPECT_EQ(cache->stats().sets, 1u);
}

TEST_F(CacheTest, MetricsAreExported) {
  auto o = options_for(redis_.url(), "metrics");
  auto cache = make(o);
  ASSERT_NE(cache, nullptr);
  cache->set("k", "v", 1min);
  (void)cache->get("k");
  (void)cache->get("absent");
  cache->del("k");
  const std::string text = ops::render_metrics();
  const std::string svc = "service=\"" + o.service + "\"";
  const auto has_line = [&](std::string_view name, std::string_view label, std::string_view value) {
    std::size_t pos = 0;
    while ((pos = text.find(name, pos)) != std::string::npos) {
      const std::size_t end = text.find('\n', pos);
      const std::string line = text.substr(pos, end - pos);
      pos = end;
      if (line.find(svc) == std::string::npos) continue;
      if (!label.empty() && line.find(label) == std::string::npos) continue;
      if (line.size() >= value.size() &&
          line.compare(line.size() - value.size(), value.size(), value) == 0) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has_line("kai_cache_requests_total{", "result=\"hit\"", " 1"));
  EXPECT_TRUE(has_line("kai_cache_requests_total{", "result=\"miss\"", " 1"));
  EXPECT_TRUE(has_line("kai_cache_requests_total{", "result=\"error\"", " 0"));
  EXPECT_TRUE(has_line("kai_cache_sets_total{", "", " 1"));
  EXPECT_TRUE(has_line("kai_cache_invalidations_total{", "", " 1"));
  EXPECT_TRUE(has_line("kai_cache_degraded{", "", " 0"));
  EXPECT_TRUE(has_line("kai_cache_reconnects_total{", "", " 0"));
}

TEST_F(CacheTest, ManyThreadsMixingOperations) {
  auto cache = make(options_for(redis_.url(), "mixed"));
  ASSERT_NE(cache, nullptr);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const std::string key = "k" + std::to_string(i % 17);
        const std::string expect = "value-of-" + key;
        switch ((i + t) % 4) {
          case 0: {
            auto r = cache->get_or_load(key, 1min, [&]() -> Result<std::string> { return expect; });
            if (!r.ok() || *r != expect) ++wrong;
            break;
          }
          case 1: {
            auto v = cache->get(key);
            if (v && *v != expect) ++wrong;
            break;
          }
          case 2:
            cache->set(key, expect, 1min);
            break;
          default:
            cache->del(key);
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(cache->state(), State::ok);
  EXPECT_EQ(cache->stats().errors, 0u);
}

}  // namespace
}  // namespace kai::cache
