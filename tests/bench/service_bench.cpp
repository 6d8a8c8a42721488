// kai-service-bench: the service chassis benchmark. In one run on this machine it starts a
// kai-broker, a redis-server and the sample ledger service (tests/tools/sample_service), and
// measures
//   writes: durable entry.add writes/s through the broker into SQLite (group commit, many in
//           flight, each with its idempotency key and outbox event), beside a raw SQLite insert
//           loop in the same run (one transaction per insert, WAL, synchronous=FULL);
//   reads:  entry.get latency (one request in flight, through the broker) for cache misses
//           (database read + Redis SET) and cache hits, beside `redis-benchmark -t get` against
//           the same redis-server.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <sqlite3.h>
#include <unistd.h>
#include <zmq.hpp>

#include "bus/client.hpp"
#include "common/config.hpp"
#include "sample_schema/ledger.hpp"
#include "sample_service/sample_process.hpp"
#include "service/service_test_util.hpp"
#include "support/cluster.hpp"
#include "support/process.hpp"

using namespace kai;
using Clock = std::chrono::steady_clock;
using std::chrono::duration;
namespace ledger = kai::sample::ledger;

namespace {

struct Latency {
  double p50_us = 0;
  double p99_us = 0;
};

Latency percentiles(std::vector<double> us) {
  if (us.empty()) return {};
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

// Durable writes through the bus with `window` requests in flight for `seconds`.
double bus_writes_per_second(bus::Client& client, int window, double seconds, int& failures) {
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  long done = 0;
  int failed = 0;
  const std::string account = "bench";
  const auto deadline = Clock::now() + duration<double>(seconds);
  const auto start = Clock::now();
  long issued = 0;
  while (Clock::now() < deadline) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight < window; });
      ++in_flight;
    }
    bus::CallOptions o;
    o.write = true;
    o.timeout = std::chrono::seconds(30);
    o.max_attempts = 1;
    const std::string payload = encode(ledger::EntryAddRequest{
        .account = account, .amount = 1, .note = "n" + std::to_string(issued++)});
    client.call_async("ledger", "entry.add", payload, o, [&](bus::Reply&& r) {
      std::lock_guard lock(mu);
      --in_flight;
      ++done;
      if (!r.status.ok()) ++failed;
      cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return in_flight == 0; });
  const double elapsed = duration<double>(Clock::now() - start).count();
  failures = failed;
  return static_cast<double>(done - failed) / elapsed;
}

// One transaction per insert, WAL, synchronous=FULL: what a naive durable service does.
double raw_sqlite_inserts_per_second(const std::string& path, double seconds) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return 0;
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE entry(id INTEGER PRIMARY KEY, account TEXT NOT NULL, "
               "amount INTEGER NOT NULL, note TEXT, created_at INTEGER NOT NULL)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO entry(account, amount, note, created_at) VALUES(?,?,?,?)", -1,
                     &st, nullptr);
  const auto start = Clock::now();
  const auto deadline = start + duration<double>(seconds);
  long n = 0;
  while (Clock::now() < deadline) {
    const std::string note = "n" + std::to_string(n);
    sqlite3_bind_text(st, 1, "bench", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, 1);
    sqlite3_bind_text(st, 3, note.c_str(), static_cast<int>(note.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, n);
    if (sqlite3_step(st) != SQLITE_DONE) break;  // autocommit: one transaction per insert
    sqlite3_reset(st);
    ++n;
  }
  const double elapsed = duration<double>(Clock::now() - start).count();
  sqlite3_finalize(st);
  sqlite3_close(db);
  return static_cast<double>(n) / elapsed;
}

// entry.get of each id once, one request in flight; client-side latency.
Latency read_latency(bus::Client& client, const std::vector<std::int64_t>& ids, int& failures) {
  std::vector<double> us;
  us.reserve(ids.size());
  for (const std::int64_t id : ids) {
    const std::string payload = encode(ledger::EntryGetRequest{.id = id});
    const auto t0 = Clock::now();
    bus::Reply r = client.call("ledger", "entry.get", payload);
    us.push_back(duration<double, std::micro>(Clock::now() - t0).count());
    if (!r.status.ok()) ++failures;
  }
  return percentiles(std::move(us));
}

struct RedisBenchmark {
  double rps = 0;
  double p50_us = 0;
  double p99_us = 0;
  bool ok = false;
};

// redis-benchmark -t get with one client (latency) against the same server, parsed from --csv.
RedisBenchmark redis_benchmark(int port, int requests) {
  kai::testing::Process p("/usr/bin/redis-benchmark",
                          {"-p", std::to_string(port), "-t", "get", "-n", std::to_string(requests),
                           "-c", "1", "--csv"});
  RedisBenchmark out;
  if (p.wait(std::chrono::minutes(5)) != 0) return out;
  std::istringstream lines(p.output());
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("\"GET\"")) continue;
    std::vector<std::string> cols;
    std::string cell;
    std::istringstream row(line);
    while (std::getline(row, cell, ',')) {
      cols.push_back(cell.size() >= 2 ? cell.substr(1, cell.size() - 2) : cell);
    }
    // test, rps, avg, min, p50, p95, p99, max (milliseconds)
    if (cols.size() < 8) continue;
    out.rps = std::stod(cols[1]);
    out.p50_us = std::stod(cols[4]) * 1000;
    out.p99_us = std::stod(cols[6]) * 1000;
    out.ok = true;
  }
  return out;
}

}  // namespace

int run_bench(int argc, char** argv) {
  const Config cfg = Config::load_or_exit(
      "kai-service-bench",
      "service chassis benchmark: durable writes through the bus vs raw SQLite, cached reads vs "
      "redis-benchmark",
      {
          {"seconds", "5", "duration of each throughput run", SettingKind::integer, 1, 3600},
          {"window", "512", "write requests in flight", SettingKind::integer, 1, 100000},
          {"worker-slots", "16", "the ledger's worker slots", SettingKind::integer, 1, 1024},
          {"worker-credit", "16", "requests each ledger worker connection takes at once",
           SettingKind::integer, 1, 1024},
          {"reads", "2000", "entries read for each of the miss and hit runs", SettingKind::integer,
           10, 1000000},
      },
      argc, argv);
  const double seconds = static_cast<double>(cfg.integer("seconds"));
  const int window = static_cast<int>(cfg.integer("window"));
  const int reads = static_cast<int>(cfg.integer("reads"));

  kai::testing::TempDir dir;
  kai::testing::BrokerProcess broker;
  kai::testing::RedisServer redis;
  kai::sample::testing::SampleService svc({
      .program = "kai-sample-ledger",
      .data_dir = dir.path() + "/ledger",
      .broker = broker.endpoint(),
      .events_pub = broker.xsub_endpoint(),
      .events_sub = broker.xpub_endpoint(),
      .redis_url = redis.url(),
      .extra_args = {"--worker-slots=" + std::to_string(cfg.integer("worker-slots")),
                     "--worker-credit=" + std::to_string(cfg.integer("worker-credit")),
                     "--log-level=info"},
  });
  zmq::context_t ctx;
  bus::Client client(ctx, bus::ClientOptions{{broker.endpoint()}, {}, 4 << 20});
  // Warm up: the first requests wait for the workers' READY to reach the broker.
  if (!kai::testing::wait_until([&] {
        return client.call("ledger", "entry.get", encode(ledger::EntryGetRequest{.id = 1}))
                   .status.code() == StatusCode::not_found;
      })) {
    std::fprintf(stderr, "the ledger does not answer\n");
    return 1;
  }

  std::printf("kai-service-bench (%.0f s runs, %d writes in flight)\n", seconds, window);
  int write_failures = 0;
  const double ledger_cpu0 = testing::process_cpu_us(svc.process().pid());
  const double broker_cpu0 = testing::process_cpu_us(broker.process().pid());
  const auto writes_start = Clock::now();
  const double bus_writes = bus_writes_per_second(client, window, seconds, write_failures);
  const double written = bus_writes * duration<double>(Clock::now() - writes_start).count();
  const double ledger_cpu = (testing::process_cpu_us(svc.process().pid()) - ledger_cpu0) / written;
  const double broker_cpu =
      (testing::process_cpu_us(broker.process().pid()) - broker_cpu0) / written;
  const double raw_inserts = raw_sqlite_inserts_per_second(dir.file("raw.db"), seconds);
  const std::string batch_series = R"(kai_db_write_batch_size_sum{service="ledger"})";
  const std::string batches_series = R"(kai_db_write_batch_size_count{service="ledger"})";
  const std::string m = svc.metrics();
  const double batch_sum = svc::testing::metric_value(m, batch_series);
  const double batch_count = svc::testing::metric_value(m, batches_series);
  std::printf("writes (durable: fsync'd commit, idempotency key and outbox event per write)\n");
  std::printf("  %-52s %10.0f writes/s  (%d failed)\n",
              "entry.add through kai-broker, group commit", bus_writes, write_failures);
  if (batch_count > 0) {
    std::printf("  %-52s %10.1f writes/commit\n", "  mean group-commit batch",
                batch_sum / batch_count);
  }
  std::printf("  %-52s %10.1f us ledger, %.1f us broker\n", "  CPU per write", ledger_cpu,
              broker_cpu);
  std::printf("  %-52s %10.0f inserts/s\n", "raw SQLite, one transaction per insert (WAL, FULL)",
              raw_inserts);
  std::printf("  ratio %.1fx; target above 5000 writes/s: %s\n",
              raw_inserts > 0 ? bus_writes / raw_inserts : 0.0,
              bus_writes > 5000 ? "met" : "NOT met");

  // Reads: ids that exist and were never read (misses), then the same ids again (hits).
  std::vector<std::int64_t> ids;
  for (int i = 0; i < reads; ++i) {
    auto r = kai::sample::testing::call<ledger::EntryAdd>(
        client, {.account = "reads", .amount = i, .note = std::nullopt});
    if (r.ok()) ids.push_back(r->id);
  }
  const std::string hits = R"(kai_cache_requests_total{result="hit",service="ledger"})";
  const std::string misses = R"(kai_cache_requests_total{result="miss",service="ledger"})";
  const double hits0 = svc.metric(hits);
  const double misses0 = svc.metric(misses);
  int read_failures = 0;
  const Latency miss = read_latency(client, ids, read_failures);
  const double misses1 = svc.metric(misses);
  const Latency hit = read_latency(client, ids, read_failures);
  const double hits1 = svc.metric(hits);
  const RedisBenchmark rb = redis_benchmark(redis.port(), 50'000);
  std::printf(
      "cached reads (entry.get, 1 in flight, client to service and back through kai-broker)\n");
  std::printf("  %-52s p50 %8.1f us   p99 %8.1f us   (%0.f misses)\n",
              "cache miss (SQLite read + SET)", miss.p50_us, miss.p99_us, misses1 - misses0);
  std::printf("  %-52s p50 %8.1f us   p99 %8.1f us   (%0.f hits)\n", "cache hit", hit.p50_us,
              hit.p99_us, hits1 - hits0);
  if (rb.ok) {
    std::printf("  %-52s p50 %8.1f us   p99 %8.1f us   %10.0f req/s\n",
                "redis-benchmark -t get -c 1 (same redis-server)", rb.p50_us, rb.p99_us, rb.rps);
  } else {
    std::printf("  redis-benchmark failed\n");
  }
  std::printf("  read failures: %d\n", read_failures);
  return write_failures == 0 && read_failures == 0 && rb.ok ? 0 : 1;
}

int main(int argc, char** argv) {
  // Exceptions from the harness (a process that does not start) unwind here, so every process
  // the benchmark started is stopped by its destructor.
  try {
    return run_bench(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kai-service-bench: %s\n", e.what());
    return 1;
  }
}
