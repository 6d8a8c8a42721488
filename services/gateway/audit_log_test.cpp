#include "gateway/audit_log.hpp"

#include <future>

#include <gtest/gtest.h>

#include "support/process.hpp"

namespace kai::gateway {
namespace {

AuditRecord rec(std::string principal, std::string op, UnixMillis at, std::string target) {
  AuditRecord r;
  r.at = at;
  r.principal = std::move(principal);
  r.department = "membership";
  r.operation = std::move(op);
  r.method = "POST";
  r.route = "/api/v1/membership/organizations";
  r.target_id = std::move(target);
  r.request_id = "rid-" + r.target_id;
  r.outcome = "ok";
  r.http_status = 201;
  return r;
}

Status record_sync(AuditLog& log, AuditRecord r) {
  std::promise<Status> p;
  log.record(std::move(r), [&p](Status s) { p.set_value(std::move(s)); });
  return p.get_future().get();
}

TEST(AuditLogTest, RecordsSurviveReopeningAndFilterByWhoWhatAndWhen) {
  testing::TempDir dir;
  store::StoreOptions o;
  o.data_dir = dir.path();
  o.service = "gateway";
  {
    auto log = AuditLog::open(o);
    ASSERT_TRUE(log.ok()) << log.status().to_string();
    ASSERT_TRUE(
        record_sync(**log, rec("office", "membership.organization.create", 1000, "1")).ok());
    ASSERT_TRUE(record_sync(**log, rec("clubs", "membership.organization.create", 2000, "2")).ok());
    ASSERT_TRUE(
        record_sync(**log, rec("office", "membership.organization.update", 3000, "1")).ok());
  }
  auto log = AuditLog::open(o);
  ASSERT_TRUE(log.ok());

  auto all = (*log)->query({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->records.size(), 3u);
  EXPECT_EQ(all->records[0].operation, "membership.organization.update");  // newest first
  EXPECT_EQ(all->records[0].request_id, "rid-1");
  EXPECT_FALSE(all->next_cursor);

  AuditQuery by_who;
  by_who.principal = "office";
  EXPECT_EQ((*log)->query(by_who)->records.size(), 2u);

  AuditQuery by_what;
  by_what.operation = "membership.organization.create";
  EXPECT_EQ((*log)->query(by_what)->records.size(), 2u);

  AuditQuery by_when;
  by_when.from = 2000;
  by_when.to = 3000;
  auto when = (*log)->query(by_when);
  ASSERT_EQ(when->records.size(), 1u);
  EXPECT_EQ(when->records[0].principal, "clubs");

  AuditQuery page;
  page.limit = 2;
  auto first = (*log)->query(page);
  ASSERT_EQ(first->records.size(), 2u);
  ASSERT_TRUE(first->next_cursor);
  page.before_id = *first->next_cursor;
  auto second = (*log)->query(page);
  ASSERT_EQ(second->records.size(), 1u);
  EXPECT_EQ(second->records[0].at, 1000);
  EXPECT_FALSE(second->next_cursor);
}

TEST(AuditLogTest, CsvAndJsonRenderEveryColumn) {
  AuditRecord r = rec("office", "membership.organization.create", 1764057600000, "42");
  r.id = 9;
  const std::vector<std::string> cells = AuditLog::csv_cells(r);
  ASSERT_EQ(cells.size(), AuditLog::csv_header().size());
  EXPECT_EQ(cells[0], "9");
  EXPECT_EQ(cells[1], "2025-11-25T08:00:00.000Z");
  std::string json;
  AuditLog::append_json(r, json);
  EXPECT_NE(json.find(R"("target_id":"42")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("at":"2025-11-25T08:00:00.000Z")"), std::string::npos) << json;
}

}  // namespace
}  // namespace kai::gateway
