#include "membership/term_rules.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace kai::membership {
namespace {

CivilDays d(const char* text) {
  return *parse_date(text);
}

TermFacts term(TermStatus status, const char* start, bool renewed = false) {
  TermFacts t;
  t.status = status;
  t.start = d(start);
  t.end = term_end(t.start);
  t.has_successor = renewed;
  return t;
}

TEST(TermRules, TermLastsFiveYearsToTheDayBefore) {
  EXPECT_EQ(format_date(term_end(d("2014-03-01"))), "2019-02-28");
  EXPECT_EQ(format_date(term_end(d("2024-03-01"))), "2029-02-28");
  EXPECT_EQ(format_date(term_end(d("2019-01-01"))), "2023-12-31");
  // A term starting on 29 February ends on 27 February five years later (28th is the next start).
  EXPECT_EQ(format_date(term_end(d("2024-02-29"))), "2029-02-27");
}

TEST(TermRules, StatusFollowsTheDates) {
  const CivilDays start = d("2024-03-01");
  const CivilDays end = term_end(start);
  EXPECT_EQ(term_status_on(start, end, start - 1), TermStatus::scheduled);
  EXPECT_EQ(term_status_on(start, end, start), TermStatus::active);
  EXPECT_EQ(term_status_on(start, end, end), TermStatus::active);
  EXPECT_EQ(term_status_on(start, end, end + 1), TermStatus::expired);
}

TEST(TermRules, ExpiryMovesOpenTermsOnce) {
  const TermFacts running = term(TermStatus::active, "2019-03-01");
  EXPECT_EQ(status_transition(running, running.end), std::nullopt);
  EXPECT_EQ(status_transition(running, running.end + 1), TermStatus::expired);
  const TermFacts next = term(TermStatus::scheduled, "2024-03-01");
  EXPECT_EQ(status_transition(next, next.start - 1), std::nullopt);
  EXPECT_EQ(status_transition(next, next.start), TermStatus::active);
  // A scheduled term whose whole period passed unnoticed goes straight to expired.
  EXPECT_EQ(status_transition(next, next.end + 10), TermStatus::expired);
  EXPECT_EQ(status_transition(term(TermStatus::expired, "2014-03-01"), d("2030-01-01")),
            std::nullopt);
  TermFacts gone = term(TermStatus::withdrawn, "2024-03-01");
  gone.withdrawn_on = d("2025-01-01");
  EXPECT_EQ(status_transition(gone, d("2030-01-01")), std::nullopt);
}

TEST(TermRules, StartRefusedWhileATermIsOpenOrWhenPeriodsOverlap) {
  EXPECT_TRUE(check_start({}, d("2024-03-01")).ok());
  const std::vector<TermFacts> open = {term(TermStatus::active, "2024-03-01")};
  EXPECT_EQ(check_start(open, d("2030-01-01")).code(), StatusCode::failed_precondition);
  const std::vector<TermFacts> old = {term(TermStatus::expired, "2014-03-01")};
  EXPECT_TRUE(check_start(old, d("2019-03-01")).ok());
  const Status overlap = check_start(old, d("2015-01-01"));
  EXPECT_EQ(overlap.code(), StatusCode::failed_precondition);
  EXPECT_EQ(overlap.field(), "start_on");
  // A withdrawn term ends on its withdrawal day: a new term may start the day after.
  TermFacts left = term(TermStatus::withdrawn, "2014-03-01");
  left.withdrawn_on = d("2016-06-30");
  const std::vector<TermFacts> history = {left};
  EXPECT_TRUE(check_start(history, d("2016-07-01")).ok());
  EXPECT_FALSE(check_start(history, d("2016-06-30")).ok());
}

TEST(TermRules, RunningTermIsRenewedWithoutAGap) {
  const TermFacts running = term(TermStatus::active, "2024-03-01");
  auto next = renewal_start(running, std::nullopt, d("2026-11-26"), false);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(format_date(*next), "2029-03-01");
  auto same = renewal_start(running, d("2029-03-01"), d("2026-11-26"), false);
  EXPECT_TRUE(same.ok());
  auto other = renewal_start(running, d("2030-01-01"), d("2026-11-26"), false);
  EXPECT_EQ(other.status().code(), StatusCode::invalid_argument);
  EXPECT_EQ(other.status().field(), "start_on");
}

TEST(TermRules, ExpiredTermIsRenewedFromTodayOrALaterDate) {
  const TermFacts old = term(TermStatus::expired, "2014-03-01");
  auto today = renewal_start(old, std::nullopt, d("2026-11-26"), false);
  ASSERT_TRUE(today.ok());
  EXPECT_EQ(format_date(*today), "2026-11-26");
  auto explicit_start = renewal_start(old, d("2019-03-01"), d("2026-11-26"), false);
  ASSERT_TRUE(explicit_start.ok());
  EXPECT_EQ(format_date(*explicit_start), "2019-03-01");
  EXPECT_EQ(renewal_start(old, d("2019-02-28"), d("2026-11-26"), false).status().code(),
            StatusCode::invalid_argument);
  EXPECT_EQ(renewal_start(old, std::nullopt, d("2026-11-26"), true).status().code(),
            StatusCode::failed_precondition);
}

TEST(TermRules, RenewalRefusals) {
  const CivilDays today = d("2026-11-26");
  EXPECT_EQ(renewal_start(term(TermStatus::active, "2024-03-01", true), std::nullopt, today, false)
                .status()
                .code(),
            StatusCode::failed_precondition);
  EXPECT_EQ(renewal_start(term(TermStatus::scheduled, "2029-03-01"), std::nullopt, today, false)
                .status()
                .code(),
            StatusCode::failed_precondition);
  EXPECT_EQ(renewal_start(term(TermStatus::withdrawn, "2024-03-01"), std::nullopt, today, false)
                .status()
                .code(),
            StatusCode::failed_precondition);
}

TEST(TermRules, Withdrawal) {
  const CivilDays today = d("2026-11-26");
  const TermFacts running = term(TermStatus::active, "2024-03-01");
  EXPECT_TRUE(check_withdraw(running, today, today).ok());
  EXPECT_TRUE(check_withdraw(running, running.start, today).ok());
  EXPECT_EQ(check_withdraw(running, today + 1, today).field(), "withdrawn_on");
  EXPECT_EQ(check_withdraw(running, running.start - 1, today).code(), StatusCode::invalid_argument);
  EXPECT_TRUE(check_withdraw(term(TermStatus::scheduled, "2029-03-01"), today, today).ok());
  EXPECT_EQ(check_withdraw(term(TermStatus::expired, "2014-03-01"), today, today).code(),
            StatusCode::failed_precondition);
}

TEST(TermRules, ExpiringSoonCountsRunningTermsWithoutRenewal) {
  const TermFacts running = term(TermStatus::active, "2022-01-01");  // ends 2026-12-31
  EXPECT_TRUE(expiring_within(running, d("2026-11-26"), 90));
  EXPECT_TRUE(expiring_within(running, d("2026-10-02"), 90));   // exactly 90 days before
  EXPECT_FALSE(expiring_within(running, d("2026-10-01"), 90));  // 91 days before
  EXPECT_TRUE(expiring_within(running, running.end, 90));
  EXPECT_FALSE(expiring_within(term(TermStatus::active, "2022-01-01", true), d("2026-11-26"), 90));
  EXPECT_FALSE(expiring_within(term(TermStatus::scheduled, "2022-01-01"), d("2026-11-26"), 90));
}

}  // namespace
}  // namespace kai::membership
