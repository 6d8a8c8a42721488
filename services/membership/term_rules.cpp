#include "membership/term_rules.hpp"

#include <string>

namespace kai::membership {

CivilDays term_end(CivilDays start) {
  return add_years(start, kTermYears) - 1;
}

TermStatus term_status_on(CivilDays start, CivilDays end, CivilDays today) {
  if (today < start) return TermStatus::scheduled;
  if (today > end) return TermStatus::expired;
  return TermStatus::active;
}

CivilDays TermFacts::effective_end() const {
  if (status == TermStatus::withdrawn && withdrawn_on && *withdrawn_on < end) return *withdrawn_on;
  return end;
}

bool periods_overlap(CivilDays a_start, CivilDays a_end, CivilDays b_start, CivilDays b_end) {
  return a_start <= b_end && b_start <= a_end;
}

Status check_start(std::span<const TermFacts> existing, CivilDays start) {
  const CivilDays end = term_end(start);
  for (const TermFacts& t : existing) {
    if (t.open()) {
      return failed_precondition(
          "the organisation already has a scheduled or running term; renew it instead");
    }
    if (periods_overlap(start, end, t.start, t.effective_end())) {
      return failed_precondition("the term " + format_date(start) + ".." + format_date(end) +
                                     " overlaps the term " + format_date(t.start) + ".." +
                                     format_date(t.effective_end()),
                                 "start_on");
    }
  }
  return Status::Ok();
}

Result<CivilDays> renewal_start(const TermFacts& term, std::optional<CivilDays> requested,
                                CivilDays today, bool organization_has_other_open_term) {
  if (term.has_successor) return failed_precondition("the term has already been renewed");
  switch (term.status) {
    case TermStatus::scheduled:
      return failed_precondition("a term that has not started yet cannot be renewed");
    case TermStatus::withdrawn:
      return failed_precondition("a withdrawn term cannot be renewed");
    case TermStatus::active: {
      const CivilDays next = term.end + 1;
      if (requested && *requested != next) {
        return invalid_argument(
            "a running term's renewal starts the day after it ends (" + format_date(next) + ")",
            "start_on");
      }
      return next;
    }
    case TermStatus::expired: {
      if (organization_has_other_open_term) {
        return failed_precondition("the organisation already has a scheduled or running term");
      }
      const CivilDays next = requested.value_or(today);
      if (next <= term.end) {
        return invalid_argument(
            "the renewal must start after the old term's end (" + format_date(term.end) + ")",
            "start_on");
      }
      return next;
    }
  }
  return internal_error("unknown term status");
}

Status check_withdraw(const TermFacts& term, CivilDays withdrawn_on, CivilDays today) {
  if (!term.open()) {
    return failed_precondition(std::string("a term that is ") +
                               std::string(msg::membership::to_string(term.status)) +
                               " cannot be withdrawn");
  }
  if (withdrawn_on > today)
    return invalid_argument("withdrawn_on is in the future", "withdrawn_on");
  if (term.status == TermStatus::active && withdrawn_on < term.start) {
    return invalid_argument("withdrawn_on lies before the term started", "withdrawn_on");
  }
  if (withdrawn_on > term.end) {
    return invalid_argument("withdrawn_on lies after the term ended", "withdrawn_on");
  }
  return Status::Ok();
}

std::optional<TermStatus> status_transition(const TermFacts& term, CivilDays today) {
  if (!term.open()) return std::nullopt;
  const TermStatus now = term_status_on(term.start, term.end, today);
  if (now == term.status) return std::nullopt;
  return now;
}

bool expiring_within(const TermFacts& term, CivilDays today, int days) {
  return term.status == TermStatus::active && !term.has_successor && term.end >= today &&
         term.end - today <= days;
}

}  // namespace kai::membership
