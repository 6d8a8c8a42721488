#include "membership/project_rules.hpp"

#include <gtest/gtest.h>

namespace kai::membership {
namespace {

using P = ProjectStatus;

CivilDays d(const char* text) {
  return *parse_date(text);
}

TEST(ProjectRules, ANeedIsClaimedOnce) {
  EXPECT_TRUE(check_claim(NeedStatus::open).ok());
  const Status again = check_claim(NeedStatus::claimed);
  EXPECT_EQ(again.code(), StatusCode::failed_precondition);
  EXPECT_NE(again.message().find("already been claimed"), std::string::npos);
  EXPECT_EQ(check_claim(NeedStatus::closed).code(), StatusCode::failed_precondition);
  EXPECT_TRUE(check_close_need(NeedStatus::open).ok());
  EXPECT_EQ(check_close_need(NeedStatus::claimed).code(), StatusCode::failed_precondition);
}

TEST(ProjectRules, LifeCycle) {
  EXPECT_TRUE(check_transition(P::planned, P::active, 1).ok());
  EXPECT_EQ(check_transition(P::planned, P::active, 0).code(), StatusCode::failed_precondition);
  EXPECT_TRUE(check_transition(P::active, P::suspended, 1).ok());
  EXPECT_TRUE(check_transition(P::suspended, P::active, 1).ok());
  EXPECT_TRUE(check_transition(P::active, P::completed, 1).ok());
  EXPECT_TRUE(check_transition(P::planned, P::cancelled, 0).ok());
  EXPECT_TRUE(check_transition(P::suspended, P::cancelled, 1).ok());
  EXPECT_EQ(check_transition(P::planned, P::completed, 1).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_transition(P::suspended, P::completed, 1).code(),
            StatusCode::failed_precondition);
  EXPECT_EQ(check_transition(P::active, P::planned, 1).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_transition(P::active, P::active, 1).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_transition(P::completed, P::active, 1).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_transition(P::cancelled, P::active, 1).code(), StatusCode::failed_precondition);
}

TEST(ProjectRules, PlansAndEdits) {
  EXPECT_TRUE(check_edit(P::active).ok());
  EXPECT_EQ(check_edit(P::completed).code(), StatusCode::failed_precondition);
  EXPECT_TRUE(check_add_step(P::planned, 0).ok());
  EXPECT_EQ(check_add_step(P::planned, kMaxPlanSteps).code(), StatusCode::resource_exhausted);
  EXPECT_EQ(check_add_step(P::cancelled, 0).code(), StatusCode::failed_precondition);
  EXPECT_TRUE(check_complete_step(P::active, false).ok());
  EXPECT_EQ(check_complete_step(P::active, true).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_complete_step(P::planned, false).code(), StatusCode::failed_precondition);
}

TEST(ProjectRules, QuarterAndHalfYearStarts) {
  EXPECT_EQ(format_date(quarter_start(2016, 1)), "2016-01-01");
  EXPECT_EQ(format_date(quarter_start(2016, 2)), "2016-04-01");
  EXPECT_EQ(format_date(quarter_start(2016, 4)), "2016-10-01");
  EXPECT_EQ(format_date(half_start(2016, 1)), "2016-01-01");
  EXPECT_EQ(format_date(half_start(2016, 2)), "2016-07-01");
}

TEST(ProjectRules, QuarterlyReports) {
  const CivilDays today = d("2016-05-10");
  EXPECT_TRUE(check_report(P::active, 2016, 2016, 2, today).ok());
  EXPECT_TRUE(check_report(P::suspended, 2016, 2016, 1, today).ok());
  EXPECT_EQ(check_report(P::planned, 2016, 2016, 1, today).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_report(P::completed, 2016, 2016, 1, today).code(),
            StatusCode::failed_precondition);
  EXPECT_EQ(check_report(P::active, 2016, 2016, 3, today).field(), "quarter");
  EXPECT_EQ(check_report(P::active, 2016, 2015, 4, today).field(), "year");
}

TEST(ProjectRules, EvaluationOnlyOnActiveProjects) {
  const CivilDays today = d("2016-07-15");
  EXPECT_TRUE(check_evaluate(P::active, 2016, 2016, 1, d("2016-06-30"), 500000, today).ok());
  EXPECT_TRUE(check_evaluate(P::active, 2016, 2016, 2, today, 0, today).ok());
  for (P s : {P::planned, P::suspended, P::completed, P::cancelled}) {
    const Status st = check_evaluate(s, 2016, 2016, 1, d("2016-06-30"), 0, today);
    EXPECT_EQ(st.code(), StatusCode::failed_precondition) << msg::membership::to_string(s);
    EXPECT_NE(st.message().find("only active projects"), std::string::npos);
  }
  EXPECT_EQ(check_evaluate(P::active, 2016, 2017, 1, today, 0, today).field(), "half");
  EXPECT_EQ(check_evaluate(P::active, 2016, 2016, 2, d("2016-06-30"), 0, today).field(),
            "evaluated_on");
  EXPECT_EQ(check_evaluate(P::active, 2016, 2016, 1, today + 1, 0, today).field(), "evaluated_on");
  EXPECT_EQ(check_evaluate(P::active, 2016, 2016, 1, today, -1, today).field(), "reward");
  EXPECT_EQ(check_evaluate(P::active, 2016, 2016, 1, today, kMaxRewardFen + 1, today).field(),
            "reward");
  EXPECT_EQ(check_evaluate(P::active, 2016, 2015, 2, today, 0, today).field(), "year");
}

TEST(ProjectRules, Institutionalisation) {
  EXPECT_TRUE(check_institutionalize(P::active, 1, false).ok());
  EXPECT_TRUE(check_institutionalize(P::completed, 2, false).ok());
  EXPECT_EQ(check_institutionalize(P::active, 0, false).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_institutionalize(P::active, 1, true).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_institutionalize(P::planned, 1, false).code(), StatusCode::failed_precondition);
}

}  // namespace
}  // namespace kai::membership
