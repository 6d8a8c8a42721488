// The storage layer every service uses: one Database per process, SQLite by default and
// PostgreSQL when scaled out, behind the same interface so domain code never changes.
//
//   auto db = kai::store::Database::open({.data_dir = "/var/lib/kai/clubs", .service = "clubs"});
//   KAI_RETURN_IF_ERROR((*db)->migrate("clubs", kClubsMigrations));
//   Status s = (*db)->write([&](kai::store::Tx& tx) {
//     return tx.exec("INSERT INTO club(id, name) VALUES(?, ?)", {id, name});
//   });
//
// Reads run on a pool of read connections (SQLite in WAL mode: readers never block the writer
// and see a consistent snapshot for the whole function). Writes are GROUP COMMITTED: callers from
// any number of threads enqueue functions; one writer thread takes everything queued (up to
// max_batch), opens one transaction, runs each function inside its own savepoint, commits once
// and only then answers every caller. A function that fails rolls back only its own savepoint
// and gets its own error; the others commit. If the commit itself fails (or the transaction is
// lost mid-batch: connection gone, I/O error) every caller of the batch gets `unavailable`: no
// caller is ever told ok for work that did not commit. (The reverse can happen — a connection
// lost during COMMIT leaves the outcome unknown — which is why writes carry idempotency keys.)
// On SQLite the commit is durable (WAL with synchronous=FULL): a write acknowledged as ok
// survives kill -9 and power loss. On PostgreSQL durability follows the server's fsync setting;
// the store turns synchronous_commit back on if a session has it off. PostgreSQL batches run at
// READ COMMITTED, and replicas sharing a database write concurrently: guard invariants with
// conditional statements (`UPDATE ... SET n = n - ? WHERE n >= ?`, then check changes()),
// which are correct on both backends.
//
// Write functions run ON THE WRITER THREAD, one after another: they must be short and must not
// block on anything but the database (no bus calls, no Redis, no waiting for other threads), or
// every writer of the process waits behind them. Do the slow work first and pass the results in.
// A write function must not call write() (refused with failed_precondition: it would wait for
// itself) and must not issue BEGIN / COMMIT / ROLLBACK / SAVEPOINT itself.
//
// Thread safety: every method may be called from any thread, concurrently. The Database must
// outlive all calls into it; destroying it finishes the writes already queued.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/status.hpp"
#include "store/tx.hpp"

namespace kai::store {

struct StoreOptions {
  // SQLite: the folder holding <service>.db (created when missing).
  std::string data_dir = {};
  // Names the SQLite file, labels metrics ({service}) and PostgreSQL's application_name.
  std::string service = {};
  // Empty: SQLite file <data_dir>/<service>.db. "postgresql://..." or "postgres://...": a libpq
  // connection URI. Anything else is invalid_argument.
  std::string db_url = {};
  // Connections serving read(); read() waits for a free one.
  int read_pool_size = 4;
  // Most write functions committed by one transaction.
  int max_batch = 512;
  // Write functions waiting for the writer beyond this are refused with resource_exhausted.
  int max_queued_writes = 100000;
  // How long a statement waits for a lock held by another process before failing (SQLite busy
  // timeout; PostgreSQL lock_timeout is left to the server).
  std::chrono::milliseconds busy_timeout{5000};
  // Prepared statements kept per connection (least recently used are finalized beyond this).
  int statement_cache_size = 256;
  // PostgreSQL: seconds libpq waits to connect (unless the URI sets connect_timeout).
  int connect_timeout_s = 10;
};

// One step of a component's schema history. Versions are positive and strictly increasing; a
// version once released is never edited or renumbered (the store refuses to start when an
// applied migration's name changed). `sql` may hold several statements; `sqlite` or `postgres`,
// when not empty, replace it for that dialect.
struct Migration {
  std::int64_t version = 0;
  std::string_view name = {};
  std::string_view sql = {};
  std::string_view sqlite = {};
  std::string_view postgres = {};

  std::string_view sql_for(Dialect d) const {
    if (d == Dialect::sqlite && !sqlite.empty()) return sqlite;
    if (d == Dialect::postgres && !postgres.empty()) return postgres;
    return sql;
  }
};

// What /readyz reports about the database.
struct HealthReport {
  bool healthy = false;
  std::string detail;
};

class Database {
 public:
  using WriteFn = std::function<Status(Tx&)>;
  using ReadFn = std::function<Status(Tx&)>;
  using DoneFn = std::function<void(Status)>;

  // Opens (creating when missing) the database and applies the store's own "kai_runtime"
  // migrations (idempotency keys, outbox, subscriptions). Errors: invalid_argument for bad
  // options, unavailable when the file or server cannot be reached, failed_precondition when the
  // database is newer than this build.
  static Result<std::unique_ptr<Database>> open(const StoreOptions& options);

  virtual ~Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  virtual Dialect dialect() const = 0;

  // Runs fn in a read-only transaction with a consistent snapshot, on a pooled read connection
  // (waiting for one when all are busy). Returns fn's status, or the
  // first statement error when fn ignored one. Writing inside is refused (failed_precondition).
  // Calling read() from inside a read() function of the same Database is refused
  // (failed_precondition) because it could exhaust the pool and wait forever.
  virtual Status read(const ReadFn& fn) = 0;

  // Enqueues fn for the writer and waits until its batch committed (ok) or it failed.
  virtual Status write(const WriteFn& fn) = 0;

  // The asynchronous form: `done` runs exactly once, on the writer thread after the commit (or
  // on the calling thread when the write is refused up front). Keep it short and non-blocking.
  virtual void write_async(WriteFn fn, DoneFn done) = 0;

  // Applies `component`'s migrations that are not applied yet, in order, each in its own
  // transaction, recording them in kai_migrations(component, version, name, applied_at). Safe
  // when several processes migrate the same database at once. Refuses (failed_precondition)
  // when the database holds a version this list does not have, an applied version's name
  // differs, or a missing version lies below an applied one; invalid_argument when the list is
  // not strictly increasing or has an empty name.
  virtual Status migrate(std::string_view component, std::span<const Migration> migrations) = 0;

  // Database reachable and the last commit succeeded. Cheap enough for a readiness probe (one
  // `SELECT 1` on a read connection).
  virtual HealthReport health() = 0;
  bool healthy() { return health().healthy; }

 protected:
  Database() = default;
};

}  // namespace kai::store
