// Internal to libs/store: what a backend (SQLite, PostgreSQL) provides to the backend-neutral
// database (pooled_database.cpp), which owns threads, pools, group commit and migrations.
// Domain code never sees these types.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "store/tx.hpp"

namespace kai::store::detail {

// One session with the database. Used by one thread at a time.
class Connection : public Tx {
 public:
  // Transaction control; the read transaction is a read-only snapshot.
  virtual Status begin_read() = 0;
  virtual Status begin_write() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;
  // One savepoint level is enough: units of work inside a batch never nest.
  virtual Status savepoint() = 0;
  virtual Status release_savepoint() = 0;
  // Undoes the unit's work; the savepoint stays set, ready for the next unit.
  virtual Status rollback_to_savepoint() = 0;
  // Group commit's hot path, which a backend may do in one round trip: BEGIN + SAVEPOINT, and
  // RELEASE + SAVEPOINT between two units. (COMMIT releases the last savepoint itself.)
  virtual Status begin_batch() {
    KAI_RETURN_IF_ERROR(begin_write());
    return savepoint();
  }
  virtual Status next_savepoint() {
    KAI_RETURN_IF_ERROR(release_savepoint());
    return savepoint();
  }
  // Ends a read transaction; nothing was written, so the outcome does not matter and a backend
  // need not wait for it.
  virtual void end_read() { (void)rollback(); }
  // Still inside the transaction begun by begin_*() (a unit may have ended it, or the backend
  // may have rolled it back after an I/O error).
  virtual bool in_transaction() = 0;

  // Several statements without parameters (migrations). Inside the current transaction.
  virtual Status exec_script(std::string_view sql) = 0;
  // Inside a write transaction: serialises migrations across processes until commit.
  virtual Status lock_for_migration() = 0;
  // Called after migrations changed the schema: cached statements may describe old tables.
  virtual void clear_statement_cache() = 0;

  // The session is lost (PostgreSQL); reconnect() tries to restore it.
  virtual bool broken() = 0;
  virtual Status reconnect() = 0;

  using Tx::begin_unit;
};

enum class Role { writer, reader };

class Driver {
 public:
  virtual ~Driver() = default;
  virtual Dialect dialect() const = 0;
  virtual Result<std::unique_ptr<Connection>> connect(Role role) = 0;
  // After the first write transaction committed: make the files' directory entries durable.
  virtual Status sync_storage() = 0;
  // Where the data lives, without secrets: "sqlite:/data/clubs/clubs.db", "postgres:host:5432/db".
  virtual std::string describe() const = 0;
};

std::unique_ptr<Driver> make_sqlite_driver(std::string path, int busy_timeout_ms,
                                           int statement_cache_size);
std::unique_ptr<Driver> make_postgres_driver(std::string url, std::string application_name,
                                             int connect_timeout_s, int statement_cache_size);

}  // namespace kai::store::detail
