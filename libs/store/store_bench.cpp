// store_bench: what the storage layer costs.
//   1. durable group-committed writes/s from 32 threads (SQLite, then PostgreSQL)
//   2. the same rows written the naive way: one transaction per insert (raw SQLite loop, and the
//      store with max_batch=1 from the same 32 threads)
//   3. primary-key read latency through Database::read (cached prepared statement)
// Usage: store_bench [--seconds N] [--no-postgres]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include "common/log.hpp"
#include "ops/metrics.hpp"
#include "store/database.hpp"
#include "store/pg_server.hpp"
#include "support/process.hpp"

namespace {

using kai::Status;
using kai::store::Blob;
using kai::store::Database;
using kai::store::Migration;
using kai::store::StoreOptions;
using kai::store::Tx;
using Clock = std::chrono::steady_clock;

constexpr Migration kSchema[] = {
    {.version = 1,
     .name = "bench",
     .sql = "CREATE TABLE bench (id BIGINT PRIMARY KEY, owner BIGINT NOT NULL, payload BLOB)",
     .postgres =
         "CREATE TABLE bench (id BIGINT PRIMARY KEY, owner BIGINT NOT NULL, payload BYTEA)"},
};

const std::string kPayload(200, 'p');  // about the size of an encoded organisation

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct BatchStats {
  std::uint64_t count = 0;
  double sum = 0;
};
BatchStats batch_stats(const std::string& service) {
  for (const auto& f : kai::ops::registry().Collect()) {
    if (f.name != "kai_db_write_batch_size") continue;
    for (const auto& m : f.metric) {
      for (const auto& l : m.label) {
        if (l.name == "service" && l.value == service) {
          return {m.histogram.sample_count, m.histogram.sample_sum};
        }
      }
    }
  }
  return {};
}

// `threads` writers each inserting rows for `seconds`; returns acknowledged writes per second.
double concurrent_writes(Database& db, const std::string& service, int threads, double seconds,
                         std::atomic<std::int64_t>& next_id, const char* label) {
  const BatchStats before = batch_stats(service);
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> done{0};
  std::atomic<std::int64_t> failed{0};
  std::vector<std::thread> pool;
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (!stop.load(std::memory_order_relaxed)) {
        const std::int64_t id = next_id.fetch_add(1);
        const Status s = db.write([&](Tx& tx) {
          return tx.exec("INSERT INTO bench(id, owner, payload) VALUES (?, ?, ?)",
                         {id, t, Blob{kPayload}});
        });
        (s.ok() ? done : failed).fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measuring window
  stop = true;
  for (auto& th : pool)
    th.join();
  const double elapsed = seconds_since(t0);
  const BatchStats after = batch_stats(service);
  const double batches = static_cast<double>(after.count - before.count);
  const double rate = static_cast<double>(done.load()) / elapsed;
  std::printf("%-58s %9.0f writes/s  (%lld writes, %lld failed, mean batch %.1f)\n", label, rate,
              static_cast<long long>(done.load()), static_cast<long long>(failed.load()),
              batches > 0 ? (after.sum - before.sum) / batches : 0.0);
  return rate;
}

// The baseline a service without group commit would get: BEGIN; INSERT; COMMIT per row.
void naive_sqlite_loop(const std::string& path, double seconds) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    std::printf("naive loop: cannot open %s\n", path.c_str());
    return;
  }
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE bench (id INTEGER PRIMARY KEY, owner INTEGER, payload BLOB)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* insert = nullptr;
  sqlite3_stmt* commit = nullptr;
  sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO bench(id, owner, payload) VALUES (?, 0, ?)", -1, &insert,
                     nullptr);
  sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nullptr);
  std::int64_t n = 0;
  const auto t0 = Clock::now();
  while (seconds_since(t0) < seconds) {
    sqlite3_step(begin);
    sqlite3_reset(begin);
    sqlite3_bind_int64(insert, 1, ++n);
    sqlite3_bind_blob(insert, 2, kPayload.data(), static_cast<int>(kPayload.size()), SQLITE_STATIC);
    sqlite3_step(insert);
    sqlite3_reset(insert);
    sqlite3_step(commit);
    sqlite3_reset(commit);
  }
  const double elapsed = seconds_since(t0);
  std::printf("%-58s %9.0f writes/s  (%lld writes)\n",
              "sqlite naive loop, 1 thread, 1 txn per insert (baseline)",
              static_cast<double>(n) / elapsed, static_cast<long long>(n));
  sqlite3_finalize(begin);
  sqlite3_finalize(insert);
  sqlite3_finalize(commit);
  sqlite3_close(db);
}

void pk_reads(Database& db, std::int64_t max_id, int iterations, const char* label) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> pick(1, max_id);
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(iterations));
  std::int64_t misses = 0;
  for (int i = 0; i < iterations; ++i) {
    const std::int64_t id = pick(rng);
    const auto t0 = Clock::now();
    const Status s = db.read([&](Tx& tx) -> Status {
      auto row = tx.query_one("SELECT owner, payload FROM bench WHERE id = ?", {id});
      if (!row.ok()) return row.status();
      if (!*row) ++misses;
      return Status::Ok();
    });
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    if (!s.ok()) ++misses;
  }
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double v : us)
    sum += v;
  auto pct = [&](double p) { return us[static_cast<std::size_t>(p * (us.size() - 1))]; };
  std::printf("%-58s mean %.1f us, p50 %.1f us, p99 %.1f us  (%d reads, %lld misses)\n", label,
              sum / us.size(), pct(0.5), pct(0.99), iterations, static_cast<long long>(misses));
}

// The floor under pk_reads: the same transaction done directly on a raw SQLite connection.
void raw_sqlite_reads(const std::string& path, std::int64_t max_id, int iterations) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::printf("raw reads: cannot open %s\n", path.c_str());
    sqlite3_close(db);
    return;
  }
  sqlite3_exec(db, "PRAGMA cache_size=-16384", nullptr, nullptr, nullptr);
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* select = nullptr;
  sqlite3_stmt* end = nullptr;
  sqlite3_prepare_v2(db, "BEGIN", -1, &begin, nullptr);
  sqlite3_prepare_v2(db, "SELECT owner, payload FROM bench WHERE id = ?", -1, &select, nullptr);
  sqlite3_prepare_v2(db, "ROLLBACK", -1, &end, nullptr);
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> pick(1, max_id);
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(iterations));
  std::int64_t found = 0;
  for (int i = 0; i < iterations; ++i) {
    const auto t0 = Clock::now();
    sqlite3_step(begin);
    sqlite3_reset(begin);
    sqlite3_bind_int64(select, 1, pick(rng));
    if (sqlite3_step(select) == SQLITE_ROW) {
      found += sqlite3_column_int64(select, 0) >= 0 ? 1 : 0;
      (void)sqlite3_column_blob(select, 1);
    }
    sqlite3_reset(select);
    sqlite3_step(end);
    sqlite3_reset(end);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double v : us)
    sum += v;
  std::printf("%-58s mean %.1f us, p50 %.1f us, p99 %.1f us  (%d reads, %lld found)\n",
              "sqlite raw C API, same read transaction (floor)", sum / us.size(), us[us.size() / 2],
              us[static_cast<std::size_t>(0.99 * (us.size() - 1))], iterations,
              static_cast<long long>(found));
  sqlite3_finalize(begin);
  sqlite3_finalize(select);
  sqlite3_finalize(end);
  sqlite3_close(db);
}

void parallel_reads(Database& db, std::int64_t max_id, int threads, double seconds,
                    const char* label) {
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> done{0};
  std::vector<std::thread> pool;
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<unsigned>(t));
      std::uniform_int_distribution<std::int64_t> pick(1, max_id);
      std::int64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const std::int64_t id = pick(rng);
        (void)db.read([&](Tx& tx) {
          return tx.query_one("SELECT owner, payload FROM bench WHERE id = ?", {id}).status();
        });
        ++n;
      }
      done.fetch_add(n);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measuring window
  stop = true;
  for (auto& th : pool)
    th.join();
  std::printf("%-58s %9.0f reads/s\n", label, static_cast<double>(done.load()) / seconds_since(t0));
}

void run_suite(const StoreOptions& base, const char* name, double seconds, bool naive_store) {
  StoreOptions o = base;
  o.service = std::string("bench-") + name;
  auto db = Database::open(o);
  if (!db.ok()) {
    std::printf("%s: cannot open: %s\n", name, db.status().to_string().c_str());
    return;
  }
  if (Status s = (*db)->migrate("bench", kSchema); !s.ok()) {
    std::printf("%s: migrate: %s\n", name, s.to_string().c_str());
    return;
  }
  std::atomic<std::int64_t> next_id{1};
  const std::string label32 = std::string(name) + " group commit, 32 threads, durable";
  concurrent_writes(**db, o.service, 32, seconds, next_id, label32.c_str());
  const std::string label1 = std::string(name) + " group commit, 1 thread (latency bound)";
  concurrent_writes(**db, o.service, 1, seconds / 2, next_id, label1.c_str());
  const std::int64_t rows = next_id.load() - 1;  // ids 1..rows are all in this database
  if (naive_store) {
    // The same rows into a second file, one transaction per write: group commit switched off.
    StoreOptions n = o;
    n.service = o.service + "-batch1";
    n.max_batch = 1;
    auto single = Database::open(n);
    if (single.ok() && (*single)->migrate("bench", kSchema).ok()) {
      std::atomic<std::int64_t> ids{1};
      const std::string label = std::string(name) + " store with max_batch=1, 32 threads";
      concurrent_writes(**single, n.service, 32, seconds, ids, label.c_str());
    }
  }
  const std::string read_label = std::string(name) + " primary-key read via read(), 1 thread";
  pk_reads(**db, rows, 100000, read_label.c_str());
  if (!o.data_dir.empty()) {
    raw_sqlite_reads(o.data_dir + "/" + o.service + ".db", rows, 100000);
  }
  const std::string par_label = std::string(name) + " primary-key reads, 4 threads";
  parallel_reads(**db, rows, 4, seconds / 2, par_label.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  bool postgres = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::max(0.5, std::atof(argv[++i]));
    } else if (std::strcmp(argv[i], "--no-postgres") == 0) {
      postgres = false;
    } else {
      std::fprintf(stderr, "usage: %s [--seconds N] [--no-postgres]\n", argv[0]);
      return 2;
    }
  }
  kai::log::init("store_bench", kai::log::Level::warn);
  kai::testing::TempDir dir;
  std::printf("store_bench: %u hardware threads, %.1f s per measurement, data in %s\n",
              std::thread::hardware_concurrency(), seconds, dir.path().c_str());

  StoreOptions sqlite;
  sqlite.data_dir = dir.path() + "/sqlite";
  run_suite(sqlite, "sqlite", seconds, true);
  naive_sqlite_loop(dir.path() + "/naive.db", seconds);

  if (postgres) {
    auto server = kai::store::testing::PgServer::start();
    if (!server.ok()) {
      std::printf("postgres: cannot start a server: %s\n", server.status().to_string().c_str());
      return 1;
    }
    auto url = (*server)->create_database();
    if (!url.ok()) {
      std::printf("postgres: %s\n", url.status().to_string().c_str());
      return 1;
    }
    StoreOptions pg;
    pg.db_url = *url;
    run_suite(pg, "postgres", seconds, false);
  }
  return 0;
}
