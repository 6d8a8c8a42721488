// The backend-neutral Database: a writer thread doing group commit on one connection, a pool of
// read connections, migrations and metrics. Backends only supply connections (connection.hpp).
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "common/log.hpp"
#include "common/time.hpp"
#include "ops/metrics.hpp"
#include "store/connection.hpp"
#include "store/database.hpp"
#include "store/runtime.hpp"

namespace kai::store {
namespace {

using detail::Connection;
using detail::Driver;
using detail::Role;

struct MetricFamilies {
  prometheus::Family<prometheus::Counter>& batches;
  prometheus::Family<prometheus::Histogram>& batch_size;
  prometheus::Family<prometheus::Histogram>& commit_seconds;
  prometheus::Family<prometheus::Counter>& errors;
};

const MetricFamilies& families() {
  static const MetricFamilies f{
      prometheus::BuildCounter()
          .Name("kai_db_write_batches_total")
          .Help("Write transactions committed (or attempted) by the group-commit writer")
          .Register(ops::registry()),
      prometheus::BuildHistogram()
          .Name("kai_db_write_batch_size")
          .Help("Write functions per group-commit transaction")
          .Register(ops::registry()),
      prometheus::BuildHistogram()
          .Name("kai_db_commit_seconds")
          .Help("Time taken by COMMIT of a write batch (includes the fsync)")
          .Register(ops::registry()),
      prometheus::BuildCounter()
          .Name("kai_db_errors_total")
          .Help("Database errors by kind (a status code name for statement errors; begin, "
                "commit, connect, exception, transaction_lost)")
          .Register(ops::registry()),
  };
  return f;
}

class Metrics {
 public:
  explicit Metrics(const std::string& service)
      : service_(service),
        batches_(families().batches.Add({{"service", service}})),
        batch_size_(families().batch_size.Add(
            {{"service", service}},
            prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024})),
        commit_seconds_(
            families().commit_seconds.Add({{"service", service}}, ops::latency_buckets())) {}

  void batch(std::size_t size, double commit_s) {
    batches_.Increment();
    batch_size_.Observe(static_cast<double>(size));
    if (commit_s >= 0) commit_seconds_.Observe(commit_s);
  }
  void error(std::string_view kind) {
    families().errors.Add({{"service", service_}, {"kind", std::string(kind)}}).Increment();
  }

 private:
  std::string service_;
  prometheus::Counter& batches_;
  prometheus::Histogram& batch_size_;
  prometheus::Histogram& commit_seconds_;
};

// Which Database's writer thread this is (write() from it would wait for itself), and which
// Databases this thread is reading from (a nested read could exhaust the pool).
thread_local const void* tl_writer_of = nullptr;
thread_local std::vector<const void*> tl_reading;

// Runs a unit of work, turning an exception from domain code into a status: nothing escapes.
Status run_unit(const std::function<Status(Tx&)>& fn, Connection& conn, bool* threw) {
  Status s;
  try {
    s = fn(conn);
  } catch (const std::exception& e) {
    *threw = true;
    s = internal_error(std::string("store: the function threw: ") + e.what());
  } catch (...) {
    *threw = true;
    s = internal_error("store: the function threw a non-standard exception");
  }
  if (s.ok() && !conn.first_error().ok()) s = conn.first_error();
  return s;
}

Status with_context(const Status& s, const std::string& context) {
  return Status(s.code(), context + ": " + s.message(), s.field());
}

class PooledDatabase final : public Database {
 public:
  PooledDatabase(const StoreOptions& opts, std::unique_ptr<Driver> driver)
      : opts_(opts), driver_(std::move(driver)), metrics_(opts.service) {}

  ~PooledDatabase() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (writer_thread_.joinable()) writer_thread_.join();
  }

  Status start() {
    auto w = driver_->connect(Role::writer);
    if (!w.ok()) {
      metrics_.error("connect");
      return w.status();
    }
    writer_ = std::move(*w);
    for (int i = 0; i < opts_.read_pool_size; ++i) {
      auto r = driver_->connect(Role::reader);
      if (!r.ok()) {
        metrics_.error("connect");
        return r.status();
      }
      idle_.push_back(Reader{std::move(*r), 0});
    }
    writer_thread_ = std::thread([this] { writer_loop(); });
    KAI_RETURN_IF_ERROR(migrate(kRuntimeComponent, runtime_migrations()));
    // The migration check wrote (or at least opened the WAL): make the files' names durable.
    KAI_RETURN_IF_ERROR(driver_->sync_storage());
    log::info("store open")
        .kv("service", opts_.service)
        .kv("db", driver_->describe())
        .kv("read_pool", opts_.read_pool_size)
        .kv("max_batch", opts_.max_batch);
    return Status::Ok();
  }

  Dialect dialect() const override { return driver_->dialect(); }

  Status read(const ReadFn& fn) override {
    if (std::find(tl_reading.begin(), tl_reading.end(), this) != tl_reading.end()) {
      return failed_precondition("store: read() called from inside a read() of the same database");
    }
    Reader reader = acquire();
    tl_reading.push_back(this);
    Status s = read_on(*reader.conn, fn);
    tl_reading.pop_back();
    release(std::move(reader));
    return s;
  }

  Status write(const WriteFn& fn) override {
    if (tl_writer_of == this) {
      return failed_precondition(
          "store: write() called on the writer thread (from a write function or a write_async "
          "callback); it would wait for itself");
    }
    std::promise<Status> promise;
    std::future<Status> result = promise.get_future();
    // fn outlives the call because this function waits for it.
    write_async([&fn](Tx& tx) { return fn(tx); },
                [&promise](Status s) { promise.set_value(std::move(s)); });
    return result.get();
  }

  void write_async(WriteFn fn, DoneFn done) override {
    if (!done) done = [](const Status&) {};
    Status refused;
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) {
        refused = unavailable("store: the database is closing");
      } else if (!fn) {
        refused = invalid_argument("store: empty write function");
      } else if (queue_.size() >= static_cast<std::size_t>(opts_.max_queued_writes)) {
        refused = resource_exhausted("store: " + std::to_string(queue_.size()) +
                                     " writes already queued");
      } else {
        queue_.push_back(Pending{std::move(fn), std::move(done)});
      }
    }
    if (!refused.ok()) {
      metrics_.error(status_code_name(refused.code()));
      done(std::move(refused));
      return;
    }
    queue_cv_.notify_one();
  }

  Status migrate(std::string_view component, std::span<const Migration> migrations) override {
    if (component.empty()) return invalid_argument("migrate: empty component", "component");
    std::int64_t prev = 0;
    for (const Migration& m : migrations) {
      if (m.version <= prev) {
        return invalid_argument("migrate " + std::string(component) + ": version " +
                                    std::to_string(m.version) + " is not above " +
                                    std::to_string(prev) +
                                    " (versions must be positive and strictly "
                                    "increasing)",
                                "version");
      }
      if (m.name.empty()) {
        return invalid_argument("migrate " + std::string(component) + ": version " +
                                    std::to_string(m.version) + " has no name",
                                "name");
      }
      prev = m.version;
    }
    std::lock_guard lock(conn_mu_);
    Status s = migrate_locked(std::string(component), migrations);
    if (!s.ok()) {
      metrics_.error("migration");
      log::error("migration refused or failed")
          .kv("service", opts_.service)
          .kv("component", component)
          .kv("error", s.to_string());
    }
    return s;
  }

  HealthReport health() override {
    Status s = read([](Tx& tx) { return tx.query_one("SELECT 1").status(); });
    if (!s.ok()) return {false, "database read failed: " + s.to_string()};
    std::lock_guard lock(health_mu_);
    if (!last_commit_.ok()) return {false, "last commit failed: " + last_commit_.to_string()};
    return {true, driver_->describe()};
  }

 private:
  struct Pending {
    WriteFn fn;
    DoneFn done;
  };
  struct Reader {
    std::unique_ptr<Connection> conn;
    std::uint64_t schema_epoch;
  };

  Reader acquire() {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [this] { return !idle_.empty(); });
    Reader r = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    const std::uint64_t epoch = schema_epoch_.load(std::memory_order_acquire);
    if (r.schema_epoch != epoch) {
      r.conn->clear_statement_cache();
      r.schema_epoch = epoch;
    }
    return r;
  }

  void release(Reader r) {
    {
      std::lock_guard lock(pool_mu_);
      idle_.push_back(std::move(r));
    }
    pool_cv_.notify_one();
  }

  // Reconnects a broken session (PostgreSQL after a server restart or network loss).
  Status ensure_connected(Connection& conn) {
    if (!conn.broken()) return Status::Ok();
    Status s = conn.reconnect();
    if (!s.ok()) metrics_.error("connect");
    return s;
  }

  // BEGIN, reconnecting once when the session turns out to be dead.
  template <typename Begin>
  Status begin(Connection& conn, Begin&& do_begin) {
    KAI_RETURN_IF_ERROR(ensure_connected(conn));
    Status s = do_begin();
    if (!s.ok() && conn.broken()) {
      KAI_RETURN_IF_ERROR(ensure_connected(conn));
      s = do_begin();
    }
    if (!s.ok()) metrics_.error("begin");
    return s;
  }

  Status read_on(Connection& conn, const ReadFn& fn) {
    Status s = begin(conn, [&] { return conn.begin_read(); });
    if (!s.ok()) return with_context(s, "store: begin read");
    conn.begin_unit();
    bool threw = false;
    s = run_unit(fn, conn, &threw);
    if (threw) metrics_.error("exception");
    if (!conn.first_error().ok()) metrics_.error(status_code_name(conn.first_error().code()));
    conn.end_read();
    return s;
  }

  void writer_loop() {
    tl_writer_of = this;
    std::vector<Pending> batch;
    batch.reserve(static_cast<std::size_t>(opts_.max_batch));
    while (true) {
      batch.clear();
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
        if (queue_.empty()) break;  // stopping, and everything queued is done
        const std::size_t n = std::min(queue_.size(), static_cast<std::size_t>(opts_.max_batch));
        for (std::size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      run_batch(batch);
    }
  }

  void run_batch(std::vector<Pending>& batch) {
    std::vector<Status> results(batch.size());
    {
      std::lock_guard lock(conn_mu_);
      run_batch_locked(batch, results);
    }
    // Callers learn their outcome only now, after the commit.
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        batch[i].done(std::move(results[i]));
      } catch (...) {
        metrics_.error("exception");
        log::error("store: a write completion callback threw").kv("service", opts_.service);
      }
    }
  }

  void run_batch_locked(std::vector<Pending>& batch, std::vector<Status>& results) {
    Connection& conn = *writer_;
    Status s = begin(conn, [&] { return conn.begin_batch(); });
    if (!s.ok()) {
      const Status err = unavailable("store: cannot begin the write transaction: " + s.message());
      std::fill(results.begin(), results.end(), err);
      note_commit(err);
      metrics_.batch(batch.size(), -1);
      return;
    }
    // Each unit runs under the savepoint kai_unit. After a unit that succeeded the savepoint is
    // released and set again; after one that failed, ROLLBACK TO leaves it set for the next.
    bool lost = false;
    Status lost_reason;
    bool savepoint_used = false;
    std::size_t i = 0;
    for (; i < batch.size(); ++i) {
      if (savepoint_used) {
        Status sp = conn.next_savepoint();
        if (!sp.ok()) {
          lost = true;
          lost_reason = sp;
          break;
        }
      }
      conn.begin_unit();
      bool threw = false;
      Status r = run_unit(batch[i].fn, conn, &threw);
      if (threw) metrics_.error("exception");
      if (!conn.first_error().ok()) metrics_.error(status_code_name(conn.first_error().code()));
      if (!conn.in_transaction()) {
        // The unit ended the transaction itself, or the backend rolled it back (I/O error):
        // the work of every earlier unit is gone too.
        lost = true;
        lost_reason = r.ok() ? internal_error("a write function ended the transaction") : r;
        break;
      }
      if (r.ok()) {
        savepoint_used = true;
      } else {
        Status rb = conn.rollback_to_savepoint();
        if (!rb.ok()) {
          lost = true;
          lost_reason = rb;
          break;
        }
        savepoint_used = false;
      }
      results[i] = std::move(r);
    }
    if (lost) {
      (void)conn.rollback();
      metrics_.error("transaction_lost");
      const Status err =
          unavailable("store: the batch transaction was lost: " + lost_reason.to_string());
      // Units that failed on their own keep their error; everything else did not commit.
      for (std::size_t k = 0; k < batch.size(); ++k) {
        if (k >= i || results[k].ok()) results[k] = err;
      }
      note_commit(err);
      metrics_.batch(batch.size(), -1);
      return;
    }
    const auto t0 = SteadyClock::now();
    Status c = conn.commit();
    const double commit_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    metrics_.batch(batch.size(), commit_s);
    if (!c.ok()) {
      (void)conn.rollback();
      metrics_.error("commit");
      const Status err = unavailable("store: commit failed: " + c.message());
      std::fill(results.begin(), results.end(), err);
      note_commit(err);
      return;
    }
    note_commit(Status::Ok());
  }

  // Remembers the last commit outcome for health(), logging only the transitions.
  void note_commit(const Status& s) {
    std::lock_guard lock(health_mu_);
    if (s.ok() && !last_commit_.ok()) {
      log::info("store: commits succeed again").kv("service", opts_.service);
    } else if (!s.ok() && last_commit_.ok()) {
      log::error("store: write batch failed")
          .kv("service", opts_.service)
          .kv("error", s.to_string());
    }
    last_commit_ = s;
  }

  Status migrate_locked(const std::string& component, std::span<const Migration> migrations) {
    Connection& conn = *writer_;
    KAI_RETURN_IF_ERROR(ensure_connected(conn));
    // The bookkeeping table itself, created under the migration lock so that concurrent
    // start-ups do not race on CREATE TABLE.
    KAI_RETURN_IF_ERROR(in_write_tx(conn, [&]() -> Status {
      return conn.exec_script(
          "CREATE TABLE IF NOT EXISTS kai_migrations ("
          " component TEXT NOT NULL,"
          " version BIGINT NOT NULL,"
          " name TEXT NOT NULL,"
          " applied_at BIGINT NOT NULL,"
          " PRIMARY KEY (component, version))");
    }));

    conn.begin_unit();
    auto applied =
        conn.query("SELECT version, name FROM kai_migrations WHERE component = ? ORDER BY version",
                   {component});
    if (!applied.ok()) return with_context(applied.status(), "migrate " + component);
    const std::int64_t known_max = migrations.empty() ? 0 : migrations.back().version;
    std::int64_t applied_max = 0;
    for (const Row& row : *applied) {
      const std::int64_t v = row.int64(std::size_t{0});
      const std::string& name = row.text(std::size_t{1});
      applied_max = std::max(applied_max, v);
      const auto it = std::find_if(migrations.begin(), migrations.end(),
                                   [v](const Migration& m) { return m.version == v; });
      if (it == migrations.end()) {
        return failed_precondition(
            "migrate " + component + ": the database has version " + std::to_string(v) + " (" +
            name + ") which this build does not know" +
            (v > known_max
                 ? " (newer than its latest, " + std::to_string(known_max) + "): run a newer build"
                 : ""));
      }
      if (it->name != name) {
        return failed_precondition("migrate " + component + ": version " + std::to_string(v) +
                                   " was applied as \"" + name + "\" but this build calls it \"" +
                                   std::string(it->name) +
                                   "\" (released migrations must not "
                                   "be edited)");
      }
    }
    std::size_t done = 0;
    for (const Migration& m : migrations) {
      const bool is_applied = std::any_of(applied->begin(), applied->end(), [&](const Row& r) {
        return r.int64(std::size_t{0}) == m.version;
      });
      if (is_applied) continue;
      if (m.version < applied_max) {
        return failed_precondition(
            "migrate " + component + ": version " + std::to_string(m.version) + " (" +
            std::string(m.name) + ") is missing below applied version " +
            std::to_string(applied_max) + " (new migrations must come after the applied ones)");
      }
      bool applied_now = false;
      Status s = in_write_tx(conn, [&]() -> Status {
        // Another process may have applied it since the check above.
        auto again =
            conn.query_one("SELECT name FROM kai_migrations WHERE component = ? AND version = ?",
                           {component, m.version});
        if (!again.ok()) return again.status();
        if (again->has_value()) {
          if ((*again)->text(std::size_t{0}) != m.name) {
            return failed_precondition("migrate " + component + ": version " +
                                       std::to_string(m.version) +
                                       " was applied concurrently "
                                       "under another name");
          }
          return Status::Ok();
        }
        KAI_RETURN_IF_ERROR(conn.exec_script(m.sql_for(conn.dialect())));
        applied_now = true;
        return conn.exec(
            "INSERT INTO kai_migrations(component, version, name, applied_at) VALUES (?, ?, ?, ?)",
            {component, m.version, m.name, now_unix_ms()});
      });
      if (!s.ok()) {
        return with_context(s, "migrate " + component + " version " + std::to_string(m.version) +
                                   " (" + std::string(m.name) + ")");
      }
      if (applied_now) {
        ++done;
        log::info("migration applied")
            .kv("service", opts_.service)
            .kv("component", component)
            .kv("version", m.version)
            .kv("name", m.name);
      }
    }
    if (done > 0) {
      conn.clear_statement_cache();
      schema_epoch_.fetch_add(1, std::memory_order_acq_rel);
    }
    return Status::Ok();
  }

  // One transaction holding the migration lock; commits when fn succeeds.
  template <typename Fn>
  Status in_write_tx(Connection& conn, Fn&& fn) {
    KAI_RETURN_IF_ERROR(begin(conn, [&] { return conn.begin_write(); }));
    conn.begin_unit();
    Status s = conn.lock_for_migration();
    if (s.ok()) s = fn();
    if (s.ok() && !conn.first_error().ok()) s = conn.first_error();
    if (s.ok()) s = conn.commit();
    if (!s.ok()) (void)conn.rollback();
    return s;
  }

  const StoreOptions opts_;
  std::unique_ptr<Driver> driver_;
  Metrics metrics_;

  // The writer connection: used by the writer thread for batches and by migrate().
  std::mutex conn_mu_;
  std::unique_ptr<Connection> writer_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_thread_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<Reader> idle_;
  // Bumped when migrations change the schema; readers drop their statements when they lag.
  std::atomic<std::uint64_t> schema_epoch_{0};

  std::mutex health_mu_;
  Status last_commit_;
};

bool safe_file_name(std::string_view s) {
  if (s.empty() || s == "." || s == ".." || s.size() > 200) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

}  // namespace

Result<std::unique_ptr<Database>> Database::open(const StoreOptions& options) {
  if (!safe_file_name(options.service)) {
    return invalid_argument(
        "store: service must be a non-empty name of letters, digits, '-', "
        "'_' or '.'",
        "service");
  }
  if (options.read_pool_size < 1 || options.read_pool_size > 256) {
    return invalid_argument("store: read_pool_size must be within 1..256", "read_pool_size");
  }
  if (options.max_batch < 1 || options.max_batch > 100000) {
    return invalid_argument("store: max_batch must be within 1..100000", "max_batch");
  }
  if (options.max_queued_writes < 1) {
    return invalid_argument("store: max_queued_writes must be positive", "max_queued_writes");
  }
  if (options.statement_cache_size < 1) {
    return invalid_argument("store: statement_cache_size must be positive", "statement_cache_size");
  }
  if (options.busy_timeout.count() < 0 || options.busy_timeout.count() > INT32_MAX) {
    return invalid_argument("store: busy_timeout out of range", "busy_timeout");
  }
  if (options.connect_timeout_s < 1) {
    return invalid_argument("store: connect_timeout_s must be positive", "connect_timeout_s");
  }
  std::unique_ptr<detail::Driver> driver;
  const std::string_view url = options.db_url;
  if (url.empty()) {
    if (options.data_dir.empty()) {
      return invalid_argument("store: data_dir is required for SQLite", "data_dir");
    }
    std::error_code ec;
    std::filesystem::create_directories(options.data_dir, ec);
    if (ec) {
      return unavailable("store: cannot create data dir " + options.data_dir + ": " + ec.message());
    }
    const std::string path =
        (std::filesystem::path(options.data_dir) / (options.service + ".db")).string();
    driver = detail::make_sqlite_driver(path, static_cast<int>(options.busy_timeout.count()),
                                        options.statement_cache_size);
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    driver = detail::make_postgres_driver(options.db_url, "kai-" + options.service,
                                          options.connect_timeout_s, options.statement_cache_size);
  } else {
    return invalid_argument("store: db_url must be empty (SQLite) or postgresql://...", "db_url");
  }
  auto db = std::make_unique<PooledDatabase>(options, std::move(driver));
  KAI_RETURN_IF_ERROR(db->start());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace kai::store
