// Agreements, meetings, the structure, cursors and ledger periods.
#include <vector>

#include <gtest/gtest.h>

#include "membership/agreement_rules.hpp"
#include "membership/ledger_periods.hpp"
#include "membership/meeting_rules.hpp"
#include "membership/page_cursor.hpp"
#include "membership/structure_rules.hpp"

namespace kai::membership {
namespace {

CivilDays d(const char* text) {
  return *parse_date(text);
}

TEST(AgreementRules, PeriodAndDistinctItems) {
  EXPECT_EQ(format_date(default_agreement_end(d("2024-03-01"))), "2029-02-28");
  EXPECT_TRUE(check_agreement_period(d("2024-03-01"), d("2024-03-01")).ok());
  EXPECT_EQ(check_agreement_period(d("2024-03-01"), d("2024-02-29")).field(), "end_on");
  const std::vector<SubdistrictService> twice = {SubdistrictService::training,
                                                 SubdistrictService::training};
  EXPECT_EQ(check_distinct(twice, {}).field(), "subdistrict_provides[1]");
  const std::vector<UnitFacility> opens = {UnitFacility::culture, UnitFacility::sports,
                                           UnitFacility::culture};
  EXPECT_EQ(check_distinct({}, opens).field(), "unit_opens[2]");
}

TEST(AgreementRules, DraftSignedActiveExpiredOrTerminated) {
  const CivilDays today = d("2026-11-26");
  EXPECT_TRUE(check_agreement_edit(AgreementStatus::draft).ok());
  EXPECT_EQ(check_agreement_edit(AgreementStatus::active).code(), StatusCode::failed_precondition);
  EXPECT_TRUE(check_sign(AgreementStatus::draft, today, today + 100, today).ok());
  EXPECT_EQ(check_sign(AgreementStatus::active, today, today + 100, today).code(),
            StatusCode::failed_precondition);
  EXPECT_EQ(check_sign(AgreementStatus::draft, today + 1, today + 100, today).field(), "signed_on");
  EXPECT_EQ(check_sign(AgreementStatus::draft, today, today - 1, today).field(), "signed_on");
  EXPECT_TRUE(check_terminate(AgreementStatus::active, today - 10, today, today).ok());
  EXPECT_EQ(check_terminate(AgreementStatus::draft, today - 10, today, today).code(),
            StatusCode::failed_precondition);
  EXPECT_EQ(check_terminate(AgreementStatus::active, today - 10, today + 1, today).field(),
            "terminated_on");
  EXPECT_EQ(check_terminate(AgreementStatus::active, today - 10, today - 11, today).field(),
            "terminated_on");
  EXPECT_EQ(agreement_transition(AgreementStatus::active, today - 1, today),
            AgreementStatus::expired);
  EXPECT_EQ(agreement_transition(AgreementStatus::active, today, today), std::nullopt);
  EXPECT_EQ(agreement_transition(AgreementStatus::draft, today - 1, today), std::nullopt);
  EXPECT_EQ(agreement_transition(AgreementStatus::terminated, today - 1, today), std::nullopt);
}

TEST(MeetingRules, ScheduledHeldCancelled) {
  const UnixMillis at = 1'700'000'000'000;
  EXPECT_EQ(meeting_year(at), 2023);
  EXPECT_TRUE(check_invite(MeetingStatus::scheduled, 37).ok());
  EXPECT_EQ(check_invite(MeetingStatus::scheduled, kMaxInvitations + 1).code(),
            StatusCode::resource_exhausted);
  EXPECT_EQ(check_invite(MeetingStatus::held, 1).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_hold(MeetingStatus::scheduled, at, at - 1).code(),
            StatusCode::failed_precondition);
  EXPECT_TRUE(check_hold(MeetingStatus::scheduled, at, at).ok());
  EXPECT_EQ(check_hold(MeetingStatus::cancelled, at, at).code(), StatusCode::failed_precondition);
  EXPECT_TRUE(check_cancel(MeetingStatus::scheduled).ok());
  EXPECT_EQ(check_cancel(MeetingStatus::held).code(), StatusCode::failed_precondition);
  EXPECT_TRUE(check_resolution(MeetingStatus::held, 0).ok());
  EXPECT_EQ(check_resolution(MeetingStatus::scheduled, 0).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_resolution(MeetingStatus::held, kMaxResolutions).code(),
            StatusCode::resource_exhausted);
}

TEST(MeetingRules, AttendanceOfInvitedUnitsOfAHeldMeeting) {
  const std::set<std::int64_t> invited = {1, 2, 3};
  std::vector<Invitation> ok = {{.organization_id = 1, .attended = true, .attendee = "张三"},
                                {.organization_id = 2, .attended = false, .attendee = {}}};
  EXPECT_TRUE(check_attendance(MeetingStatus::held, invited, ok).ok());
  EXPECT_EQ(check_attendance(MeetingStatus::scheduled, invited, ok).code(),
            StatusCode::failed_precondition);
  std::vector<Invitation> stranger = {{.organization_id = 9, .attended = true, .attendee = {}}};
  EXPECT_EQ(check_attendance(MeetingStatus::held, invited, stranger).field(),
            "records[0].organization_id");
  std::vector<Invitation> twice = {{.organization_id = 1, .attended = true, .attendee = {}},
                                   {.organization_id = 1, .attended = false, .attendee = {}}};
  EXPECT_EQ(check_attendance(MeetingStatus::held, invited, twice).field(),
            "records[1].organization_id");
  std::vector<Invitation> unsaid = {{.organization_id = 1, .attended = {}, .attendee = {}}};
  EXPECT_EQ(check_attendance(MeetingStatus::held, invited, unsaid).field(), "records[0].attended");
  std::vector<Invitation> absent_named = {
      {.organization_id = 1, .attended = false, .attendee = "李四"}};
  EXPECT_EQ(check_attendance(MeetingStatus::held, invited, absent_named).field(),
            "records[0].attendee");
}

TEST(StructureRules, ThreeTiers) {
  EXPECT_TRUE(check_node_parent(NodeTier::alliance, std::nullopt, false, false).ok());
  EXPECT_EQ(check_node_parent(NodeTier::alliance, std::nullopt, false, true).code(),
            StatusCode::already_exists);
  EXPECT_EQ(check_node_parent(NodeTier::alliance, NodeTier::alliance, true, false).field(),
            "parent_id");
  EXPECT_TRUE(check_node_parent(NodeTier::community, NodeTier::alliance, true, true).ok());
  EXPECT_EQ(check_node_parent(NodeTier::community, std::nullopt, false, true).field(), "parent_id");
  EXPECT_EQ(check_node_parent(NodeTier::community, NodeTier::grid, true, true).code(),
            StatusCode::invalid_argument);
  EXPECT_TRUE(check_node_parent(NodeTier::grid, NodeTier::community, true, true).ok());
  EXPECT_EQ(check_node_parent(NodeTier::grid, NodeTier::alliance, true, true).code(),
            StatusCode::invalid_argument);
}

TEST(StructureRules, PathsSortInTreeOrder) {
  const std::string root = node_path("", 1);
  const std::string a = node_path(root, 2);
  const std::string a_grid = node_path(a, 10);
  const std::string b = node_path(root, 9);
  EXPECT_EQ(root, "0000000000000000001/");
  EXPECT_LT(root, a);
  EXPECT_LT(a, a_grid);
  EXPECT_LT(a_grid, b);  // a's whole subtree comes before its next sibling
  EXPECT_EQ(a_grid.rfind(a, 0), 0u);
}

TEST(StructureRules, Offices) {
  const CivilDays since = d("2024-01-01");
  EXPECT_TRUE(single_seat(PositionTitle::chair));
  EXPECT_TRUE(single_seat(PositionTitle::office_director));
  EXPECT_FALSE(single_seat(PositionTitle::vice_chair));
  EXPECT_TRUE(check_assign_position(PositionTitle::chair, since, std::nullopt, 0).ok());
  EXPECT_TRUE(check_assign_position(PositionTitle::chair, since, since - 1, 1).ok());
  EXPECT_EQ(check_assign_position(PositionTitle::chair, since, since, 1).field(), "since");
  EXPECT_TRUE(check_assign_position(PositionTitle::vice_chair, since, std::nullopt, 2).ok());
  EXPECT_EQ(
      check_assign_position(PositionTitle::vice_chair, since, std::nullopt, kMaxViceChairs).code(),
      StatusCode::resource_exhausted);
  EXPECT_TRUE(check_end_position(true, since, since).ok());
  EXPECT_EQ(check_end_position(false, since, since).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_end_position(true, since, since - 1).field(), "until");
}

TEST(PageCursor, RoundTripsAndRefusesForeignOrTamperedCursors) {
  const std::int64_t keys[] = {1719705600000, 1042};
  const std::string c = make_cursor("oc", keys);
  EXPECT_EQ(c, "oc~1719705600000_1042");
  auto back = parse_cursor(c, "oc", 2);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[0], 1719705600000);
  EXPECT_EQ((*back)[1], 1042);
  EXPECT_EQ(parse_cursor(make_cursor("on", 7), "on", 1)->front(), 7);
  for (const char* bad :
       {"", "oc", "oc~", "oc~1", "oc~1_2_3", "oN~1_2", "oc~a_2", "oc~1__2", "oc~01_2", "oc~+1_2",
        "oc~1_2 ", "xoc~1_2", "oc~99999999999999999999_1"}) {
    const auto r = parse_cursor(bad, "oc", 2);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "cursor") << bad;
  }
}

TEST(PageCursor, DayKeysStayWithinTheCalendar) {
  EXPECT_EQ(*cursor_day(*parse_date("2026-11-26")), "2026-11-26");
  EXPECT_EQ(*cursor_day(days_from_civil(1, 1, 1)), "0001-01-01");
  for (std::int64_t bad : {std::int64_t{99999999999}, std::int64_t{-99999999999},
                           std::int64_t{days_from_civil(9999, 12, 31)} + 1}) {
    EXPECT_EQ(cursor_day(bad).status().field(), "cursor") << bad;
  }
}

TEST(LedgerPeriods, Keys) {
  EXPECT_EQ(period_key(d("2016-05-20"), Period::year), "2016");
  EXPECT_EQ(period_key(d("2016-05-20"), Period::quarter), "2016-Q2");
  EXPECT_EQ(period_key(d("2016-12-31"), Period::quarter), "2016-Q4");
  EXPECT_EQ(period_key(d("2016-05-20"), Period::month), "2016-05");
  EXPECT_EQ(format_date(year_start(d("2016-05-20"))), "2016-01-01");
  EXPECT_EQ(format_date(year_end(d("2016-05-20"))), "2016-12-31");
}

}  // namespace
}  // namespace kai::membership
