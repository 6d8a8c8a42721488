// The same service on PostgreSQL (KAI_DB_URL): the migrations, keyset pagination, the unique and
// partial indexes and the aggregate queries are written once for both backends; this runs them
// against a real PostgreSQL server started by the test.
#include <algorithm>

#include <gtest/gtest.h>

#include "membership/service_definition.hpp"
#include "schema/membership.hpp"
#include "service/local_service.hpp"
#include "store/pg_server.hpp"

namespace kai::membership {
namespace {

using namespace msg::membership;

TEST(MembershipOnPostgres, TheRegistryAndTheDemoDataWorkOnPostgres) {
  auto pg = store::testing::PgServer::start();
  ASSERT_TRUE(pg.ok()) << pg.status().to_string();
  auto url = (*pg)->create_database();
  ASSERT_TRUE(url.ok()) << url.status().to_string();
  auto s =
      svc::LocalService::start(definition(), {.db_url = *url, .settings = {{"demo-data", "true"}}});
  ASSERT_TRUE(s.ok()) << s.status().to_string();

  // Byte-wise name order and keyset pages agree with SQLite's.
  OrganizationListRequest page;
  page.limit = 20;
  std::vector<std::string> names;
  for (int guard = 0; guard < 10; ++guard) {
    auto p = (*s)->call<OrganizationList>(page);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    for (const auto& o : p->items) {
      names.push_back(o.name);
      // Items are packed straight from the rows: the same as the typed lookup, on PostgreSQL too.
      auto got = (*s)->call<OrganizationGet>({.id = o.id});
      ASSERT_TRUE(got.ok()) << got.status().to_string();
      EXPECT_EQ(o, *got);
    }
    if (!p->next_cursor) break;
    page.cursor = p->next_cursor;
  }
  ASSERT_EQ(names.size(), 65u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));

  OrganizationCreateRequest dup;
  dup.name = "甲";
  dup.kind = OrganizationKind::enterprise;
  dup.credit_code = "91330104MA2GL1234X";
  ASSERT_TRUE((*s)->call<OrganizationCreate>(dup).ok());
  dup.name = "乙";
  EXPECT_EQ((*s)->call<OrganizationCreate>(dup).status().code(), StatusCode::already_exists);

  MeetingCreateRequest annual;
  annual.kind = MeetingKind::annual_joint;
  annual.title = "第二次年会";
  annual.scheduled_at = 1'452'837'600'000;  // 2016, which has its annual meeting already
  EXPECT_EQ((*s)->call<MeetingCreate>(annual).status().code(), StatusCode::already_exists);

  ActivityTotalsRequest totals;
  totals.group_by = ActivityTotalsRequest::GroupBy::quarter;
  auto t = (*s)->call<ActivityTotals>(totals);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->activities, 494);
  totals.group_by = ActivityTotalsRequest::GroupBy::organization;
  totals.limit = 5;
  auto top = (*s)->call<ActivityTotals>(totals);
  ASSERT_TRUE(top.ok()) << top.status().to_string();
  EXPECT_EQ(top->groups.size(), 5u);

  ProjectListRequest projects;
  projects.organization_id = 8;  // the Tiesha river project's partner
  auto p = (*s)->call<ProjectList>(projects);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->items.size(), 1u);
  EXPECT_EQ(p->items[0].rewards, 500000);

  TermExpiringRequest expiring;
  expiring.within_days = 1830;
  auto e = (*s)->call<TermExpiring>(expiring);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->items.size(), 37u);
  auto stats = (*s)->call<ProblemStats>({.from = "2000-01-01", .to = "2100-01-01"});
  ASSERT_TRUE(stats.ok()) << stats.status().to_string();
  EXPECT_EQ(stats->resolved, 1);
  ASSERT_TRUE((*s)->refresh_gauges().ok());
}

}  // namespace
}  // namespace kai::membership
