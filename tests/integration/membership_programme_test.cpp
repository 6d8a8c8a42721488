// kai-membership through the real kai-broker (with Redis and SQLite): terms, co-building
// agreements, needs and projects, meetings, the problem-flow desk and the activity ledger — every
// operation's happy path and the error codes of its rules. Dates are taken relative to today.
#include <gtest/gtest.h>

#include "common/time.hpp"
#include "integration/membership_cluster.hpp"

namespace kai {
namespace {

using namespace msg::membership;
using testing::MembershipCluster;

std::string day_from_today(int days) {
  return format_date(today_utc() + days);
}
int this_year() {
  return civil_from_days(today_utc()).year;
}
int this_quarter() {
  return static_cast<int>((civil_from_days(today_utc()).month - 1) / 3 + 1);
}
int this_half() {
  return civil_from_days(today_utc()).month <= 6 ? 1 : 2;
}

std::int64_t new_org(MembershipCluster& c, const std::string& name) {
  OrganizationCreateRequest r;
  r.name = name;
  r.kind = OrganizationKind::institution;
  auto o = c.call<OrganizationCreate>(r);
  EXPECT_TRUE(o.ok()) << o.status().to_string();
  return o.ok() ? o->id : 0;
}

std::int64_t new_group(MembershipCluster& c, const std::string& code, const std::string& name) {
  WorkingGroupCreateRequest r;
  r.code = code;
  r.name = name;
  auto g = c.call<WorkingGroupCreate>(r);
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  return g.ok() ? g->id : 0;
}

#define EXPECT_CODE(expr, expected) EXPECT_EQ((expr).status().code(), StatusCode::expected)

TEST(MembershipProgramme, FiveYearTerms) {
  MembershipCluster c;
  const std::int64_t org = new_org(c, "浙江大学华家池校区");
  EXPECT_CODE(c.call<TermStart>({.organization_id = 4242, .start_on = day_from_today(0)}),
              not_found);
  // A term that started five years ago less 30 days ends within 90 days.
  const std::string start = format_date(add_years(today_utc(), -5) + 30);
  auto term = c.call<TermStart>({.organization_id = org, .start_on = start});
  ASSERT_TRUE(term.ok()) << term.status().to_string();
  EXPECT_EQ(term->status, TermStatus::active);
  EXPECT_EQ(term->end_on, format_date(add_years(*parse_date(start), 5) - 1));
  EXPECT_CODE(c.call<TermStart>({.organization_id = org, .start_on = day_from_today(400)}),
              failed_precondition);
  EXPECT_CODE(c.call<TermGet>({.id = 999}), not_found);

  TermExpiringRequest soon;
  auto expiring = c.call<TermExpiring>(soon);
  ASSERT_TRUE(expiring.ok());
  ASSERT_EQ(expiring->items.size(), 1u);
  EXPECT_EQ(expiring->items[0].id, term->id);

  // Renewal: the next term follows without a gap and the old one leaves the expiring list.
  EXPECT_CODE(c.call<TermRenew>({.id = term->id, .start_on = day_from_today(0)}), invalid_argument);
  auto next = c.call<TermRenew>({.id = term->id, .start_on = std::nullopt});
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_EQ(next->status, TermStatus::scheduled);
  EXPECT_EQ(next->previous_term_id, term->id);
  EXPECT_EQ(*parse_date(next->start_on), *parse_date(term->end_on) + 1);
  EXPECT_EQ(c.call<TermGet>({.id = term->id})->next_term_id, next->id);
  EXPECT_CODE(c.call<TermRenew>({.id = term->id, .start_on = std::nullopt}), failed_precondition);
  EXPECT_CODE(c.call<TermRenew>({.id = next->id, .start_on = std::nullopt}), failed_precondition);
  EXPECT_TRUE(c.call<TermExpiring>(soon)->items.empty());

  // Withdrawal ends the running term and its scheduled renewal.
  EXPECT_CODE(
      c.call<TermWithdraw>({.id = term->id, .withdrawn_on = day_from_today(1), .reason = "撤销"}),
      invalid_argument);
  auto withdrawn = c.call<TermWithdraw>(
      {.id = term->id, .withdrawn_on = day_from_today(0), .reason = "单位迁出辖区"});
  ASSERT_TRUE(withdrawn.ok());
  EXPECT_EQ(withdrawn->status, TermStatus::withdrawn);
  EXPECT_EQ(c.call<TermGet>({.id = next->id})->status, TermStatus::withdrawn);
  EXPECT_CODE(
      c.call<TermWithdraw>({.id = term->id, .withdrawn_on = day_from_today(0), .reason = "again"}),
      failed_precondition);
  EXPECT_CODE(c.call<TermRenew>({.id = term->id, .start_on = std::nullopt}), failed_precondition);

  // History of the organisation, newest first; an old expired term can be recorded too.
  auto old = c.call<TermStart>({.organization_id = org, .start_on = "2014-03-01"});
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->status, TermStatus::expired);
  EXPECT_CODE(c.call<TermStart>({.organization_id = org, .start_on = "2016-01-01"}),
              failed_precondition);  // overlaps 2014..2019
  TermListRequest history;
  history.organization_id = org;
  history.limit = 2;
  auto page = c.call<TermList>(history);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].id, old->id);
  history.cursor = page->next_cursor;
  EXPECT_EQ(c.call<TermList>(history)->items.size(), 1u);
  TermListRequest withdrawn_only;
  withdrawn_only.status = TermStatus::withdrawn;
  EXPECT_EQ(c.call<TermList>(withdrawn_only)->items.size(), 2u);
}

AgreementCreateRequest agreement(std::int64_t org) {
  AgreementCreateRequest r;
  r.organization_id = org;
  r.title = "区域共建协议";
  r.start_on = day_from_today(-10);
  r.subdistrict_provides = {SubdistrictService::human_resources, SubdistrictService::training};
  r.unit_opens = {UnitFacility::party_building, UnitFacility::sports};
  r.commitments = "双向服务";
  return r;
}

TEST(MembershipProgramme, CoBuildingAgreements) {
  MembershipCluster c;
  const std::int64_t org = new_org(c, "杭州凯旋教育集团");
  EXPECT_CODE(c.call<AgreementCreate>(agreement(4242)), not_found);
  AgreementCreateRequest backwards = agreement(org);
  backwards.end_on = day_from_today(-20);
  EXPECT_EQ(c.call<AgreementCreate>(backwards).status().field(), "end_on");
  AgreementCreateRequest twice = agreement(org);
  twice.unit_opens = {UnitFacility::culture, UnitFacility::culture};
  EXPECT_EQ(c.call<AgreementCreate>(twice).status().field(), "unit_opens[1]");
  AgreementCreateRequest nothing = agreement(org);
  nothing.subdistrict_provides.clear();
  EXPECT_EQ(c.call<AgreementCreate>(nothing).status().code(), StatusCode::invalid_argument);

  auto a = c.call<AgreementCreate>(agreement(org));
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->status, AgreementStatus::draft);
  EXPECT_EQ(*parse_date(a->end_on), add_years(*parse_date(a->start_on), 5) - 1);
  AgreementUpdateRequest edit;
  edit.id = a->id;
  edit.unit_opens = std::vector<UnitFacility>{UnitFacility::party_building, UnitFacility::culture,
                                              UnitFacility::education, UnitFacility::sports};
  EXPECT_EQ(c.call<AgreementUpdate>(edit)->unit_opens.size(), 4u);
  EXPECT_CODE(
      c.call<AgreementTerminate>({.id = a->id, .terminated_on = day_from_today(0), .reason = "x"}),
      failed_precondition);
  EXPECT_EQ(c.call<AgreementSign>({.id = a->id, .signed_on = day_from_today(1)}).status().field(),
            "signed_on");
  auto signed_a = c.call<AgreementSign>({.id = a->id, .signed_on = day_from_today(0)});
  ASSERT_TRUE(signed_a.ok());
  EXPECT_EQ(signed_a->status, AgreementStatus::active);
  EXPECT_CODE(c.call<AgreementSign>({.id = a->id, .signed_on = day_from_today(0)}),
              failed_precondition);
  EXPECT_CODE(c.call<AgreementUpdate>(edit), failed_precondition);
  auto ended = c.call<AgreementTerminate>(
      {.id = a->id, .terminated_on = day_from_today(0), .reason = "单位撤并"});
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->status, AgreementStatus::terminated);
  EXPECT_EQ(ended->termination_reason, "单位撤并");
  EXPECT_CODE(c.call<AgreementGet>({.id = 999}), not_found);
  EXPECT_CODE(c.call<AgreementUpdate>({.id = 999,
                                       .title = {},
                                       .start_on = {},
                                       .end_on = {},
                                       .subdistrict_provides = {},
                                       .unit_opens = {},
                                       .commitments = {}}),
              not_found);
  ASSERT_TRUE(c.call<AgreementCreate>(agreement(org)).ok());
  AgreementListRequest of_org;
  of_org.organization_id = org;
  EXPECT_EQ(c.call<AgreementList>(of_org)->items.size(), 2u);
  AgreementListRequest drafts;
  drafts.status = AgreementStatus::draft;
  EXPECT_EQ(c.call<AgreementList>(drafts)->items.size(), 1u);
}

TEST(MembershipProgramme, NeedsBecomeProjectsThatAreReportedEvaluatedAndRewarded) {
  MembershipCluster c;
  const std::int64_t institute = new_org(c, "浙江省水利河口研究院");
  const std::int64_t gardens = new_org(c, "杭州蓝天园林生态科技股份有限公司");
  const std::int64_t ecology = new_group(c, "ecology", "生态环境");

  NeedCreateRequest need;
  need.year = this_year();
  need.title = "贴沙河水质分析和环境评估";
  need.source = NeedSource::survey;
  need.working_group_id = 999;
  EXPECT_EQ(c.call<NeedCreate>(need).status().field(), "working_group_id");
  need.working_group_id = ecology;
  auto n = c.call<NeedCreate>(need);
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_EQ(n->status, NeedStatus::open);

  NeedClaimRequest claim;
  claim.id = n->id;
  claim.working_group_id = ecology;
  claim.lead_organization_id = institute;
  claim.partner_organization_ids = std::vector<std::int64_t>{gardens, 4242};
  EXPECT_EQ(c.call<NeedClaim>(claim).status().field(), "partner_organization_ids[1]");
  claim.partner_organization_ids = std::vector<std::int64_t>{gardens};
  auto p = c.call<NeedClaim>(claim);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->status, ProjectStatus::planned);
  EXPECT_EQ(p->title, need.title);
  EXPECT_EQ(c.call<NeedGet>({.id = n->id})->project_id, p->id);
  // A claimed need is refused to a second claimant.
  auto again = c.call<NeedClaim>(claim);
  EXPECT_EQ(again.status().code(), StatusCode::failed_precondition);
  EXPECT_NE(again.status().message().find("already been claimed"), std::string::npos);
  EXPECT_CODE(c.call<NeedClose>({.id = n->id, .reason = "x"}), failed_precondition);
  EXPECT_CODE(c.call<NeedClaim>({.id = 999,
                                 .title = {},
                                 .description = {},
                                 .working_group_id = ecology,
                                 .lead_organization_id = {},
                                 .partner_organization_ids = {}}),
              not_found);

  // Plan, start, report, evaluate, reward, institutionalise.
  ProjectSetStatusRequest start;
  start.id = p->id;
  start.status = ProjectStatus::active;
  EXPECT_CODE(c.call<ProjectSetStatus>(start), failed_precondition);  // no plan yet
  EXPECT_CODE(c.call<ProjectEvaluate>({.id = p->id,
                                       .year = this_year(),
                                       .half = this_half(),
                                       .score = 80,
                                       .comments = {},
                                       .reward = 0,
                                       .evaluated_on = day_from_today(0)}),
              failed_precondition);  // only active projects are evaluated
  auto planned = c.call<ProjectAddStep>(
      {.id = p->id, .title = "制定采样与评估方案", .due_on = day_from_today(30)});
  ASSERT_TRUE(planned.ok());
  ASSERT_EQ(planned->steps.size(), 1u);
  EXPECT_EQ(c.call<ProjectSetStatus>(start)->status, ProjectStatus::active);
  EXPECT_CODE(c.call<ProjectSetStatus>(start), failed_precondition);

  ProjectFileReportRequest report;
  report.id = p->id;
  report.year = this_year();
  report.quarter = this_quarter();
  report.summary = "完成首轮水质分析";
  report.progress_percent = 30;
  auto filed = c.call<ProjectFileReport>(report);
  ASSERT_TRUE(filed.ok()) << filed.status().to_string();
  EXPECT_CODE(c.call<ProjectFileReport>(report), already_exists);
  ProjectListReportsRequest reports;
  reports.id = p->id;
  EXPECT_EQ(c.call<ProjectListReports>(reports)->items.size(), 1u);
  reports.id = 999;
  EXPECT_CODE(c.call<ProjectListReports>(reports), not_found);

  ProjectEvaluateRequest eval;
  eval.id = p->id;
  eval.year = this_year();
  eval.half = this_half();
  eval.score = 92;
  eval.reward = 500000;  // 5,000 yuan in fen
  eval.evaluated_on = day_from_today(0);
  auto evaluated = c.call<ProjectEvaluate>(eval);
  ASSERT_TRUE(evaluated.ok()) << evaluated.status().to_string();
  EXPECT_EQ(evaluated->reward, 500000);
  EXPECT_CODE(c.call<ProjectEvaluate>(eval), already_exists);
  eval.reward = -1;
  EXPECT_EQ(c.call<ProjectEvaluate>(eval).status().field(), "reward");
  ProjectListEvaluationsRequest evaluations;
  evaluations.id = p->id;
  EXPECT_EQ(c.call<ProjectListEvaluations>(evaluations)->items.size(), 1u);
  auto now_project = c.call<ProjectGet>({.id = p->id});
  ASSERT_TRUE(now_project.ok());
  EXPECT_EQ(now_project->rewards, 500000);
  EXPECT_EQ(now_project->reports, 1);
  EXPECT_EQ(now_project->evaluations, 1);
  EXPECT_TRUE(c.call<ProjectInstitutionalize>({.id = p->id})->institutionalized);
  EXPECT_CODE(c.call<ProjectInstitutionalize>({.id = p->id}), failed_precondition);

  // Suspended projects are not evaluated and their steps wait.
  start.status = ProjectStatus::suspended;
  ASSERT_TRUE(c.call<ProjectSetStatus>(start).ok());
  EXPECT_CODE(c.call<ProjectCompleteStep>(
                  {.id = p->id, .step_id = planned->steps[0].id, .done_on = day_from_today(0)}),
              failed_precondition);
  EXPECT_CODE(
      c.call<ProjectCompleteStep>({.id = p->id, .step_id = 999, .done_on = day_from_today(0)}),
      not_found);
  start.status = ProjectStatus::active;
  ASSERT_TRUE(c.call<ProjectSetStatus>(start).ok());
  auto done = c.call<ProjectCompleteStep>(
      {.id = p->id, .step_id = planned->steps[0].id, .done_on = day_from_today(0)});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->steps[0].done_on, day_from_today(0));
  ProjectUpdateRequest edit;
  edit.id = p->id;
  edit.description = "邀请专家定期对贴沙河进行水质分析和环境评估";
  EXPECT_EQ(c.call<ProjectUpdate>(edit)->description, edit.description);
  start.status = ProjectStatus::completed;
  ASSERT_TRUE(c.call<ProjectSetStatus>(start).ok());
  EXPECT_CODE(c.call<ProjectUpdate>(edit), failed_precondition);
  EXPECT_CODE(c.call<ProjectGet>({.id = 999}), not_found);

  ProjectListRequest by_partner;
  by_partner.organization_id = gardens;
  EXPECT_EQ(c.call<ProjectList>(by_partner)->items.size(), 1u);
  ProjectListRequest institutionalized;
  institutionalized.institutionalized = true;
  institutionalized.status = ProjectStatus::completed;
  EXPECT_EQ(c.call<ProjectList>(institutionalized)->items.size(), 1u);

  // A need nobody takes up is closed, and then cannot be claimed.
  need.title = "社区停车难";
  auto other = c.call<NeedCreate>(need);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(c.call<NeedClose>({.id = other->id, .reason = "并入其他项目"})->status,
            NeedStatus::closed);
  claim.id = other->id;
  EXPECT_CODE(c.call<NeedClaim>(claim), failed_precondition);
  NeedListRequest needs;
  needs.year = this_year();
  needs.status = NeedStatus::closed;
  EXPECT_EQ(c.call<NeedList>(needs)->items.size(), 1u);
}

TEST(MembershipProgramme, MeetingsInvitationsAttendanceResolutions) {
  MembershipCluster c;
  const std::int64_t a = new_org(c, "浙江省农业厅");
  const std::int64_t b = new_org(c, "武警杭州疗养院");
  const std::int64_t outsider = new_org(c, "未邀请单位");
  MeetingCreateRequest annual;
  annual.kind = MeetingKind::annual_joint;
  annual.title = "年度联席会议";
  annual.scheduled_at = now_unix_ms() - 3'600'000;
  auto m = c.call<MeetingCreate>(annual);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_CODE(c.call<MeetingCreate>(annual), already_exists);  // one per year

  EXPECT_EQ(c.call<MeetingInvite>({.id = m->id, .organization_ids = {a, 4242}}).status().field(),
            "organization_ids[1]");
  auto invited = c.call<MeetingInvite>({.id = m->id, .organization_ids = {a, b}});
  ASSERT_TRUE(invited.ok());
  EXPECT_EQ(invited->invited, 2);
  EXPECT_EQ(c.call<MeetingInvite>({.id = m->id, .organization_ids = {a}})->invited, 2);
  MeetingRecordAttendanceRequest attendance;
  attendance.id = m->id;
  attendance.records = {{.organization_id = a, .attended = true, .attendee = "王处长"},
                        {.organization_id = b, .attended = false, .attendee = std::nullopt}};
  EXPECT_CODE(c.call<MeetingRecordAttendance>(attendance), failed_precondition);  // not held
  MeetingAddResolutionRequest resolution;
  resolution.id = m->id;
  resolution.text = "各成员单位认领年度共建需求";
  EXPECT_CODE(c.call<MeetingAddResolution>(resolution), failed_precondition);

  auto held = c.call<MeetingHold>({.id = m->id, .minutes = "审议年度项目"});
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->status, MeetingStatus::held);
  EXPECT_CODE(c.call<MeetingHold>({.id = m->id, .minutes = std::nullopt}), failed_precondition);
  EXPECT_CODE(c.call<MeetingInvite>({.id = m->id, .organization_ids = {outsider}}),
              failed_precondition);
  EXPECT_CODE(c.call<MeetingCancel>({.id = m->id, .reason = std::nullopt}), failed_precondition);
  MeetingRecordAttendanceRequest stranger = attendance;
  stranger.records = {{.organization_id = outsider, .attended = true, .attendee = std::nullopt}};
  EXPECT_EQ(c.call<MeetingRecordAttendance>(stranger).status().field(),
            "records[0].organization_id");
  auto recorded = c.call<MeetingRecordAttendance>(attendance);
  ASSERT_TRUE(recorded.ok()) << recorded.status().to_string();
  EXPECT_EQ(recorded->attended, 1);
  resolution.responsible_organization_id = a;
  resolution.due_on = day_from_today(60);
  auto resolved = c.call<MeetingAddResolution>(resolution);
  ASSERT_TRUE(resolved.ok());
  ASSERT_EQ(resolved->resolutions.size(), 1u);
  EXPECT_EQ(resolved->resolutions[0].responsible_organization_id, a);

  // An office meeting in the future cannot be held yet; it can be cancelled.
  MeetingCreateRequest office;
  office.kind = MeetingKind::office;
  office.title = "办公室例会";
  office.scheduled_at = now_unix_ms() + 86'400'000;
  auto later = c.call<MeetingCreate>(office);
  ASSERT_TRUE(later.ok());
  EXPECT_CODE(c.call<MeetingHold>({.id = later->id, .minutes = std::nullopt}), failed_precondition);
  EXPECT_EQ(c.call<MeetingCancel>({.id = later->id, .reason = "改期"})->status,
            MeetingStatus::cancelled);
  EXPECT_CODE(c.call<MeetingGet>({.id = 999}), not_found);
  MeetingListRequest annuals;
  annuals.kind = MeetingKind::annual_joint;
  annuals.year = this_year();
  EXPECT_EQ(c.call<MeetingList>(annuals)->items.size(), 1u);
  MeetingListRequest all;
  all.limit = 1;
  auto first_page = c.call<MeetingList>(all);
  ASSERT_TRUE(first_page.ok());
  EXPECT_EQ(first_page->items[0].id, later->id);  // latest first
  all.cursor = first_page->next_cursor;
  EXPECT_EQ(c.call<MeetingList>(all)->items[0].id, m->id);
}

TEST(MembershipProgramme, ProblemFlowDesk) {
  MembershipCluster c;
  const std::int64_t unit = new_org(c, "浙江省农业厅");
  ProblemRecordRequest rec;
  rec.source = ProblemSource::unit;
  rec.title = "工作大楼改造后停车位紧张";
  EXPECT_EQ(c.call<ProblemRecord>(rec).status().field(), "organization_id");
  rec.organization_id = 4242;
  EXPECT_CODE(c.call<ProblemRecord>(rec), not_found);
  rec.organization_id = unit;
  rec.reporter_name = "张明";
  rec.reporter_phone = "13900001111";
  auto p = c.call<ProblemRecord>(rec);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->status, ProblemStatus::recorded);
  EXPECT_FALSE(p->overdue);

  // Without a handler it cannot be resolved; without triage it cannot be assigned.
  auto unresolved = c.call<ProblemResolve>({.id = p->id, .resolution = "已解决"});
  EXPECT_EQ(unresolved.status().code(), StatusCode::failed_precondition);
  EXPECT_NE(unresolved.status().message().find("without a handler"), std::string::npos);
  ProblemAssignRequest assign;
  assign.id = p->id;
  assign.handler = "城管科";
  assign.due_on = day_from_today(7);
  EXPECT_CODE(c.call<ProblemAssign>(assign), failed_precondition);
  auto triaged = c.call<ProblemTriage>({.id = p->id,
                                        .category = ProblemCategory::parking_traffic,
                                        .priority = ProblemPriority::high});
  ASSERT_TRUE(triaged.ok());
  EXPECT_EQ(triaged->status, ProblemStatus::triaged);
  EXPECT_CODE(c.call<ProblemResolve>({.id = p->id, .resolution = "已解决"}), failed_precondition);
  assign.due_on = day_from_today(-1);
  EXPECT_EQ(c.call<ProblemAssign>(assign).status().field(), "due_on");
  assign.due_on = day_from_today(7);
  auto assigned = c.call<ProblemAssign>(assign);
  ASSERT_TRUE(assigned.ok());
  EXPECT_EQ(assigned->handler, "城管科");
  auto noted = c.call<ProblemAddNote>({.id = p->id, .author = "城管科", .text = "已联系周边小区"});
  ASSERT_TRUE(noted.ok());
  EXPECT_EQ(noted->notes.size(), 1u);
  auto resolved = c.call<ProblemResolve>({.id = p->id, .resolution = "协调周边停车资源"});
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->status, ProblemStatus::resolved);
  EXPECT_TRUE(resolved->closed_at.has_value());
  EXPECT_CODE(c.call<ProblemReject>({.id = p->id, .reason = "x"}), failed_precondition);
  EXPECT_CODE(
      c.call<ProblemTriage>(
          {.id = p->id, .category = ProblemCategory::other, .priority = ProblemPriority::low}),
      failed_precondition);

  ProblemRecordRequest resident;
  resident.source = ProblemSource::resident;
  resident.title = "希望增设健身器材";
  auto r2 = c.call<ProblemRecord>(resident);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(c.call<ProblemReject>({.id = r2->id, .reason = "不属于街道职责"})->status,
            ProblemStatus::rejected);
  EXPECT_CODE(c.call<ProblemGet>({.id = 999}), not_found);
  EXPECT_CODE(c.call<ProblemAddNote>({.id = 999, .author = "a", .text = "b"}), not_found);

  ProblemListRequest resolved_only;
  resolved_only.status = ProblemStatus::resolved;
  EXPECT_EQ(c.call<ProblemList>(resolved_only)->items.size(), 1u);
  ProblemListRequest by_handler;
  by_handler.handler = "城管科";
  EXPECT_EQ(c.call<ProblemList>(by_handler)->items.size(), 1u);
  ProblemListRequest overdue;
  overdue.overdue = true;
  EXPECT_TRUE(c.call<ProblemList>(overdue)->items.empty());

  auto stats = c.call<ProblemStats>({.from = day_from_today(0), .to = day_from_today(0)});
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->recorded, 2);
  EXPECT_EQ(stats->resolved, 1);
  EXPECT_EQ(stats->rejected, 1);
  EXPECT_EQ(stats->resolved_on_time, 1);
  EXPECT_TRUE(stats->median_hours_to_resolve.has_value());
  EXPECT_EQ(
      c.call<ProblemStats>({.from = day_from_today(0), .to = day_from_today(-1)}).status().field(),
      "to");
}

TEST(MembershipProgramme, ActivityLedger) {
  MembershipCluster c;
  const std::int64_t a = new_org(c, "杭州市滨江房产集团股份有限公司");
  const std::int64_t b = new_org(c, "张生记酒店餐饮(集团)杭州管理公司");
  const std::int64_t livelihood = new_group(c, "livelihood", "民生保障");
  ActivityRecordRequest rec;
  rec.title = "贴心就业招聘会";
  rec.held_on = "2016-05-20";
  rec.organization_ids = {a, b};
  rec.working_group_id = livelihood;
  rec.participant_times = 320;
  rec.theme = "贴心就业";
  auto first = c.call<ActivityRecord>(rec);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(first->source, ActivitySource::direct);
  rec.organization_ids = {a, 4242};
  EXPECT_EQ(c.call<ActivityRecord>(rec).status().field(), "organization_ids[1]");
  rec.organization_ids = {a};
  rec.working_group_id = 999;
  EXPECT_EQ(c.call<ActivityRecord>(rec).status().field(), "working_group_id");
  rec.working_group_id = std::nullopt;
  rec.held_on = "2016-08-01";
  rec.participant_times = 80;
  ASSERT_TRUE(c.call<ActivityRecord>(rec).ok());
  EXPECT_EQ(c.call<ActivityGet>({.id = first->id})->organization_ids.size(), 2u);
  EXPECT_CODE(c.call<ActivityGet>({.id = 999}), not_found);

  ActivityListRequest of_b;
  of_b.organization_id = b;
  EXPECT_EQ(c.call<ActivityList>(of_b)->items.size(), 1u);
  ActivityListRequest summer;
  summer.from = "2016-06-01";
  summer.to = "2016-12-31";
  EXPECT_EQ(c.call<ActivityList>(summer)->items.size(), 1u);

  ActivityTotalsRequest per_unit;
  per_unit.group_by = ActivityTotalsRequest::GroupBy::organization;
  auto units = c.call<ActivityTotals>(per_unit);
  ASSERT_TRUE(units.ok());
  EXPECT_EQ(units->activities, 2);
  EXPECT_EQ(units->participant_times, 400);
  ASSERT_EQ(units->groups.size(), 2u);
  EXPECT_EQ(units->groups[0].key, std::to_string(a));  // 400 participant-times
  EXPECT_EQ(units->groups[0].participant_times, 400);
  ActivityTotalsRequest per_group;
  per_group.group_by = ActivityTotalsRequest::GroupBy::working_group;
  auto groups = c.call<ActivityTotals>(per_group);
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->groups.size(), 2u);
  EXPECT_EQ(groups->groups[0].label, "民生保障");
  EXPECT_EQ(groups->groups[1].key, "none");
  ActivityTotalsRequest per_quarter;
  per_quarter.group_by = ActivityTotalsRequest::GroupBy::quarter;
  auto quarters = c.call<ActivityTotals>(per_quarter);
  ASSERT_TRUE(quarters.ok());
  ASSERT_EQ(quarters->groups.size(), 2u);
  EXPECT_EQ(quarters->groups[0].key, "2016-Q2");
  EXPECT_EQ(quarters->groups[1].key, "2016-Q3");
  per_quarter.from = "2016-12-31";
  per_quarter.to = "2016-01-01";
  EXPECT_EQ(c.call<ActivityTotals>(per_quarter).status().field(), "to");
}

// Every operation addressing a record by id answers not_found when there is none.
TEST(MembershipProgramme, EveryOperationOnAMissingRecordIsNotFound) {
  MembershipCluster c;
  const std::int64_t org = new_org(c, "浙江省农业厅");
  const std::int64_t group = new_group(c, "party_mass", "党群建设");
  const std::int64_t missing = 987654;
  const std::string today = day_from_today(0);
  std::vector<std::pair<std::string, Status>> answers;
  const auto note = [&](const char* op, const Status& st) { answers.emplace_back(op, st); };

  OrganizationUpdateRequest org_update;
  org_update.id = missing;
  note("organization.update", c.call<OrganizationUpdate>(org_update).status());
  note("node.get", c.call<NodeGet>({.id = missing}).status());
  NodeUpdateRequest node_update;
  node_update.id = missing;
  note("node.update", c.call<NodeUpdate>(node_update).status());
  note("position.end", c.call<PositionEnd>({.id = missing, .until = today}).status());
  note("working_group.get", c.call<WorkingGroupGet>({.id = missing}).status());
  WorkingGroupUpdateRequest group_update;
  group_update.id = missing;
  note("working_group.update", c.call<WorkingGroupUpdate>(group_update).status());
  note("term.get", c.call<TermGet>({.id = missing}).status());
  note("term.renew", c.call<TermRenew>({.id = missing, .start_on = {}}).status());
  note("term.withdraw",
       c.call<TermWithdraw>({.id = missing, .withdrawn_on = today, .reason = "x"}).status());
  note("agreement.get", c.call<AgreementGet>({.id = missing}).status());
  note("agreement.sign", c.call<AgreementSign>({.id = missing, .signed_on = today}).status());
  note("agreement.terminate",
       c.call<AgreementTerminate>({.id = missing, .terminated_on = today, .reason = "x"}).status());
  note("need.get", c.call<NeedGet>({.id = missing}).status());
  note("need.close", c.call<NeedClose>({.id = missing, .reason = "x"}).status());
  ProjectUpdateRequest project_update;
  project_update.id = missing;
  note("project.update", c.call<ProjectUpdate>(project_update).status());
  note("project.add_step",
       c.call<ProjectAddStep>({.id = missing, .title = "x", .due_on = today}).status());
  note("project.set_status",
       c.call<ProjectSetStatus>({.id = missing, .status = ProjectStatus::active, .reason = {}})
           .status());
  ProjectFileReportRequest report;
  report.id = missing;
  report.year = this_year();
  report.quarter = this_quarter();
  report.summary = "x";
  note("project.file_report", c.call<ProjectFileReport>(report).status());
  ProjectEvaluateRequest evaluate;
  evaluate.id = missing;
  evaluate.year = this_year();
  evaluate.half = this_half();
  evaluate.evaluated_on = today;
  note("project.evaluate", c.call<ProjectEvaluate>(evaluate).status());
  ProjectListEvaluationsRequest evaluations;
  evaluations.id = missing;
  note("project.list_evaluations", c.call<ProjectListEvaluations>(evaluations).status());
  note("project.institutionalize", c.call<ProjectInstitutionalize>({.id = missing}).status());
  note("meeting.invite",
       c.call<MeetingInvite>({.id = missing, .organization_ids = {org}}).status());
  note("meeting.hold", c.call<MeetingHold>({.id = missing, .minutes = {}}).status());
  note("meeting.cancel", c.call<MeetingCancel>({.id = missing, .reason = {}}).status());
  MeetingRecordAttendanceRequest attendance;
  attendance.id = missing;
  attendance.records = {{.organization_id = org, .attended = true, .attendee = {}}};
  note("meeting.record_attendance", c.call<MeetingRecordAttendance>(attendance).status());
  MeetingAddResolutionRequest resolution;
  resolution.id = missing;
  resolution.text = "x";
  note("meeting.add_resolution", c.call<MeetingAddResolution>(resolution).status());
  note("problem.triage",
       c.call<ProblemTriage>(
            {.id = missing, .category = ProblemCategory::other, .priority = ProblemPriority::low})
           .status());
  ProblemAssignRequest assign;
  assign.id = missing;
  assign.handler = "x";
  assign.due_on = today;
  note("problem.assign", c.call<ProblemAssign>(assign).status());
  note("problem.resolve", c.call<ProblemResolve>({.id = missing, .resolution = "x"}).status());
  note("problem.reject", c.call<ProblemReject>({.id = missing, .reason = "x"}).status());
  NeedCreateRequest need;
  need.year = this_year();
  need.title = "x";
  need.source = NeedSource::unit;
  need.organization_id = missing;
  note("need.create (organization_id)", c.call<NeedCreate>(need).status());
  need.organization_id = org;
  need.node_id = missing;
  note("need.create (node_id)", c.call<NeedCreate>(need).status());
  NeedClaimRequest claim;
  need.node_id = std::nullopt;
  auto open_need = c.call<NeedCreate>(need);
  ASSERT_TRUE(open_need.ok());
  claim.id = open_need->id;
  claim.working_group_id = missing;
  note("need.claim (working_group_id)", c.call<NeedClaim>(claim).status());
  claim.working_group_id = group;
  claim.lead_organization_id = missing;
  note("need.claim (lead_organization_id)", c.call<NeedClaim>(claim).status());

  for (const auto& [op, st] : answers) {
    EXPECT_EQ(st.code(), StatusCode::not_found) << op << ": " << st.to_string();
  }
}

TEST(MembershipProgramme, BoundsAreResourceExhausted) {
  MembershipCluster c;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        c.call<PositionAssign>(
             {.title = PositionTitle::vice_chair,
              .holder = Person{.name = "副主任" + std::to_string(i), .title = {}, .phone = {}},
              .since = "2020-01-01"})
            .ok());
  }
  EXPECT_CODE(
      c.call<PositionAssign>({.title = PositionTitle::vice_chair,
                              .holder = Person{.name = "第十一位", .title = {}, .phone = {}},
                              .since = "2020-01-01"}),
      resource_exhausted);

  const std::int64_t group = new_group(c, "economy", "经济发展");
  NeedCreateRequest need;
  need.year = this_year();
  need.title = "楼宇招商服务";
  need.source = NeedSource::office;
  auto n = c.call<NeedCreate>(need);
  ASSERT_TRUE(n.ok());
  NeedClaimRequest claim;
  claim.id = n->id;
  claim.working_group_id = group;
  auto p = c.call<NeedClaim>(claim);
  ASSERT_TRUE(p.ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        c.call<ProjectAddStep>(
             {.id = p->id, .title = "步骤" + std::to_string(i), .due_on = day_from_today(i)})
            .ok());
  }
  EXPECT_CODE(
      c.call<ProjectAddStep>({.id = p->id, .title = "多余的步骤", .due_on = day_from_today(60)}),
      resource_exhausted);
  // A report on a project that has not started is refused.
  ProjectFileReportRequest report;
  report.id = p->id;
  report.year = this_year();
  report.quarter = this_quarter();
  report.summary = "x";
  EXPECT_CODE(c.call<ProjectFileReport>(report), failed_precondition);
}

}  // namespace
}  // namespace kai
