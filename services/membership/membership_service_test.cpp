// The service in-process (svc::LocalService: the real request path, a real SQLite file, no bus):
// the parts whose behaviour depends on time or on other services — the expiry job, the activity
// feed from other departments, the demo data — with the service's clock under the test's control.
#include <algorithm>
#include <atomic>
#include <memory>

#include <gtest/gtest.h>

#include "membership/demo_data.hpp"
#include "membership/expiry_job.hpp"
#include "membership/reported_activity.hpp"
#include "membership/service_definition.hpp"
#include "schema/all_services.hpp"
#include "schema/unpack.hpp"
#include "service/local_service.hpp"
#include "support/process.hpp"

namespace kai::membership {
namespace {

using namespace msg::membership;

UnixMillis at(const char* date) {
  return static_cast<UnixMillis>(*parse_date(date)) * 86'400'000 + 8 * 3'600'000;
}

class ServiceTest : public ::testing::Test {
 protected:
  std::unique_ptr<svc::LocalService> start(std::map<std::string, std::string> settings = {}) {
    svc::ServiceDefinition def = definition();
    def.clock = [this] { return now_.load(); };
    auto s = svc::LocalService::start(def, {.data_dir = dir_.path(), .settings = settings});
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    return s.ok() ? std::move(*s) : nullptr;
  }

  template <class Op>
  typename Op::Reply ok(svc::LocalService& s, const typename Op::Request& req) {
    auto r = s.call<Op>(req);
    EXPECT_TRUE(r.ok()) << Op::name << ": " << r.status().to_string();
    return r.ok() ? *r : typename Op::Reply{};
  }

  // Topics of the events committed so far, from the outbox.
  std::vector<std::string> topics(svc::LocalService& s) {
    std::vector<std::string> out;
    auto events = s.published();
    EXPECT_TRUE(events.ok());
    if (events.ok()) {
      for (const auto& e : *events)
        out.push_back(e.topic);
    }
    return out;
  }

  testing::TempDir dir_;
  std::atomic<UnixMillis> now_{at("2026-11-26")};
};

std::int64_t new_org(svc::LocalService& s, const std::string& name) {
  OrganizationCreateRequest req;
  req.name = name;
  req.kind = OrganizationKind::enterprise;
  auto o = s.call<OrganizationCreate>(req);
  EXPECT_TRUE(o.ok()) << o.status().to_string();
  return o.ok() ? o->id : 0;
}

TEST_F(ServiceTest, ExpiryJobAppliesTheCalendarOnce) {
  auto s = start();
  ASSERT_TRUE(s);
  const std::int64_t org = new_org(*s, "杭州凯旋科技有限公司");
  const Term first = ok<TermStart>(*s, {.organization_id = org, .start_on = "2022-01-01"});
  EXPECT_EQ(first.status, TermStatus::active);
  EXPECT_EQ(first.end_on, "2026-12-31");
  const Term renewal = ok<TermRenew>(*s, {.id = first.id, .start_on = std::nullopt});
  EXPECT_EQ(renewal.status, TermStatus::scheduled);
  EXPECT_EQ(renewal.start_on, "2027-01-01");

  // Nothing is due yet: the job changes nothing and emits nothing.
  const std::size_t before = topics(*s).size();
  ASSERT_TRUE(s->run_job(kExpiryJob).ok());
  EXPECT_EQ(topics(*s).size(), before);

  now_ = at("2027-01-01");
  ASSERT_TRUE(s->run_job(kExpiryJob).ok());
  EXPECT_EQ(ok<TermGet>(*s, {.id = first.id}).status, TermStatus::expired);
  EXPECT_EQ(ok<TermGet>(*s, {.id = renewal.id}).status, TermStatus::active);
  const auto after = topics(*s);
  ASSERT_EQ(after.size(), before + 2);
  EXPECT_EQ(after[before], "membership.term.changed");

  // Running again the same day is a no-op (several replicas may run the job).
  ASSERT_TRUE(s->run_job(kExpiryJob).ok());
  EXPECT_EQ(topics(*s).size(), before + 2);
}

TEST_F(ServiceTest, ExpiryJobExpiresAgreementsPastTheirEnd) {
  auto s = start();
  ASSERT_TRUE(s);
  const std::int64_t org = new_org(*s, "浙江省水利河口研究院");
  AgreementCreateRequest req;
  req.organization_id = org;
  req.title = "区域共建协议";
  req.start_on = "2026-01-01";
  req.end_on = "2026-12-31";
  req.subdistrict_provides = {SubdistrictService::training};
  req.unit_opens = {UnitFacility::sports};
  const Agreement a = ok<AgreementCreate>(*s, req);
  ok<AgreementSign>(*s, {.id = a.id, .signed_on = "2026-01-01"});
  now_ = at("2027-01-01");
  ASSERT_TRUE(s->run_job(kExpiryJob).ok());
  EXPECT_EQ(ok<AgreementGet>(*s, {.id = a.id}).status, AgreementStatus::expired);
  EXPECT_EQ(s->call<AgreementTerminate>({.id = a.id, .terminated_on = "2026-12-01", .reason = "x"})
                .status()
                .code(),
            StatusCode::failed_precondition);
}

TEST_F(ServiceTest, ExpiringSoonFollowsTheClock) {
  auto s = start();
  ASSERT_TRUE(s);
  const std::int64_t org = new_org(*s, "杭州蓝天园林生态科技股份有限公司");
  const Term t = ok<TermStart>(*s, {.organization_id = org, .start_on = "2022-01-01"});
  TermExpiringRequest soon;
  soon.within_days = 90;
  EXPECT_EQ(ok<TermExpiring>(*s, soon).items.size(), 1u);
  now_ = at("2026-09-01");  // 121 days before the end
  EXPECT_TRUE(ok<TermExpiring>(*s, soon).items.empty());
  soon.within_days = 200;
  EXPECT_EQ(ok<TermExpiring>(*s, soon).items.at(0).id, t.id);
}

TEST_F(ServiceTest, MeetingIsHeldOnlyOnceItsTimeHasCome) {
  auto s = start();
  ASSERT_TRUE(s);
  MeetingCreateRequest req;
  req.kind = MeetingKind::office;
  req.title = "办公室会议";
  req.scheduled_at = at("2026-12-01");
  const Meeting m = ok<MeetingCreate>(*s, req);
  EXPECT_EQ(s->call<MeetingHold>({.id = m.id, .minutes = std::nullopt}).status().code(),
            StatusCode::failed_precondition);
  now_ = at("2026-12-01");
  EXPECT_EQ(ok<MeetingHold>(*s, {.id = m.id, .minutes = "议定事项"}).status, MeetingStatus::held);
}

TEST_F(ServiceTest, OverdueProblemsAndTimeToResolve) {
  auto s = start();
  ASSERT_TRUE(s);
  std::vector<std::int64_t> ids;
  for (const char* title : {"路灯不亮", "井盖松动", "噪音扰民"}) {
    ProblemRecordRequest rec;
    rec.source = ProblemSource::resident;
    rec.title = title;
    const Problem p = ok<ProblemRecord>(*s, rec);
    ok<ProblemTriage>(*s, {.id = p.id,
                           .category = ProblemCategory::city_management,
                           .priority = ProblemPriority::normal});
    ProblemAssignRequest assign;
    assign.id = p.id;
    assign.handler = "城管科";
    assign.due_on = "2026-11-28";
    ok<ProblemAssign>(*s, assign);
    ids.push_back(p.id);
  }
  now_ = at("2026-11-27");  // a day later: on time
  ok<ProblemResolve>(*s, {.id = ids[0], .resolution = "已修复"});
  now_ = at("2026-11-29");
  ProblemListRequest overdue;
  overdue.overdue = true;
  auto late = ok<ProblemList>(*s, overdue);
  ASSERT_EQ(late.items.size(), 2u);
  EXPECT_TRUE(late.items[0].overdue);
  now_ = at("2026-12-01");  // five days after recording: late
  ok<ProblemResolve>(*s, {.id = ids[1], .resolution = "已加固"});
  late = ok<ProblemList>(*s, overdue);
  ASSERT_EQ(late.items.size(), 1u);
  EXPECT_EQ(late.items[0].id, ids[2]);

  const auto stats = ok<ProblemStats>(*s, {.from = "2026-11-26", .to = "2026-11-26"});
  EXPECT_EQ(stats.recorded, 3);
  EXPECT_EQ(stats.resolved, 2);
  EXPECT_EQ(stats.resolved_on_time, 1);
  EXPECT_EQ(stats.open, 1);
  EXPECT_EQ(stats.overdue, 1);
  EXPECT_DOUBLE_EQ(*stats.mean_hours_to_resolve, (24.0 + 120.0) / 2);
  EXPECT_DOUBLE_EQ(*stats.median_hours_to_resolve, 72.0);
  EXPECT_DOUBLE_EQ(*stats.p90_hours_to_resolve, 120.0);
  // The gauges see the same.
  ASSERT_TRUE(s->refresh_gauges().ok());
}

ReportedActivity report(const std::string& ref, std::vector<std::int64_t> orgs,
                        std::optional<std::string> group, int times) {
  ReportedActivity e;
  e.activity.ref = ref;
  e.activity.title = "楼宇俱乐部活动";
  e.activity.held_on = "2026-11-20";
  e.activity.organization_ids = std::move(orgs);
  e.activity.working_group = std::move(group);
  e.activity.participant_times = times;
  return e;
}

TEST_F(ServiceTest, OtherDepartmentsFeedTheActivityLedgerOncePerActivity) {
  auto s = start();
  ASSERT_TRUE(s);
  const std::int64_t org = new_org(*s, "杭州凯旋教育集团");
  WorkingGroupCreateRequest wg;
  wg.code = "party_mass";
  wg.name = "党群建设";
  const WorkingGroup group = ok<WorkingGroupCreate>(*s, wg);

  ASSERT_TRUE(s->deliver<ActivityCompleted<Reporter::clubs>>(
                   1, {report("event-17", {org, 999999}, "party_mass", 35)})
                  .ok());
  // The same activity published again (a new event, same ref) is not counted twice.
  ASSERT_TRUE(s->deliver<ActivityCompleted<Reporter::clubs>>(
                   2, {report("event-17", {org}, "party_mass", 35)})
                  .ok());
  // The same ref from another department is another activity.
  ASSERT_TRUE(s->deliver<ActivityCompleted<Reporter::training>>(
                   1, {report("event-17", {org}, "no_such_group", 12)})
                  .ok());
  EXPECT_EQ(*s->last_applied("clubs"), 2);
  EXPECT_EQ(*s->last_applied("training"), 1);

  ActivityListRequest list;
  const auto all = ok<ActivityList>(*s, list);
  ASSERT_EQ(all.items.size(), 2u);
  const Activity& from_clubs =
      all.items[0].source == ActivitySource::clubs ? all.items[0] : all.items[1];
  EXPECT_EQ(from_clubs.source_ref, "event-17");
  EXPECT_EQ(from_clubs.organization_ids, std::vector<std::int64_t>{org});  // 999999 is unknown
  EXPECT_EQ(from_clubs.working_group_id, group.id);
  const Activity& from_training = &from_clubs == &all.items[0] ? all.items[1] : all.items[0];
  EXPECT_EQ(from_training.source, ActivitySource::training);
  EXPECT_FALSE(from_training.working_group_id.has_value());

  ActivityTotalsRequest totals;
  totals.group_by = ActivityTotalsRequest::GroupBy::organization;
  const auto t = ok<ActivityTotals>(*s, totals);
  EXPECT_EQ(t.activities, 2);
  EXPECT_EQ(t.participant_times, 47);
  ASSERT_EQ(t.groups.size(), 1u);
  EXPECT_EQ(t.groups[0].key, std::to_string(org));
  EXPECT_EQ(t.groups[0].participant_times, 47);

  // Each applied report is published as the ledger's own event.
  int recorded = 0;
  for (const auto& topic : topics(*s))
    recorded += topic == "membership.activity.recorded";
  EXPECT_EQ(recorded, 2);
}

TEST_F(ServiceTest, AReportThatBreaksTheShapeIsSkippedAndTheFeedGoesOn) {
  auto s = start();
  ASSERT_TRUE(s);
  ReportedActivity bad = report("x", {}, std::nullopt, 1);
  bad.activity.held_on = "2026-02-30";  // not a date: refused by the schema, never applied
  ASSERT_TRUE(s->deliver<ActivityCompleted<Reporter::venture>>(1, {bad}).ok());
  ActivityListRequest list;
  EXPECT_TRUE(ok<ActivityList>(*s, list).items.empty());
  ASSERT_TRUE(
      s->deliver<ActivityCompleted<Reporter::venture>>(2, {report("y", {}, std::nullopt, 8)}).ok());
  const auto after = ok<ActivityList>(*s, list);
  ASSERT_EQ(after.items.size(), 1u);
  EXPECT_EQ(after.items[0].source_ref, "y");
  EXPECT_EQ(*s->last_applied("venture"), 2);
}

TEST(ReportedActivityShape, AgreesWithAnySchemaThatDeclaresTheEvent) {
  // When a department's schema declares <service>.activity.completed, its payload must be the
  // shape the ledger applies: one required field `activity` of common.ActivityCompletion.
  for (Reporter r : kReporters) {
    const schema::EventDesc& mine = reported_activity_event(r);
    EXPECT_EQ(mine.service, reporter_service(r));
    EXPECT_EQ(mine.topic, std::string(reporter_service(r)) + ".activity.completed");
    const schema::EventDesc* declared = schema::find_event(mine.topic);
    if (declared == nullptr) continue;
    ASSERT_EQ(declared->message->fields.size(), 1u) << mine.topic;
    const schema::FieldDesc& f = declared->message->fields[0];
    EXPECT_EQ(f.name, "activity");
    EXPECT_TRUE(f.required);
    EXPECT_EQ(f.message, &msg::common::ActivityCompletion::desc()) << mine.topic;
  }
  ReportedActivity e = report("r1", {1, 2}, "ecology", 3);
  auto h = schema::unpack(encode(e));
  ASSERT_TRUE(h.ok());
  ReportedActivity back;
  ASSERT_TRUE(decode(h->get(), back).ok());
  EXPECT_EQ(back, e);
}

TEST_F(ServiceTest, DemoDataIsTheAlliancesStructureLoadedOnce) {
  {
    auto s = start({{"demo-data", "true"}});
    ASSERT_TRUE(s);
    StructureGetRequest none;
    const auto structure = ok<StructureGet>(*s, none);
    int communities = 0, grids = 0, alliances = 0;
    for (const Node& n : structure.nodes) {
      alliances += n.tier == NodeTier::alliance;
      communities += n.tier == NodeTier::community;
      grids += n.tier == NodeTier::grid;
    }
    EXPECT_EQ(alliances, 1);
    EXPECT_EQ(communities, 14);
    EXPECT_EQ(grids, 28);
    ASSERT_EQ(structure.working_groups.size(), 7u);
    for (const char* name :
         {"党群建设", "经济发展", "平安维稳", "民生保障", "生态环境", "精神文明"}) {
      bool found = false;
      for (const WorkingGroup& g : structure.working_groups)
        found = found || g.name == name;
      EXPECT_TRUE(found) << name;
    }
    EXPECT_NE(structure.working_groups.back().name.find("【示例】"), std::string::npos);
    ASSERT_EQ(structure.positions.size(), 4u);
    EXPECT_EQ(structure.positions[0].title, PositionTitle::chair);
    EXPECT_EQ(structure.positions[0].holder.title, "街道党工委书记");

    // The 37 member units sit at the alliance: the 8 named ones by name, the rest marked sample.
    OrganizationListRequest at_alliance;
    at_alliance.node_id = structure.nodes.front().id;
    at_alliance.limit = 200;
    at_alliance.sort = OrganizationListRequest::Sort::created_at;
    const auto units = ok<OrganizationList>(*s, at_alliance);
    ASSERT_EQ(units.items.size(), 37u + 28u);  // grids' small enterprises are below the alliance
    int named = 0, sample = 0;
    for (const Organization& o : units.items) {
      if (o.grid) continue;
      if (o.name.find("【示例】") == std::string::npos) {
        ++named;
      } else {
        ++sample;
      }
    }
    EXPECT_EQ(named, 8);
    EXPECT_EQ(sample, 29);
    EXPECT_EQ(units.items[0].name, "浙江大学华家池校区");

    // Every unit is in its third five-year term, with a signed co-building agreement.
    TermListRequest active;
    active.status = TermStatus::active;
    active.limit = 200;
    EXPECT_EQ(ok<TermList>(*s, active).items.size(), 37u);
    AgreementListRequest signed_agreements;
    signed_agreements.status = AgreementStatus::active;
    signed_agreements.limit = 200;
    EXPECT_EQ(ok<AgreementList>(*s, signed_agreements).items.size(), 37u);

    // The ledger: 494 activities and over 20,000 participant-times since 2014.
    ActivityTotalsRequest totals;
    totals.group_by = ActivityTotalsRequest::GroupBy::year;
    const auto t = ok<ActivityTotals>(*s, totals);
    EXPECT_EQ(t.activities, 494);
    EXPECT_GT(t.participant_times, 20000);
    ASSERT_EQ(t.groups.size(), 3u);
    EXPECT_EQ(t.groups[0].key, "2014");

    // Loading went through the same stores and published the same events as the operations:
    // every event the service declares is among them.
    const auto published = topics(*s);
    for (const schema::EventDesc& e : service_desc().events) {
      EXPECT_NE(std::find(published.begin(), published.end(), e.topic), published.end()) << e.topic;
    }
  }
  // A restart with demo data on keeps what is there and adds nothing.
  auto again = start({{"demo-data", "true"}});
  ASSERT_TRUE(again);
  ActivityTotalsRequest totals;
  totals.group_by = ActivityTotalsRequest::GroupBy::working_group;
  EXPECT_EQ(ok<ActivityTotals>(*again, totals).activities, 494);
  OrganizationListRequest all;
  all.limit = 200;
  EXPECT_EQ(ok<OrganizationList>(*again, all).items.size(), 65u);
}

}  // namespace
}  // namespace kai::membership
