// Membership terms (成员任期制): the source fixes a term at five years. Pure rules over dates
// (days since 1970-01-01, common/time.hpp); the handlers load the facts, ask these functions and
// store what they answer.
//
// A term covers [start_on, end_on], both inclusive; end_on is the day before the same date five
// years later (2024-03-01 → 2029-02-28). An organisation's terms never overlap, and it has at most
// one term that is scheduled or running: a second one comes only through renewal, which links the
// two terms.
#pragma once

#include <optional>
#include <span>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"

namespace kai::membership {

using msg::membership::TermStatus;

inline constexpr int kTermYears = 5;

// The last day of a term starting on `start`.
CivilDays term_end(CivilDays start);

// What a term that was not withdrawn is on `today`, from its dates alone.
TermStatus term_status_on(CivilDays start, CivilDays end, CivilDays today);

// A term as the rules see it. A withdrawn term's effective end is its withdrawal date.
struct TermFacts {
  TermStatus status = TermStatus::active;
  CivilDays start = 0;
  CivilDays end = 0;
  std::optional<CivilDays> withdrawn_on;
  bool has_successor = false;

  CivilDays effective_end() const;
  bool open() const { return status == TermStatus::scheduled || status == TermStatus::active; }
};

// Whether two inclusive periods share a day.
bool periods_overlap(CivilDays a_start, CivilDays a_end, CivilDays b_start, CivilDays b_end);

// term.start: refused (failed_precondition) while the organisation has a scheduled or running
// term (renew that one instead) or when [start, term_end(start)] overlaps one of its other terms.
Status check_start(std::span<const TermFacts> existing, CivilDays start);

// term.renew: the start of the successor. A running term is followed without a gap (the day after
// its end; a different `requested` start is invalid_argument). An expired term is followed from
// `requested` (default today), never before the day after its end. Refused (failed_precondition)
// for scheduled and withdrawn terms, for a term already renewed, and when the organisation has
// another open term (`organization_has_other_open_term`).
Result<CivilDays> renewal_start(const TermFacts& term, std::optional<CivilDays> requested,
                                CivilDays today, bool organization_has_other_open_term);

// term.withdraw: only scheduled and running terms; the date may not lie in the future, nor before
// the start of a running term, nor after its end (invalid_argument, field withdrawn_on).
Status check_withdraw(const TermFacts& term, CivilDays withdrawn_on, CivilDays today);

// The expiry job: the status a scheduled or running term moves to on `today`, or nullopt when it
// stays as it is (withdrawn and expired terms never move).
std::optional<TermStatus> status_transition(const TermFacts& term, CivilDays today);

// A running term without a renewal whose last day is today or within `days` days after today.
bool expiring_within(const TermFacts& term, CivilDays today, int days);

}  // namespace kai::membership
