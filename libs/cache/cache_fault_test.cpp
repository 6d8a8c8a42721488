// The cache when Redis fails: killed, restarted, stopped (SIGSTOP), or replaced by a server that
// answers nonsense. Every call must return (checked with a generous bound, never a timing
// assertion), the state must say degraded, loads must still be served, and the cache must come
// back by itself.
#include <cstdio>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "cache/cache.hpp"
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
using testing::FakeRedisServer;
using testing::FakeReply;
using testing::make_cache;
using testing::RawRedis;
using testing::unique_service;

// A hang would otherwise block the test until CTest kills it; this bound is only a liveness
// check, far above any timeout configured below.
constexpr auto kReturnsWithin = 30s;

template <typename F>
auto returns(F&& f) {
  auto fut = std::async(std::launch::async, std::forward<F>(f));
  EXPECT_EQ(fut.wait_for(kReturnsWithin), std::future_status::ready) << "call did not return";
  return fut.get();
}

// `op_timeout` stays generous wherever the test needs Redis to work (a stall of the shared machine
// must not trip the breaker by accident); a killed Redis fails at once regardless.
CacheOptions failing_options(const std::string& url, std::string_view base,
                             std::chrono::milliseconds retry_after,
                             std::chrono::milliseconds op_timeout = 2s) {
  CacheOptions o;
  o.url = url;
  o.service = unique_service(base);
  o.connect_timeout = op_timeout;
  o.op_timeout = op_timeout;
  o.pool_size = 4;
  o.retry_after = retry_after;
  return o;
}

Loader from_db(std::string value, int* calls = nullptr) {
  return [value = std::move(value), calls]() -> Result<std::string> {
    if (calls != nullptr) ++*calls;
    return value;
  };
}

std::string degraded_gauge(const std::string& service) {
  const std::string text = ops::render_metrics();
  const std::string needle = "kai_cache_degraded{service=\"" + service + "\"} ";
  const std::size_t pos = text.find(needle);
  if (pos == std::string::npos) return "absent";
  return text.substr(pos + needle.size(), 1);
}

// Redis's own pid, asked from Redis, so the test can stop and continue exactly that process.
pid_t redis_pid(const std::string& url) {
  RawRedis raw(url);
  const Reply info = raw.cmd({"INFO", "server"});
  const std::size_t pos = info.str.find("process_id:");
  if (pos == std::string::npos) return -1;
  return static_cast<pid_t>(std::stol(info.str.substr(pos + 11)));
}

// Stops a process and makes sure it is continued again, even when an assertion fails.
class Stopped {
 public:
  explicit Stopped(pid_t pid) : pid_(pid) { ::kill(pid_, SIGSTOP); }
  ~Stopped() { resume(); }
  void resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

TEST(CacheFault, KilledRedisDegradesAndTheBreakerSkipsIt) {
  RedisServer redis;
  // retry_after is far beyond the test: once open, the breaker must stay open.
  auto o = failing_options(redis.url(), "killed", 1h);
  auto cache = make_cache(o);
  ASSERT_NE(cache, nullptr);
  cache->set("k", "v", 1min);
  ASSERT_EQ(cache->get("k"), "v");
  EXPECT_EQ(degraded_gauge(o.service), "0");

  redis.kill_now();
  EXPECT_EQ(returns([&] { return cache->get("k"); }), std::nullopt);
  EXPECT_EQ(cache->state(), State::degraded);
  EXPECT_NE(cache->detail().find("degraded"), std::string::npos) << cache->detail();
  EXPECT_EQ(degraded_gauge(o.service), "1");

  int calls = 0;
  auto r = returns([&] { return cache->get_or_load("org:1", 1min, from_db("from db", &calls)); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "from db");
  EXPECT_EQ(calls, 1);
  returns([&] { cache->set("k2", "v", 1min); });
  returns([&] { cache->del("k2"); });
  EXPECT_EQ(cache->stats().pending_invalidations, 1u);
  const auto errors = cache->stats().errors;
  EXPECT_GE(errors, 4u);
  EXPECT_EQ(cache->stats().sets, 1u);

  // Redis is back, but the breaker is open for an hour: calls must not touch it.
  redis.start();
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(cache->get("k"), std::nullopt);
  EXPECT_EQ(cache->state(), State::degraded);
  EXPECT_EQ(cache->stats().reconnects, 0u);
  EXPECT_EQ(cache->stats().errors, errors + 20);
  RawRedis raw(redis.url());
  EXPECT_EQ(raw.cmd({"DBSIZE"}).integer, 0);  // nothing was written either
}

TEST(CacheFault, RestartedRedisIsUsedAgainWithoutRestartingTheService) {
  RedisServer redis;
  auto o = failing_options(redis.url(), "restart", 100ms);
  auto cache = make_cache(o);
  ASSERT_NE(cache, nullptr);
  cache->set("k", "v", 1min);
  redis.kill_now();
  (void)returns([&] { return cache->get("k"); });
  ASSERT_EQ(cache->state(), State::degraded);

  redis.start();  // same port, empty
  EXPECT_TRUE(wait_until(
      [&] {
        (void)cache->get("probe");
        return cache->state() == State::ok;
      },
      30s))
      << cache->detail();
  EXPECT_GE(cache->stats().reconnects, 1u);
  EXPECT_EQ(degraded_gauge(o.service), "0");
  EXPECT_NE(cache->detail().find("ok"), std::string::npos);

  int calls = 0;
  ASSERT_TRUE(cache->get_or_load("org:1", 1min, from_db("v1", &calls)).ok());
  auto again = cache->get_or_load("org:1", 1min, from_db("v1", &calls));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(calls, 1);  // hits resumed
  EXPECT_EQ(cache->get("org:1"), "v1");
}

TEST(CacheFault, StoppedRedisTimesOutThenRecoversAndReplaysInvalidations) {
  RedisServer redis;
  auto o = failing_options(redis.url(), "sigstop", 100ms);
  auto cache = make_cache(o);
  ASSERT_NE(cache, nullptr);
  const pid_t pid = redis_pid(redis.url());
  ASSERT_GT(pid, 0);
  cache->set("k", "old", 1h);
  ASSERT_EQ(cache->get("k"), "old");

  Stopped stopped(pid);
  EXPECT_EQ(returns([&] { return cache->get("k"); }), std::nullopt);
  EXPECT_EQ(cache->state(), State::degraded);

  // Many callers at once while Redis hangs: all return.
  std::vector<std::future<Result<std::string>>> calls;
  for (int i = 0; i < 16; ++i) {
    calls.push_back(std::async(std::launch::async, [&, i] {
      return cache->get_or_load("org:" + std::to_string(i % 3), 1min, from_db("db"));
    }));
  }
  for (auto& f : calls) {
    ASSERT_EQ(f.wait_for(kReturnsWithin), std::future_status::ready);
    auto r = f.get();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "db");
  }
  // The value changes in the database while Redis cannot hear about it.
  returns([&] { cache->del("k"); });
  EXPECT_EQ(cache->stats().pending_invalidations, 1u);
  EXPECT_EQ(cache->state(), State::degraded);

  stopped.resume();
  EXPECT_TRUE(wait_until(
      [&] {
        (void)cache->get("probe");
        return cache->state() == State::ok;
      },
      30s))
      << cache->detail();
  EXPECT_EQ(cache->stats().pending_invalidations, 0u);
  RawRedis raw(redis.url());
  EXPECT_EQ(raw.get(cache->key_prefix() + "k"), std::nullopt);  // "old" did not survive
  EXPECT_EQ(cache->get("k"), std::nullopt);
  cache->set("k", "new", 1min);
  EXPECT_EQ(cache->get("k"), "new");
}

// Captures what this process writes to stdout (the JSON log) between construction and text().
class StdoutCapture {
 public:
  StdoutCapture() : path_(dir_.file("stdout")) {
    std::fflush(stdout);
    saved_ = ::dup(STDOUT_FILENO);
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, STDOUT_FILENO);
    ::close(fd);
  }
  ~StdoutCapture() { restore(); }
  std::string text() {
    restore();
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stdout);
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
    saved_ = -1;
  }

  kai::testing::TempDir dir_;
  std::string path_;
  int saved_ = -1;
};

int count_lines(const std::string& text, std::string_view a, std::string_view b) {
  int n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(a) != std::string::npos && line.find(b) != std::string::npos) ++n;
  }
  return n;
}

TEST(CacheFault, LogsOncePerStateChangeNotPerRequest) {
  RedisServer redis;
  // A tiny retry_after: nearly every call below is a failing probe, none may log.
  auto o = failing_options(redis.url(), "logs", 1ms);
  auto cache = make_cache(o);
  ASSERT_NE(cache, nullptr);
  const std::string svc = "\"service\":\"" + o.service + "\"";
  std::string text;
  {
    StdoutCapture capture;
    redis.kill_now();
    for (int i = 0; i < 50; ++i) {
      (void)cache->get("k");
      cache->set("k", "v", 1min);
    }
    redis.start();
    wait_until(
        [&] {
          (void)cache->get("k");
          return cache->state() == State::ok;
        },
        30s);
    redis.kill_now();
    (void)cache->get("k");
    text = capture.text();
  }
  EXPECT_EQ(cache->state(), State::degraded);
  EXPECT_EQ(count_lines(text, "cache degraded", svc), 2) << text;
  EXPECT_EQ(count_lines(text, "cache recovered", svc), 1) << text;
  EXPECT_GE(cache->stats().errors, 100u);
}

struct Misbehaviour {
  const char* name;
  std::function<FakeReply(const std::vector<std::string>&)> reply;
  std::string greeting;
  bool get_fails;  // no GET through this server can succeed
  bool del_fails;  // no DEL through this server can succeed
};

std::vector<Misbehaviour> misbehaviours() {
  const auto always = [](std::string bytes, bool close = false) {
    return [bytes, close](const std::vector<std::string>&) { return FakeReply{bytes, close}; };
  };
  auto rng = std::make_shared<std::mt19937>(7);
  auto rng_mu = std::make_shared<std::mutex>();
  return {
      {"unknown type byte", always("hello world\r\n"), "", true, true},
      {"integer to everything", always(":42\r\n"), "", true, false},
      {"array", always("*2\r\n$1\r\na\r\n$1\r\nb\r\n"), "", true, true},
      {"nil array", always("*-1\r\n"), "", true, true},
      {"nested arrays", always("*1\r\n*1\r\n*1\r\n:1\r\n"), "", true, true},
      {"error to everything", always("-ERR go away\r\n"), "", true, true},
      {"two replies for one command", always("+PONG\r\n+OK\r\n"), "", true, true},
      {"closes at once", always("", true), "", true, true},
      {"never answers", always(""), "", true, true},
      {"partial bulk then silence", always("$5\r\nab"), "", true, true},
      {"huge bulk length then close", always("$99999999999\r\n", true), "", true, true},
      {"overlong status line", always("+" + std::string(100'000, 'a')), "", true, true},
      {"bulk beyond the value limit", always("$5000\r\n" + std::string(5000, 'x') + "\r\n"), "",
       true, true},
      {"greeting before any command", always("+PONG\r\n"), "+OK\r\n", true, true},
      {"negative bulk length", always("$-7\r\n"), "", false, true},
      {"random bytes",
       [rng, rng_mu](const std::vector<std::string>&) {
         std::lock_guard lock(*rng_mu);
         std::string bytes(1 + (*rng)() % 512, '\0');
         for (auto& c : bytes)
           c = static_cast<char>((*rng)());
         return FakeReply{bytes, (*rng)() % 4 == 0};
       },
       "", true, true},
  };
}

TEST(CacheFault, NonsenseFromTheServerNeverCrashesOrBlocks) {
  for (const auto& m : misbehaviours()) {
    SCOPED_TRACE(m.name);
    std::mutex mu;
    std::map<std::string, int> received;  // commands that reached the fake, by name
    FakeRedisServer fake(
        [&](const std::vector<std::string>& cmd) {
          {
            std::lock_guard lock(mu);
            ++received[cmd.at(0)];
          }
          return m.reply(cmd);
        },
        m.greeting);
    const auto seen = [&](const std::string& name) {
      std::lock_guard lock(mu);
      return received[name];
    };
    // Every call here is meant to fail, so short timeouts keep the test quick.
    auto o = failing_options(fake.url(), "garbage", 1ms, 200ms);
    o.max_value_bytes = 1000;
    auto cache = make_cache(o);
    ASSERT_NE(cache, nullptr);

    // Most calls are skipped by the open breaker; repeat each one until it has really been sent,
    // so that every command's reply goes through the garbage.
    const auto until_sent = [&](const std::string& name, const std::function<void()>& call) {
      const int before = seen(name);
      return wait_until(
          [&] {
            returns(call);
            return seen(name) > before;
          },
          30s);
    };
    EXPECT_TRUE(until_sent("GET", [&] { (void)cache->get("k"); }));
    EXPECT_TRUE(until_sent("SET", [&] { cache->set("k", "v", 1min); }));
    EXPECT_TRUE(until_sent("GET", [&] {
      auto r = cache->get_or_load("org:1", 1min, from_db("from db"));
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(*r, "from db");
    }));
    if (m.get_fails) {
      EXPECT_TRUE(until_sent("GET", [&] { EXPECT_EQ(cache->get("k"), std::nullopt); }));
      EXPECT_EQ(cache->state(), State::degraded);
      EXPECT_EQ(cache->stats().hits, 0u);
    }
    // Last, because an invalidation that fails is replayed before anything else is sent.
    EXPECT_TRUE(until_sent("DEL", [&] { cache->del("k", "other"); }));
    if (m.del_fails) {
      EXPECT_EQ(cache->stats().pending_invalidations, 2u);
      EXPECT_EQ(cache->get("k"), std::nullopt);  // pending: a miss without asking the server
      EXPECT_EQ(cache->state(), State::degraded);
    }
    EXPECT_GT(cache->stats().errors, 0u);
  }
}

TEST(CacheFault, ManyThreadsThroughAKillAndARestart) {
  RedisServer redis;
  auto o = failing_options(redis.url(), "churn", 20ms);
  auto cache = make_cache(o);
  ASSERT_NE(cache, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::atomic<int> ops{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string key = "k" + std::to_string((i + t) % 11);
        const std::string expect = "value-of-" + key;
        auto r = cache->get_or_load(key, 1min, from_db(expect));
        if (!r.ok() || *r != expect) ++wrong;
        if (i % 5 == 0) cache->del(key);
        ++ops;
      }
    });
  }
  const auto progressed = [&](int n) {
    const int start = ops.load();
    return wait_until([&] { return ops.load() >= start + n; }, 30s);
  };
  EXPECT_TRUE(progressed(200));
  redis.kill_now();
  EXPECT_TRUE(wait_until([&] { return cache->state() == State::degraded; }, 30s));
  EXPECT_TRUE(progressed(200));
  redis.start();
  EXPECT_TRUE(wait_until([&] { return cache->state() == State::ok; }, 30s)) << cache->detail();
  EXPECT_TRUE(progressed(200));
  stop = true;
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace kai::cache
