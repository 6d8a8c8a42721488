// SQLite backend: one file in WAL mode. The writer connection commits with synchronous=FULL (the
// WAL is fsynced before COMMIT returns); readers are query_only connections that each see a
// snapshot. Connections are opened with SQLITE_OPEN_NOMUTEX: the store guarantees that one thread
// at a time uses a connection, so SQLite's per-call mutex would be pure cost.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "store/connection.hpp"
#include "store/statement_cache.hpp"

namespace kai::store::detail {
namespace {

Status status_from_sqlite(int rc, sqlite3* db, std::string_view what) {
  const int primary = rc & 0xff;
  std::string msg(what);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (primary) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
          rc == SQLITE_CONSTRAINT_ROWID) {
        return already_exists(std::move(msg));
      }
      return failed_precondition(std::move(msg));
    case SQLITE_READONLY:
      return failed_precondition(std::move(msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_ABORT:
    case SQLITE_INTERRUPT:
      return aborted(std::move(msg));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return unavailable(std::move(msg));
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
      return invalid_argument(std::move(msg));
    default:  // SQLITE_ERROR (syntax, unknown table), MISUSE, RANGE, CORRUPT, NOTADB, ...
      return internal_error(std::move(msg));
  }
}

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

struct Prepared {
  std::unique_ptr<sqlite3_stmt, StmtDeleter> stmt;
  std::shared_ptr<const ColumnNames> columns;
  int param_count = 0;
};

std::shared_ptr<const ColumnNames> column_names(sqlite3_stmt* stmt) {
  auto names = std::make_shared<ColumnNames>();
  const int n = sqlite3_column_count(stmt);
  names->reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const char* name = sqlite3_column_name(stmt, i);
    names->emplace_back(name != nullptr ? name : "");
  }
  return names;
}

bool same_columns(sqlite3_stmt* stmt, int n, const ColumnNames& cached) {
  if (static_cast<std::size_t>(n) != cached.size()) return false;
  for (int i = 0; i < n; ++i) {
    const char* name = sqlite3_column_name(stmt, i);
    if (name == nullptr || cached[static_cast<std::size_t>(i)] != name) return false;
  }
  return true;
}

// Resets the statement when the current call is done with it, whatever the path out.
class ResetGuard {
 public:
  explicit ResetGuard(sqlite3_stmt* s) : s_(s) {}
  ~ResetGuard() { sqlite3_reset(s_); }
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;

 private:
  sqlite3_stmt* s_;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, int cache_size)
      : db_(db), cache_(static_cast<std::size_t>(cache_size)) {}
  ~SqliteConnection() override {
    cache_.clear();  // statements must be finalized before the connection closes
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::sqlite; }

  Result<std::int64_t> last_insert_id() override { return sqlite3_last_insert_rowid(db_); }

  Status begin_read() override { return control("BEGIN"); }
  Status begin_write() override { return control("BEGIN IMMEDIATE"); }
  Status commit() override { return control("COMMIT"); }
  Status rollback() override {
    if (sqlite3_get_autocommit(db_) != 0) return Status::Ok();  // nothing open
    return control("ROLLBACK");
  }
  Status savepoint() override { return control("SAVEPOINT kai_unit"); }
  Status release_savepoint() override { return control("RELEASE kai_unit"); }
  Status rollback_to_savepoint() override { return control("ROLLBACK TO kai_unit"); }
  bool in_transaction() override { return sqlite3_get_autocommit(db_) == 0; }

  Status exec_script(std::string_view sql) override {
    const std::string text(sql);
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return Status::Ok();
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Status s = status_from_sqlite(sqlite3_extended_errcode(db_), nullptr, "script");
    return Status(s.code(), "script: " + msg);
  }

  // BEGIN IMMEDIATE already holds the only write lock of the file.
  Status lock_for_migration() override { return Status::Ok(); }
  void clear_statement_cache() override { cache_.clear(); }
  bool broken() override { return false; }
  Status reconnect() override { return Status::Ok(); }

  // Runs a pragma or other set-up statement and returns its first column as text.
  Result<std::string> pragma(const std::string& sql) {
    std::string first;
    KAI_RETURN_IF_ERROR(run_query(
        sql, {},
        [&first](const Row& row) {
          first = row.at(std::size_t{0}).kind() == ValueKind::int64
                      ? std::to_string(row.int64(std::size_t{0}))
                      : row.text(std::size_t{0});
          return Status::Ok();
        },
        1));
    return first;
  }

 protected:
  Status run_exec(std::string_view sql, std::span<const Value> params,
                  std::int64_t* changes) override {
    Prepared* p = nullptr;
    KAI_RETURN_IF_ERROR(prepare(sql, &p));
    KAI_RETURN_IF_ERROR(bind(*p, params));
    sqlite3_stmt* stmt = p->stmt.get();
    ResetGuard reset(stmt);
    int rc;
    // Step to the end even when the statement returns rows (INSERT ... RETURNING applies row by
    // row as it is stepped).
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) return status_from_sqlite(sqlite3_extended_errcode(db_), db_, "exec");
    *changes = sqlite3_changes64(db_);
    return Status::Ok();
  }

  Status run_query(std::string_view sql, std::span<const Value> params, const RowVisitor& each,
                   std::size_t limit) override {
    Prepared* p = nullptr;
    KAI_RETURN_IF_ERROR(prepare(sql, &p));
    KAI_RETURN_IF_ERROR(bind(*p, params));
    sqlite3_stmt* stmt = p->stmt.get();
    ResetGuard reset(stmt);
    std::optional<Row> row;  // made at the first row, refilled for every other
    std::size_t seen = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (!row) {
        // A schema change made by another connection re-prepares the statement inside step();
        // `SELECT *` may then have other columns than when it was cached.
        const int ncols = sqlite3_column_count(stmt);
        if (!same_columns(stmt, ncols, *p->columns)) p->columns = column_names(stmt);
        row.emplace(p->columns, std::vector<Value>(static_cast<std::size_t>(ncols)));
      }
      for (std::size_t i = 0; i < row->size(); ++i)
        read_column(stmt, static_cast<int>(i), row->mutable_value(i));
      KAI_RETURN_IF_ERROR(each(*row));
      if (limit != 0 && ++seen >= limit) return Status::Ok();
    }
    if (rc != SQLITE_DONE) return status_from_sqlite(sqlite3_extended_errcode(db_), db_, "query");
    return Status::Ok();
  }

 private:
  static void read_column(sqlite3_stmt* stmt, int i, Value& out) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        out = Value(static_cast<std::int64_t>(sqlite3_column_int64(stmt, i)));
        return;
      case SQLITE_FLOAT:
        out = Value(sqlite3_column_double(stmt, i));
        return;
      case SQLITE_TEXT: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        const int n = sqlite3_column_bytes(stmt, i);
        out.assign_text(std::string_view(p != nullptr ? p : "", static_cast<std::size_t>(n)));
        return;
      }
      case SQLITE_BLOB: {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        const int n = sqlite3_column_bytes(stmt, i);
        out.assign_blob(std::string_view(p != nullptr ? p : "", static_cast<std::size_t>(n)));
        return;
      }
      default:
        out = Value();
        return;
    }
  }

  Status control(const char* sql) {
    std::int64_t ignored = 0;
    return run_exec(sql, {}, &ignored);
  }

  Status prepare(std::string_view sql, Prepared** out) {
    if (Prepared* p = cache_.find(sql)) {
      *out = p;
      return Status::Ok();
    }
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, &tail);
    if (rc != SQLITE_OK) return status_from_sqlite(sqlite3_extended_errcode(db_), db_, "prepare");
    Prepared p;
    p.stmt.reset(raw);
    if (raw == nullptr) return internal_error("prepare: empty statement");
    const std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
    if (!only_trailing_noise(rest)) {
      return internal_error("prepare: one statement per call (found more after the first)");
    }
    p.columns = column_names(raw);
    p.param_count = sqlite3_bind_parameter_count(raw);
    Prepared* inserted = nullptr;
    cache_.insert(std::string(sql), std::move(p), &inserted);
    *out = inserted;
    return Status::Ok();
  }

  // True when `rest` holds no further statement (only spaces, semicolons, comments).
  bool only_trailing_noise(std::string_view rest) {
    if (rest.find_first_not_of(" \t\r\n;") == std::string_view::npos) return true;
    sqlite3_stmt* next = nullptr;
    const std::string text(rest);
    const int rc = sqlite3_prepare_v2(db_, text.c_str(), -1, &next, nullptr);
    const bool none = rc == SQLITE_OK && next == nullptr;
    sqlite3_finalize(next);
    return none;
  }

  Status bind(const Prepared& p, std::span<const Value> params) {
    if (static_cast<int>(params.size()) != p.param_count) {
      return internal_error("statement has " + std::to_string(p.param_count) +
                            " placeholders but " + std::to_string(params.size()) +
                            " parameters were given");
    }
    // Text and blobs are bound SQLITE_STATIC: the Values outlive the step loop, and every
    // execution binds every parameter again, so a stale pointer is never read.
    sqlite3_stmt* s = p.stmt.get();
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i) + 1;
      const Value& v = params[i];
      int rc = SQLITE_OK;
      switch (v.kind()) {
        case ValueKind::null:
          rc = sqlite3_bind_null(s, idx);
          break;
        case ValueKind::int64:
          rc = sqlite3_bind_int64(s, idx, v.as_int64());
          break;
        case ValueKind::float64:
          rc = sqlite3_bind_double(s, idx, v.as_float64());
          break;
        case ValueKind::text:
          rc = sqlite3_bind_text64(s, idx, v.as_text().data(), v.as_text().size(), SQLITE_STATIC,
                                   SQLITE_UTF8);
          break;
        case ValueKind::blob:
          rc = sqlite3_bind_blob64(s, idx, v.as_blob().data(), v.as_blob().size(), SQLITE_STATIC);
          break;
      }
      if (rc != SQLITE_OK) return status_from_sqlite(rc, db_, "bind");
    }
    return Status::Ok();
  }

  sqlite3* db_;
  StatementCache<Prepared> cache_;
};

class SqliteDriver final : public Driver {
 public:
  SqliteDriver(std::string path, int busy_timeout_ms, int cache_size)
      : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms), cache_size_(cache_size) {}

  Dialect dialect() const override { return Dialect::sqlite; }
  std::string describe() const override { return "sqlite:" + path_; }

  Result<std::unique_ptr<Connection>> connect(Role role) override {
    sqlite3* db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                      (role == Role::writer ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(path_.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
      Status s = unavailable("open " + path_ + ": " +
                             (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
      sqlite3_close_v2(db);
      return s;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, busy_timeout_ms_);
    auto conn = std::make_unique<SqliteConnection>(db, cache_size_);
    if (role == Role::writer) {
      auto mode = conn->pragma("PRAGMA journal_mode=WAL");
      if (!mode.ok()) return mode.status();
      if (*mode != "wal") {
        return failed_precondition("sqlite: " + path_ + " cannot use WAL (journal_mode " + *mode +
                                   ")");
      }
      for (const char* sql : {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
        auto r = conn->pragma(sql);
        if (!r.ok()) return r.status();
      }
    } else {
      // A larger page cache saves read(2) calls on hot pages. (mmap would save more but turns an
      // I/O error into SIGBUS, which would take the whole process down.)
      for (const char* sql :
           {"PRAGMA query_only=1", "PRAGMA foreign_keys=ON", "PRAGMA cache_size=-16384"}) {
        auto r = conn->pragma(sql);
        if (!r.ok()) return r.status();
      }
    }
    return std::unique_ptr<Connection>(std::move(conn));
  }

  // fsync of the folder makes the creation of the .db and -wal files durable; SQLite itself only
  // syncs file contents.
  Status sync_storage() override {
    const std::string dir = std::filesystem::path(path_).parent_path().string();
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return unavailable("open " + dir + ": " + std::strerror(errno));
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return unavailable("fsync " + dir + ": " + std::strerror(err));
    return Status::Ok();
  }

 private:
  std::string path_;
  int busy_timeout_ms_;
  int cache_size_;
};

}  // namespace

std::unique_ptr<Driver> make_sqlite_driver(std::string path, int busy_timeout_ms,
                                           int statement_cache_size) {
  return std::make_unique<SqliteDriver>(std::move(path), busy_timeout_ms, statement_cache_size);
}

}  // namespace kai::store::detail
