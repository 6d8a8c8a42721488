// The audit log: every write made through the gateway (who, what, which record, when, with which
// request id, and how it ended), kept durably in the gateway's own database under KAI_DATA_DIR
// (SQLite; PostgreSQL with KAI_DB_URL), queryable with filters and exportable as CSV.
//
// Thread safety: every method may be called from any thread. record() never blocks (group commit
// on the store's writer thread); query() blocks on a read connection, so call it off the HTTP
// loops.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "store/database.hpp"

namespace kai::gateway {

struct AuditRecord {
  std::int64_t id = 0;  // assigned when stored; increases with time of recording
  UnixMillis at = 0;
  std::string principal;
  std::string department;
  std::string operation;  // "membership.organization.create"
  std::string method;     // "POST"
  std::string route;      // "/api/v1/membership/organizations"
  std::string target_id;  // the record written ("42"), empty when unknown (a failed create)
  std::string request_id;
  std::string idempotency_key;  // as the client sent it; empty when it sent none
  std::string outcome;          // status code name: "ok", "already_exists", ...
  int http_status = 0;
};

struct AuditQuery {
  std::string principal;  // empty: any
  std::string operation;  // empty: any; else the full name ("membership.organization.create")
  std::optional<UnixMillis> from;         // at >= from
  std::optional<UnixMillis> to;           // at < to
  std::optional<std::int64_t> before_id;  // the cursor: records older than this id
  int limit = 100;
};

struct AuditPage {
  std::vector<AuditRecord> records;         // newest first
  std::optional<std::int64_t> next_cursor;  // pass as before_id for the next page
};

class AuditLog {
 public:
  // Opens (creating) the database and applies the audit migrations.
  static Result<std::unique_ptr<AuditLog>> open(const store::StoreOptions& options);

  // Stores `record` (its id and, when 0, its time are assigned); `done` runs once with the
  // outcome after the commit, on the store's writer thread.
  void record(AuditRecord record, std::function<void(Status)> done);

  Result<AuditPage> query(const AuditQuery& q);
  store::HealthReport health() { return db_->health(); }

  // Column names of the CSV export, in order, and one record's cells.
  static const std::vector<std::string>& csv_header();
  static std::vector<std::string> csv_cells(const AuditRecord& r);
  // {"id":..,"at":"2026-...Z",...} as the JSON API shows a record.
  static void append_json(const AuditRecord& r, std::string& out);

 private:
  explicit AuditLog(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<store::Database> db_;
};

}  // namespace kai::gateway
