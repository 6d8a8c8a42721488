#include "membership/problem_rules.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace kai::membership {
namespace {

std::string status_name(ProblemStatus s) {
  return std::string(msg::membership::to_string(s));
}

constexpr double kMsPerHour = 3'600'000.0;

}  // namespace

bool is_open(ProblemStatus status) {
  return status == ProblemStatus::recorded || status == ProblemStatus::triaged ||
         status == ProblemStatus::assigned;
}

Status check_record(ProblemSource source, bool has_organization) {
  if (source == ProblemSource::unit && !has_organization) {
    return invalid_argument("a problem raised by a unit names the unit", "organization_id");
  }
  return Status::Ok();
}

Status check_triage(ProblemStatus status) {
  if (!is_open(status)) {
    return failed_precondition("the problem is " + status_name(status) +
                               "; it is not triaged again");
  }
  return Status::Ok();
}

Status check_assign(ProblemStatus status, CivilDays due_on, CivilDays recorded_on) {
  if (status == ProblemStatus::recorded) {
    return failed_precondition("triage the problem (category and priority) before assigning it");
  }
  if (!is_open(status)) {
    return failed_precondition("the problem is " + status_name(status) + "; it is not assigned");
  }
  if (due_on < recorded_on) {
    return invalid_argument("due_on lies before the day the problem was recorded", "due_on");
  }
  return Status::Ok();
}

Status check_resolve(ProblemStatus status, bool has_handler) {
  if (!is_open(status)) {
    return failed_precondition("the problem is already " + status_name(status));
  }
  if (!has_handler) {
    return failed_precondition("a problem cannot be resolved without a handler; assign it first");
  }
  return Status::Ok();
}

Status check_reject(ProblemStatus status) {
  if (!is_open(status)) {
    return failed_precondition("the problem is already " + status_name(status));
  }
  return Status::Ok();
}

Status check_note(int notes) {
  if (notes >= kMaxProblemNotes) {
    return resource_exhausted("a problem has at most " + std::to_string(kMaxProblemNotes) +
                              " notes");
  }
  return Status::Ok();
}

bool is_overdue(ProblemStatus status, std::optional<CivilDays> due_on, CivilDays today) {
  return is_open(status) && due_on.has_value() && *due_on < today;
}

ResolveFigures time_to_resolve(std::vector<std::int64_t> durations_ms) {
  ResolveFigures f;
  if (durations_ms.empty()) return f;
  std::sort(durations_ms.begin(), durations_ms.end());
  const std::size_t n = durations_ms.size();
  double sum = 0;
  for (std::int64_t d : durations_ms)
    sum += static_cast<double>(std::max<std::int64_t>(d, 0));
  f.mean_hours = sum / static_cast<double>(n) / kMsPerHour;
  const double median = n % 2 == 1 ? static_cast<double>(durations_ms[n / 2])
                                   : (static_cast<double>(durations_ms[n / 2 - 1]) +
                                      static_cast<double>(durations_ms[n / 2])) /
                                         2.0;
  f.median_hours = std::max(median, 0.0) / kMsPerHour;
  // Nearest rank: the smallest value with at least 90% of the values at or below it.
  const std::size_t rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(n)));
  f.p90_hours = static_cast<double>(std::max<std::int64_t>(durations_ms[rank - 1], 0)) / kMsPerHour;
  return f;
}

}  // namespace kai::membership
