// PostgreSQL backend over libpq. Statements go through the extended protocol as named prepared
// statements cached per connection (`?` rewritten to $n once, at prepare). Parameters are sent in
// text format (the server infers their types from the statement) except blobs, which go in binary
// so that bytes need no escaping. Results come back in text format and are decoded by column type:
// integers and booleans → int64, float4/float8 → float64, numeric → int64 when integral (SUM of a
// BIGINT column is numeric) else float64, bytea → blob, everything else → text.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <libpq-fe.h>

#include "common/log.hpp"
#include "store/connection.hpp"
#include "store/placeholders.hpp"
#include "store/statement_cache.hpp"

namespace kai::store::detail {
namespace {

// Type OIDs from the server's catalogue (pg_type.dat); stable across releases.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// Serialises migrations of every component across processes (pg_advisory_xact_lock key).
constexpr std::int64_t kMigrationLockKey = 0x6b61692d6d696772;  // "kai-migr"

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

std::string trimmed(const char* s) {
  std::string out = s != nullptr ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

Status status_from_pg(PGconn* conn, const PGresult* res, std::string_view what) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg(what);
  msg += ": ";
  msg += trimmed(res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (msg.size() == what.size() + 2) msg += trimmed(PQerrorMessage(conn));
  if (res == nullptr || PQstatus(conn) == CONNECTION_BAD) return unavailable(std::move(msg));
  if (PQresultStatus(res) == PGRES_EMPTY_QUERY)
    return internal_error(std::string(what) + ": empty statement");
  if (state == nullptr) return internal_error(std::move(msg));
  const std::string_view code(state);
  const std::string_view cls = code.substr(0, 2);
  if (code == "23505") return already_exists(std::move(msg));
  if (cls == "23") return failed_precondition(std::move(msg));
  if (code == "25006") return failed_precondition(std::move(msg));  // write in a read-only tx
  if (cls == "40" || code == "55P03" || code == "25P02") return aborted(std::move(msg));
  if (code == "57014") return deadline_exceeded(std::move(msg));  // statement_timeout
  if (cls == "08" || cls == "53" || cls == "57" || cls == "58") return unavailable(std::move(msg));
  if (cls == "22") return invalid_argument(std::move(msg));
  return internal_error(std::move(msg));
}

bool is_sqlstate(const PGresult* res, std::string_view code) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  return state != nullptr && code == state;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

double parse_float(std::string_view s) {
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

Value decode(Oid type, const char* data, int len) {
  const std::string_view s(data, static_cast<std::size_t>(len));
  switch (type) {
    case kBoolOid:
      return Value(static_cast<std::int64_t>(s == "t" ? 1 : 0));
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      return Value(parse_int(s).value_or(0));
    case kFloat4Oid:
    case kFloat8Oid:
      return Value(parse_float(s));
    case kNumericOid:
      if (auto i = parse_int(s)) return Value(*i);
      return Value(parse_float(s));
    case kByteaOid: {
      // Hex output ("\x0aff"); the session sets bytea_output = hex.
      std::string bytes;
      if (s.size() >= 2 && s[0] == '\\' && s[1] == 'x') {
        bytes.reserve((s.size() - 2) / 2);
        for (std::size_t i = 2; i + 1 < s.size(); i += 2) {
          const int hi = hex_digit(s[i]);
          const int lo = hex_digit(s[i + 1]);
          if (hi < 0 || lo < 0) break;
          bytes.push_back(static_cast<char>(hi * 16 + lo));
        }
      }
      return Value(Blob{std::move(bytes)});
    }
    default:
      return Value(std::string(s));
  }
}

void ignore_notice(void* /*arg*/, const char* message) {
  if (log::enabled(log::Level::debug))
    log::debug("postgres notice").kv("message", trimmed(message));
}

struct Prepared {
  std::string name;
  int param_count = 0;
  bool executed = false;  // has run successfully at least once
};

class PgConnection final : public Connection {
 public:
  PgConnection(PGconn* conn, int cache_size)
      : conn_(conn), cache_(static_cast<std::size_t>(cache_size)) {}
  ~PgConnection() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::postgres; }

  Status setup() {
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
    KAI_RETURN_IF_ERROR(simple("SET bytea_output = 'hex'; SET client_min_messages = warning"));
    // An acknowledged write must survive a crash; a server or role configured with
    // synchronous_commit=off would break that promise silently.
    PgResult r(PQexec(conn_, "SELECT current_setting('synchronous_commit')"));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return status_from_pg(conn_, r.get(), "setup");
    if (std::string_view(PQgetvalue(r.get(), 0, 0)) == "off") {
      KAI_RETURN_IF_ERROR(simple("SET synchronous_commit = on"));
    }
    return Status::Ok();
  }

  Result<std::int64_t> last_insert_id() override {
    auto row = query_one("SELECT lastval()");
    if (!row.ok()) return row.status();
    if (!*row) return note_error(internal_error("lastval returned no row"));
    return (*row)->int64(std::size_t{0});
  }

  Status begin_read() override {
    flush_deallocations();
    return simple("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }
  Status begin_write() override {
    flush_deallocations();
    return simple("BEGIN");
  }
  Status commit() override {
    drain();
    // COMMIT of a transaction in the failed state "succeeds" as a ROLLBACK.
    if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
      (void)simple("ROLLBACK");
      return aborted("commit: the transaction had failed and was rolled back");
    }
    PgResult r(PQexec(conn_, "COMMIT"));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      return status_from_pg(conn_, r.get(), "commit");
    if (std::string_view(PQcmdStatus(r.get())) != "COMMIT") {
      return aborted("commit: the server rolled the transaction back");
    }
    return Status::Ok();
  }
  Status rollback() override {
    drain();
    const auto ts = PQtransactionStatus(conn_);
    if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR) return Status::Ok();
    return simple("ROLLBACK");
  }
  Status begin_batch() override {
    flush_deallocations();
    return simple("BEGIN; SAVEPOINT kai_unit");
  }
  Status next_savepoint() override {
    return simple("RELEASE SAVEPOINT kai_unit; SAVEPOINT kai_unit");
  }
  // Sends ROLLBACK and returns at once; the reply is collected when the connection is next used.
  void end_read() override {
    drain();
    if (!in_transaction()) return;
    if (PQsendQuery(conn_, "ROLLBACK") == 1) {
      reply_pending_ = true;
    } else {
      (void)simple("ROLLBACK");
    }
  }
  Status savepoint() override { return simple("SAVEPOINT kai_unit"); }
  Status release_savepoint() override { return simple("RELEASE SAVEPOINT kai_unit"); }
  Status rollback_to_savepoint() override { return simple("ROLLBACK TO SAVEPOINT kai_unit"); }
  bool in_transaction() override {
    drain();
    const auto ts = PQtransactionStatus(conn_);
    return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR;
  }

  Status exec_script(std::string_view sql) override {
    // An empty script is a no-op, as on SQLite (the server would answer EMPTY_QUERY).
    if (sql.find_first_not_of(" \t\r\n;") == std::string_view::npos) return Status::Ok();
    return simple(std::string(sql).c_str());
  }

  Status lock_for_migration() override {
    return simple(
        ("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")").c_str());
  }
  void clear_statement_cache() override {
    // The server keeps the statements until the next flush (outside any transaction).
    for (auto& n : live_names_)
      pending_deallocate_.push_back(std::move(n));
    live_names_.clear();
    cache_.clear();
  }

  bool broken() override {
    drain();
    return PQstatus(conn_) == CONNECTION_BAD;
  }
  Status reconnect() override {
    reply_pending_ = false;
    PQreset(conn_);
    cache_.clear();
    live_names_.clear();
    pending_deallocate_.clear();  // the new session has none of the old statements
    if (PQstatus(conn_) != CONNECTION_OK) {
      return unavailable("reconnect: " + trimmed(PQerrorMessage(conn_)));
    }
    return setup();
  }

 protected:
  Status run_exec(std::string_view sql, std::span<const Value> params,
                  std::int64_t* changes) override {
    PgResult res;
    KAI_RETURN_IF_ERROR(execute(sql, params, &res, "exec"));
    const char* tuples = PQcmdTuples(res.get());
    *changes = (tuples != nullptr && *tuples != '\0') ? parse_int(tuples).value_or(0) : 0;
    return Status::Ok();
  }

  Status run_query(std::string_view sql, std::span<const Value> params, const RowVisitor& each,
                   std::size_t limit) override {
    PgResult res;
    KAI_RETURN_IF_ERROR(execute(sql, params, &res, "query"));
    const int nrows = PQntuples(res.get());
    const int ncols = PQnfields(res.get());
    auto names = std::make_shared<ColumnNames>();
    names->reserve(static_cast<std::size_t>(ncols));
    std::vector<Oid> types;
    types.reserve(static_cast<std::size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      names->emplace_back(PQfname(res.get(), c));
      types.push_back(PQftype(res.get(), c));
    }
    // One Row refilled for every row of the result.
    Row row(std::move(names), std::vector<Value>(static_cast<std::size_t>(ncols)));
    const int take = limit == 0 ? nrows : std::min(nrows, static_cast<int>(limit));
    for (int r = 0; r < take; ++r) {
      for (int c = 0; c < ncols; ++c) {
        Value& v = row.mutable_value(static_cast<std::size_t>(c));
        if (PQgetisnull(res.get(), r, c) != 0) {
          v = Value();
        } else {
          v = decode(types[static_cast<std::size_t>(c)], PQgetvalue(res.get(), r, c),
                     PQgetlength(res.get(), r, c));
        }
      }
      KAI_RETURN_IF_ERROR(each(row));
    }
    return Status::Ok();
  }

 private:
  // Collects the reply of a command sent by end_read() that nobody waited for.
  void drain() {
    if (!reply_pending_) return;
    reply_pending_ = false;
    while (PGresult* r = PQgetResult(conn_))
      PQclear(r);
  }

  Status simple(const char* sql) {
    drain();
    PgResult r(PQexec(conn_, sql));
    const auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return status_from_pg(conn_, r.get(), sql);
    return Status::Ok();
  }

  // DEALLOCATE only while no transaction is open: an error there would abort the caller's work.
  void flush_deallocations() {
    drain();
    if (pending_deallocate_.empty() || PQstatus(conn_) == CONNECTION_BAD) return;
    std::string sql;
    for (const auto& n : pending_deallocate_)
      sql += "DEALLOCATE " + n + ";";
    pending_deallocate_.clear();
    PgResult r(PQexec(conn_, sql.c_str()));
  }

  Status prepare(std::string_view sql, Prepared** out) {
    drain();
    if (Prepared* p = cache_.find(sql)) {
      *out = p;
      return Status::Ok();
    }
    if (sql.find_first_not_of(" \t\r\n;") == std::string_view::npos) {
      return internal_error("prepare: empty statement");
    }
    RewrittenSql rewritten = rewrite_placeholders(sql);
    Prepared p;
    p.name = "kai_s" + std::to_string(++next_statement_);
    p.param_count = rewritten.param_count;
    PgResult r(PQprepare(conn_, p.name.c_str(), rewritten.sql.c_str(), 0, nullptr));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      return status_from_pg(conn_, r.get(), "prepare");
    live_names_.push_back(p.name);
    Prepared* inserted = nullptr;
    if (auto evicted = cache_.insert(std::string(sql), std::move(p), &inserted)) {
      forget(evicted->name);
    }
    *out = inserted;
    return Status::Ok();
  }

  void forget(const std::string& name) {
    for (auto it = live_names_.begin(); it != live_names_.end(); ++it) {
      if (*it == name) {
        live_names_.erase(it);
        break;
      }
    }
    pending_deallocate_.push_back(name);
  }

  Status execute(std::string_view sql, std::span<const Value> params, PgResult* out,
                 std::string_view what) {
    Prepared* p = nullptr;
    KAI_RETURN_IF_ERROR(prepare(sql, &p));
    if (static_cast<int>(params.size()) != p->param_count) {
      return internal_error("statement has " + std::to_string(p->param_count) +
                            " placeholders but " + std::to_string(params.size()) +
                            " parameters were given");
    }
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size());
    std::vector<int> lengths(params.size());
    std::vector<int> formats(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      switch (v.kind()) {
        case ValueKind::null:
          values[i] = nullptr;
          break;
        case ValueKind::int64:
          storage[i] = std::to_string(v.as_int64());
          values[i] = storage[i].c_str();
          break;
        case ValueKind::float64: {
          const double d = v.as_float64();
          if (std::isnan(d)) {
            storage[i] = "NaN";
          } else if (std::isinf(d)) {
            storage[i] = d > 0 ? "Infinity" : "-Infinity";
          } else {
            char buf[32];
            const auto res = std::to_chars(buf, buf + sizeof buf, d);
            storage[i].assign(buf, res.ptr);
          }
          values[i] = storage[i].c_str();
          break;
        }
        case ValueKind::text:
          values[i] = v.as_text().c_str();  // checked: no NUL inside
          break;
        case ValueKind::blob:
          values[i] = v.as_blob().data();
          lengths[i] = static_cast<int>(v.as_blob().size());
          formats[i] = 1;
          break;
      }
    }
    out->reset(PQexecPrepared(conn_, p->name.c_str(), static_cast<int>(params.size()),
                              values.data(), lengths.data(), formats.data(), 0));
    const auto st = PQresultStatus(out->get());
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      p->executed = true;
      return Status::Ok();
    }
    // "cached plan must not change result type": a migration altered a table under a statement
    // that ran before. Drop it so the retry prepares afresh.
    if (p->executed && is_sqlstate(out->get(), "0A000")) {
      Status s = status_from_pg(conn_, out->get(), what);
      const std::string name = p->name;
      cache_.erase(sql);
      forget(name);
      return aborted(s.message());
    }
    return status_from_pg(conn_, out->get(), what);
  }

  PGconn* conn_;
  StatementCache<Prepared> cache_;
  std::vector<std::string> live_names_;
  std::vector<std::string> pending_deallocate_;
  std::uint64_t next_statement_ = 0;
  bool reply_pending_ = false;
};

class PostgresDriver final : public Driver {
 public:
  PostgresDriver(std::string url, std::string app, int connect_timeout_s, int cache_size)
      : url_(std::move(url)),
        app_(std::move(app)),
        connect_timeout_(std::to_string(connect_timeout_s)),
        cache_size_(cache_size) {}

  Dialect dialect() const override { return Dialect::postgres; }

  std::string describe() const override {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(url_.c_str(), &err);
    if (opts == nullptr) {
      PQfreemem(err);
      return "postgres:(unparsable url)";
    }
    std::string host, port, db;
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
      if (o->val == nullptr) continue;
      const std::string_view k(o->keyword);
      if (k == "host" || (k == "hostaddr" && host.empty())) host = o->val;
      if (k == "port") port = o->val;
      if (k == "dbname") db = o->val;
    }
    PQconninfoFree(opts);
    return "postgres:" + host + (port.empty() ? "" : ":" + port) + "/" + db;
  }

  Result<std::unique_ptr<Connection>> connect(Role /*role*/) override {
    // The URL comes last so that what it says wins over these defaults.
    const char* keys[] = {"connect_timeout", "application_name", "client_encoding", "dbname",
                          nullptr};
    const char* vals[] = {connect_timeout_.c_str(), app_.c_str(), "UTF8", url_.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keys, vals, 1);
    if (conn == nullptr) return unavailable("postgres: out of memory");
    if (PQstatus(conn) != CONNECTION_OK) {
      Status s = unavailable("connect " + describe() + ": " + trimmed(PQerrorMessage(conn)));
      PQfinish(conn);
      return s;
    }
    auto c = std::make_unique<PgConnection>(conn, cache_size_);
    KAI_RETURN_IF_ERROR(c->setup());
    return std::unique_ptr<Connection>(std::move(c));
  }

  Status sync_storage() override { return Status::Ok(); }

 private:
  std::string url_;
  std::string app_;
  std::string connect_timeout_;
  int cache_size_;
};

}  // namespace

std::unique_ptr<Driver> make_postgres_driver(std::string url, std::string application_name,
                                             int connect_timeout_s, int statement_cache_size) {
  return std::make_unique<PostgresDriver>(std::move(url), std::move(application_name),
                                          connect_timeout_s, statement_cache_size);
}

}  // namespace kai::store::detail
