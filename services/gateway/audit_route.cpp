// GET /api/v1/audit and /api/v1/audit.csv: the audit log for holders of audit:read (or admin).
#include <string>

#include "common/config.hpp"
#include "common/json_writer.hpp"
#include "common/log.hpp"
#include "gateway/api_error.hpp"
#include "gateway/csv.hpp"
#include "gateway/gateway.hpp"
#include "gateway/gateway_exchange.hpp"

namespace kai::gateway {
namespace {

constexpr int kMaxAuditPage = 10000;

// The filters of an audit query from the query string; invalid_argument naming the parameter.
Result<AuditQuery> parse_audit_query(const std::vector<std::pair<std::string, std::string>>& q,
                                     bool& csv) {
  AuditQuery out;
  for (const auto& [k, v] : q) {
    if (k == "principal") {
      out.principal = v;
    } else if (k == "operation") {
      out.operation = v;
    } else if (k == "from" || k == "to") {
      auto t = parse_rfc3339(v);
      if (!t) return invalid_argument(k + " must be an RFC 3339 time", k);
      (k == "from" ? out.from : out.to) = *t;
    } else if (k == "limit") {
      auto n = parse_int64(v);
      if (!n || *n < 1 || *n > kMaxAuditPage) {
        return invalid_argument("limit must be an integer from 1 to 10000", "limit");
      }
      out.limit = static_cast<int>(*n);
    } else if (k == "cursor") {
      auto n = parse_int64(v);
      if (!n || *n < 1) return invalid_argument("cursor is not one this API gave", "cursor");
      out.before_id = *n;
    } else if (k == "format") {
      if (v != "json" && v != "csv") return invalid_argument("format must be json or csv", k);
      csv = csv || v == "csv";
    } else {
      return invalid_argument("unknown query parameter '" + k + "'", k);
    }
  }
  return out;
}

}  // namespace

void Gateway::handle_audit(http::Request& req, std::shared_ptr<Exchange> ex, bool csv_only) {
  ex->principal = authenticate(req, *ex);
  if (ex->principal == nullptr) return;
  if (Status st = check_scope(*ex->principal, "audit:read"); !st.ok()) {
    ex->finish(api_error(st, ex->request_id));
    return;
  }
  auto query = http::parse_query(req.query);
  if (!query.ok()) {
    ex->finish(api_error(invalid_argument(query.status().message(), "query"), ex->request_id));
    return;
  }
  bool csv = csv_only;
  if (auto accept = req.header("accept"); accept && accept->substr(0, 8) == "text/csv") csv = true;
  if (csv_only) {
    for (const auto& [k, v] : *query) {
      if (k == "format") {
        ex->finish(api_error(invalid_argument("unknown query parameter 'format'", "format"),
                             ex->request_id));
        return;
      }
    }
  }
  auto q = parse_audit_query(*query, csv);
  if (!q.ok()) {
    ex->finish(api_error(q.status(), ex->request_id));
    return;
  }

  AuditLog* audit = parts_.audit;
  auto run = [audit, ex, q = std::move(q).value(), csv]() {
    auto page = audit->query(q);
    if (!page.ok()) {
      log::error("audit query failed")
          .kv("request_id", ex->request_id)
          .kv("error", page.status().to_string());
      ex->finish(api_error(unavailable("the audit log cannot be read right now"), ex->request_id));
      return;
    }
    http::Response resp;
    if (csv) {
      std::string body(kUtf8Bom);
      append_csv_row(body, AuditLog::csv_header());
      for (const AuditRecord& r : page->records)
        append_csv_row(body, AuditLog::csv_cells(r));
      resp = http::Response::with_body(200, std::string(kCsvContentType), std::move(body));
      resp.headers.push_back({"Content-Disposition", "attachment; filename=\"audit.csv\""});
      if (page->next_cursor) {
        resp.headers.push_back({"X-Next-Cursor", std::to_string(*page->next_cursor)});
      }
    } else {
      std::string body = R"({"items":[)";
      bool first = true;
      for (const AuditRecord& r : page->records) {
        if (!first) body += ',';
        first = false;
        AuditLog::append_json(r, body);
      }
      body += ']';
      if (page->next_cursor) {
        body += R"(,"next_cursor":")" + std::to_string(*page->next_cursor) + "\"";
      }
      body += '}';
      resp = http::Response::json(200, std::move(body));
    }
    add_api_headers(resp, ex->request_id);
    ex->finish(std::move(resp));
  };
  if (executor_ == nullptr || !executor_->submit(std::move(run))) {
    ex->finish(
        api_error(unavailable("too many audit queries at once; retry shortly"), ex->request_id));
  }
}

}  // namespace kai::gateway
