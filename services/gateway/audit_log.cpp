#include "gateway/audit_log.hpp"

#include <limits>
#include <span>
#include <string>

#include "common/json_writer.hpp"
#include "store/portable_ddl.hpp"

namespace kai::gateway {
namespace {

// Portable DDL (store/portable_ddl.hpp), rendered for the database in use.
constexpr std::string_view kAuditLogV1 =
    "CREATE TABLE audit_log ("
    " id @ID@,"
    " at BIGINT NOT NULL,"
    " principal TEXT NOT NULL,"
    " department TEXT NOT NULL,"
    " operation TEXT NOT NULL,"
    " method TEXT NOT NULL,"
    " route TEXT NOT NULL,"
    " target_id TEXT NOT NULL,"
    " request_id TEXT NOT NULL,"
    " idempotency_key TEXT NOT NULL,"
    " outcome TEXT NOT NULL,"
    " http_status INTEGER NOT NULL);"
    "CREATE INDEX audit_log_at ON audit_log(at);"
    "CREATE INDEX audit_log_principal ON audit_log(principal, id);"
    "CREATE INDEX audit_log_operation ON audit_log(operation, id);";

std::span<const store::Migration> audit_migrations() {
  // Rendered once; Migration holds views, so the strings live for the whole process.
  static const std::string sqlite = store::render_ddl(kAuditLogV1, store::Dialect::sqlite);
  static const std::string postgres = store::render_ddl(kAuditLogV1, store::Dialect::postgres);
  static const store::Migration kMigrations[] = {
      {.version = 1, .name = "audit log", .sqlite = sqlite, .postgres = postgres},
  };
  return kMigrations;
}

constexpr std::string_view kColumns =
    "id, at, principal, department, operation, method, route, target_id, request_id, "
    "idempotency_key, outcome, http_status";

AuditRecord from_row(const store::Row& row) {
  AuditRecord r;
  r.id = row.int64(std::size_t{0});
  r.at = row.int64(1);
  r.principal = row.text(2);
  r.department = row.text(3);
  r.operation = row.text(4);
  r.method = row.text(5);
  r.route = row.text(6);
  r.target_id = row.text(7);
  r.request_id = row.text(8);
  r.idempotency_key = row.text(9);
  r.outcome = row.text(10);
  r.http_status = static_cast<int>(row.int64(11));
  return r;
}

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::open(const store::StoreOptions& options) {
  auto db = store::Database::open(options);
  if (!db.ok()) return db.status();
  KAI_RETURN_IF_ERROR((*db)->migrate("gateway_audit", audit_migrations()));
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(db).value()));
}

void AuditLog::record(AuditRecord record, std::function<void(Status)> done) {
  if (record.at == 0) record.at = now_unix_ms();
  auto rec = std::make_shared<AuditRecord>(std::move(record));
  db_->write_async(
      [rec](store::Tx& tx) {
        return tx.exec(
            "INSERT INTO audit_log (at, principal, department, operation, method, route, "
            "target_id, request_id, idempotency_key, outcome, http_status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {rec->at, rec->principal, rec->department, rec->operation, rec->method, rec->route,
             rec->target_id, rec->request_id, rec->idempotency_key, rec->outcome,
             rec->http_status});
      },
      std::move(done));
}

Result<AuditPage> AuditLog::query(const AuditQuery& q) {
  static const std::string sql =
      "SELECT " + std::string(kColumns) +
      " FROM audit_log WHERE (? = '' OR principal = ?) AND (? = '' OR operation = ?)"
      " AND at >= ? AND at < ? AND id < ? ORDER BY id DESC LIMIT ?";
  const std::int64_t from = q.from.value_or(std::numeric_limits<std::int64_t>::min());
  const std::int64_t to = q.to.value_or(std::numeric_limits<std::int64_t>::max());
  const std::int64_t before = q.before_id.value_or(std::numeric_limits<std::int64_t>::max());
  AuditPage page;
  Status st = db_->read([&](store::Tx& tx) {
    auto rows = tx.query(sql, {q.principal, q.principal, q.operation, q.operation, from, to, before,
                               static_cast<std::int64_t>(q.limit) + 1});
    if (!rows.ok()) return rows.status();
    for (const store::Row& row : *rows)
      page.records.push_back(from_row(row));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (page.records.size() > static_cast<std::size_t>(q.limit)) {
    page.records.resize(static_cast<std::size_t>(q.limit));
    page.next_cursor = page.records.back().id;
  }
  return page;
}

const std::vector<std::string>& AuditLog::csv_header() {
  static const std::vector<std::string> header = {
      "id",    "at",        "principal",  "department",      "operation", "method",
      "route", "target_id", "request_id", "idempotency_key", "outcome",   "http_status"};
  return header;
}

std::vector<std::string> AuditLog::csv_cells(const AuditRecord& r) {
  return {std::to_string(r.id),
          format_rfc3339_ms(r.at),
          r.principal,
          r.department,
          r.operation,
          r.method,
          r.route,
          r.target_id,
          r.request_id,
          r.idempotency_key,
          r.outcome,
          std::to_string(r.http_status)};
}

void AuditLog::append_json(const AuditRecord& r, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.key("id").value(r.id);
  w.key("at").value(format_rfc3339_ms(r.at));
  w.key("principal").value(r.principal);
  w.key("department").value(r.department);
  w.key("operation").value(r.operation);
  w.key("method").value(r.method);
  w.key("route").value(r.route);
  w.key("target_id").value(r.target_id);
  w.key("request_id").value(r.request_id);
  w.key("idempotency_key").value(r.idempotency_key);
  w.key("outcome").value(r.outcome);
  w.key("http_status").value(r.http_status);
  w.end_object();
}

}  // namespace kai::gateway
