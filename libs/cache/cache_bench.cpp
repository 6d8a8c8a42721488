// cache_bench: get() hit latency (p50/p99) and throughput from 1 and 8 threads against a real
// redis-server started for the run, next to `redis-benchmark -t get` against the same server as
// the baseline of what Redis itself delivers on this machine.
//
//   build-cache/bench/cache_bench [requests per run, default 100000]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "cache/cache.hpp"
#include "common/log.hpp"
#include "support/process.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Figures {
  double p50_us = 0;
  double p99_us = 0;
  double per_second = 0;
  std::uint64_t misses = 0;
};

Figures run(kai::cache::Cache& cache, int threads, int total) {
  const int per_thread = total / threads;
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(threads));
  std::vector<std::uint64_t> misses(static_cast<std::size_t>(threads), 0);
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto& mine = lat[static_cast<std::size_t>(t)];
      mine.reserve(static_cast<std::size_t>(per_thread));
      for (int i = 0; i < per_thread; ++i) {
        const auto t0 = Clock::now();
        auto v = cache.get("bench:key");
        const auto t1 = Clock::now();
        if (!v) ++misses[static_cast<std::size_t>(t)];
        mine.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      }
    });
  }
  for (auto& w : workers)
    w.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : lat)
    all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Figures f;
  f.p50_us = all[all.size() / 2];
  f.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  f.per_second = static_cast<double>(all.size()) / seconds;
  for (auto m : misses)
    f.misses += m;
  return f;
}

// The summary line of `redis-benchmark -q` (it rewrites progress lines with '\r').
std::string redis_benchmark(int port, std::vector<std::string> extra) {
  std::vector<std::string> args{"-h", "127.0.0.1", "-p", std::to_string(port), "-t", "get",
                                "-n", "100000",    "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  kai::testing::Process p("/usr/bin/redis-benchmark", args);
  if (!p.wait(120s)) return "(redis-benchmark did not finish)";
  const std::string out = p.output();
  const std::size_t pos = out.rfind("GET: ");
  if (pos == std::string::npos) return "(no figure in redis-benchmark output: " + out + ")";
  std::string line = out.substr(pos, out.find_first_of("\r\n", pos) - pos);
  while (!line.empty() && line.back() == ' ')
    line.pop_back();
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  const int total = argc > 1 ? std::max(1000, std::atoi(argv[1])) : 100'000;
  kai::log::init("cache_bench", kai::log::Level::warn);
  kai::testing::RedisServer redis;

  kai::cache::CacheOptions o;
  o.url = redis.url();
  o.service = "bench";
  o.op_timeout = 1s;  // a scheduling hiccup must not trip the breaker mid-run
  o.connect_timeout = 1s;
  o.pool_size = 8;
  auto created = kai::cache::Cache::create(o);
  if (!created.ok()) {
    std::fprintf(stderr, "cache: %s\n", created.status().to_string().c_str());
    return 1;
  }
  auto& cache = **created;
  cache.set("bench:key", "xxx", 1h);  // 3 bytes, redis-benchmark's default value size
  (void)run(cache, 8, 20'000);        // warm-up: fills the pool, faults in pages

  std::printf("cache_bench: get() hits, 3-byte value, %d requests per run, redis %s\n", total,
              redis.url().c_str());
  for (const int threads : {1, 8}) {
    const Figures f = run(cache, threads, total);
    std::printf("  kai::cache get  %d thread%s: %9.0f req/s  p50 %6.1f us  p99 %6.1f us%s\n",
                threads, threads == 1 ? " " : "s", f.per_second, f.p50_us, f.p99_us,
                f.misses == 0 ? "" : "  (MISSES: results invalid)");
  }
  std::printf("  baseline, same server:\n");
  std::printf("    redis-benchmark -t get -n 100000 -q        : %s\n",
              redis_benchmark(redis.port(), {}).c_str());
  std::printf("    redis-benchmark -t get -n 100000 -q -c 1   : %s\n",
              redis_benchmark(redis.port(), {"-c", "1"}).c_str());
  std::printf("    redis-benchmark -t get -n 100000 -q -c 8   : %s\n",
              redis_benchmark(redis.port(), {"-c", "8"}).c_str());
  std::printf("  cache state: %s (%s)\n",
              std::string(kai::cache::state_name(cache.state())).c_str(), cache.detail().c_str());
  return 0;
}
