// The problem-flow desk (智慧云问题流转): opinions and requests are recorded, triaged to a
// category and priority (研判), assigned to a handler with a due date (领办), annotated, and
// resolved or rejected with a reason. Pure rules; the handlers load the problem and store the
// result.
//
//   recorded → triaged → assigned → resolved
//   recorded | triaged | assigned → rejected
// Triage may be repeated while the problem is open, and so may assignment once triaged.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "membership/utc_day.hpp"
#include "schema/membership.hpp"

namespace kai::membership {

using msg::membership::ProblemSource;
using msg::membership::ProblemStatus;

inline constexpr int kMaxProblemNotes = 200;

bool is_open(ProblemStatus status);

// problem.record: a problem raised by a unit names the unit (invalid_argument, organization_id).
Status check_record(ProblemSource source, bool has_organization);
// problem.triage: open problems only.
Status check_triage(ProblemStatus status);
// problem.assign: a triaged or assigned problem; the due date may not lie before the day it was
// recorded (invalid_argument, due_on).
Status check_assign(ProblemStatus status, CivilDays due_on, CivilDays recorded_on);
// problem.resolve: an open problem WITH A HANDLER; without one it cannot be resolved.
Status check_resolve(ProblemStatus status, bool has_handler);
// problem.reject: open problems only.
Status check_reject(ProblemStatus status);
// problem.add_note: at most kMaxProblemNotes notes (resource_exhausted).
Status check_note(int notes);

// Open and past its due date (the due day itself is still on time).
bool is_overdue(ProblemStatus status, std::optional<CivilDays> due_on, CivilDays today);

// Time-to-resolve figures in hours over resolved problems' durations (recorded → resolved, ms).
struct ResolveFigures {
  std::optional<double> mean_hours;
  std::optional<double> median_hours;
  std::optional<double> p90_hours;  // nearest-rank 90th percentile
};
ResolveFigures time_to_resolve(std::vector<std::int64_t> durations_ms);

}  // namespace kai::membership
