#include "membership/problem_rules.hpp"

#include <gtest/gtest.h>

namespace kai::membership {
namespace {

using S = ProblemStatus;

CivilDays d(const char* text) {
  return *parse_date(text);
}

TEST(ProblemRules, RecordedByAUnitNamesTheUnit) {
  EXPECT_EQ(check_record(ProblemSource::unit, false).field(), "organization_id");
  EXPECT_TRUE(check_record(ProblemSource::unit, true).ok());
  EXPECT_TRUE(check_record(ProblemSource::resident, false).ok());
}

TEST(ProblemRules, TriageThenAssign) {
  EXPECT_TRUE(check_triage(S::recorded).ok());
  EXPECT_TRUE(check_triage(S::assigned).ok());
  EXPECT_EQ(check_triage(S::resolved).code(), StatusCode::failed_precondition);
  const CivilDays recorded = d("2026-11-01");
  EXPECT_EQ(check_assign(S::recorded, recorded, recorded).code(), StatusCode::failed_precondition);
  EXPECT_TRUE(check_assign(S::triaged, recorded, recorded).ok());
  EXPECT_TRUE(check_assign(S::assigned, recorded + 3, recorded).ok());
  EXPECT_EQ(check_assign(S::triaged, recorded - 1, recorded).field(), "due_on");
  EXPECT_EQ(check_assign(S::rejected, recorded, recorded).code(), StatusCode::failed_precondition);
}

TEST(ProblemRules, CannotBeResolvedWithoutAHandler) {
  const Status st = check_resolve(S::triaged, false);
  EXPECT_EQ(st.code(), StatusCode::failed_precondition);
  EXPECT_NE(st.message().find("without a handler"), std::string::npos);
  EXPECT_EQ(check_resolve(S::recorded, false).code(), StatusCode::failed_precondition);
  EXPECT_TRUE(check_resolve(S::assigned, true).ok());
  EXPECT_EQ(check_resolve(S::resolved, true).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_resolve(S::rejected, true).code(), StatusCode::failed_precondition);
}

TEST(ProblemRules, RejectOnlyOpenProblems) {
  for (S s : {S::recorded, S::triaged, S::assigned})
    EXPECT_TRUE(check_reject(s).ok());
  EXPECT_EQ(check_reject(S::resolved).code(), StatusCode::failed_precondition);
  EXPECT_EQ(check_reject(S::rejected).code(), StatusCode::failed_precondition);
}

TEST(ProblemRules, NotesAreBounded) {
  EXPECT_TRUE(check_note(kMaxProblemNotes - 1).ok());
  EXPECT_EQ(check_note(kMaxProblemNotes).code(), StatusCode::resource_exhausted);
}

TEST(ProblemRules, OverdueMeansOpenAndPastTheDueDay) {
  const CivilDays due = d("2026-11-20");
  EXPECT_FALSE(is_overdue(S::assigned, due, due));
  EXPECT_TRUE(is_overdue(S::assigned, due, due + 1));
  EXPECT_FALSE(is_overdue(S::resolved, due, due + 10));
  EXPECT_FALSE(is_overdue(S::rejected, due, due + 10));
  EXPECT_FALSE(is_overdue(S::triaged, std::nullopt, due + 10));
}

TEST(ProblemRules, TimeToResolveFigures) {
  EXPECT_FALSE(time_to_resolve({}).mean_hours.has_value());
  const std::int64_t h = 3'600'000;
  // 1, 2, 3, ..., 10 hours: mean 5.5, median 5.5, nearest-rank p90 9.
  std::vector<std::int64_t> ten;
  for (int i = 10; i >= 1; --i)
    ten.push_back(i * h);
  const ResolveFigures f = time_to_resolve(ten);
  EXPECT_DOUBLE_EQ(*f.mean_hours, 5.5);
  EXPECT_DOUBLE_EQ(*f.median_hours, 5.5);
  EXPECT_DOUBLE_EQ(*f.p90_hours, 9.0);
  const ResolveFigures one = time_to_resolve({48 * h});
  EXPECT_DOUBLE_EQ(*one.mean_hours, 48.0);
  EXPECT_DOUBLE_EQ(*one.median_hours, 48.0);
  EXPECT_DOUBLE_EQ(*one.p90_hours, 48.0);
  const ResolveFigures odd = time_to_resolve({1 * h, 100 * h, 2 * h});
  EXPECT_DOUBLE_EQ(*odd.median_hours, 2.0);
  EXPECT_DOUBLE_EQ(*odd.p90_hours, 100.0);
}

TEST(UtcDay, DayOfATime) {
  EXPECT_EQ(format_date(day_of(0)), "1970-01-01");
  EXPECT_EQ(format_date(day_of(86'400'000 - 1)), "1970-01-01");
  EXPECT_EQ(format_date(day_of(86'400'000)), "1970-01-02");
  EXPECT_EQ(format_date(day_of(-1)), "1969-12-31");
}

}  // namespace
}  // namespace kai::membership
