#include "store/tx.hpp"

#include <string>

#include "common/json_writer.hpp"

namespace kai::store {

std::string_view dialect_name(Dialect d) {
  return d == Dialect::sqlite ? "sqlite" : "postgres";
}

namespace {

// Both backends must accept exactly the same inputs: PostgreSQL rejects text that is not UTF-8 or
// that contains NUL, so SQLite callers get the same answer instead of storing it.
Status check_params(std::span<const Value> params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i];
    if (v.kind() != ValueKind::text) continue;
    const std::string& s = v.as_text();
    if (s.find('\0') != std::string::npos) {
      return invalid_argument("text parameter " + std::to_string(i + 1) + " contains a NUL byte");
    }
    if (!is_valid_utf8(s)) {
      return invalid_argument("text parameter " + std::to_string(i + 1) + " is not valid UTF-8");
    }
  }
  return Status::Ok();
}

}  // namespace

Status Tx::note_error(Status s) {
  if (!s.ok() && first_error_.ok()) first_error_ = s;
  return s;
}

Status Tx::exec(std::string_view sql, std::span<const Value> params) {
  changes_ = 0;
  Status s = check_params(params);
  if (s.ok()) s = run_exec(sql, params, &changes_);
  if (!s.ok()) changes_ = 0;
  return note_error(std::move(s));
}

Result<std::vector<Row>> Tx::query(std::string_view sql, std::span<const Value> params) {
  std::vector<Row> rows;
  Status s = check_params(params);
  if (s.ok()) {
    s = run_query(
        sql, params,
        [&rows](const Row& row) {
          rows.push_back(row);
          return Status::Ok();
        },
        0);
  }
  if (!s.ok()) return note_error(std::move(s));
  return rows;
}

Status Tx::query_each(std::string_view sql, std::span<const Value> params, const RowVisitor& each) {
  Status s = check_params(params);
  Status visitor;
  if (s.ok()) {
    s = run_query(
        sql, params,
        [&](const Row& row) {
          visitor = each(row);
          return visitor;
        },
        0);
  }
  if (!visitor.ok()) return visitor;  // the caller's own error, not the statement's
  if (!s.ok()) return note_error(std::move(s));
  return Status::Ok();
}

Result<std::optional<Row>> Tx::query_one(std::string_view sql, std::span<const Value> params) {
  std::optional<Row> first;
  Status s = check_params(params);
  if (s.ok()) {
    s = run_query(
        sql, params,
        [&first](const Row& row) {
          first = row;
          return Status::Ok();
        },
        1);
  }
  if (!s.ok()) return note_error(std::move(s));
  return first;
}

}  // namespace kai::store
