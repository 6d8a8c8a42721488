#include "membership/project_rules.hpp"

#include <string>

namespace kai::membership {
namespace {

using msg::membership::to_string;

std::string status_name(ProjectStatus s) {
  return std::string(to_string(s));
}

bool is_final(ProjectStatus s) {
  return s == ProjectStatus::completed || s == ProjectStatus::cancelled;
}

}  // namespace

Status check_claim(NeedStatus status) {
  switch (status) {
    case NeedStatus::open:
      return Status::Ok();
    case NeedStatus::claimed:
      return failed_precondition("the need has already been claimed");
    case NeedStatus::closed:
      return failed_precondition("the need is closed");
  }
  return internal_error("unknown need status");
}

Status check_close_need(NeedStatus status) {
  if (status == NeedStatus::open) return Status::Ok();
  return failed_precondition("only an open need can be closed; this one is " +
                             std::string(to_string(status)));
}

Status check_transition(ProjectStatus from, ProjectStatus to, int plan_steps) {
  if (from == to) return failed_precondition("the project is already " + status_name(from));
  if (is_final(from)) {
    return failed_precondition("the project is " + status_name(from) + " and cannot change");
  }
  bool allowed = false;
  switch (to) {
    case ProjectStatus::planned:
      allowed = false;
      break;
    case ProjectStatus::active:
      allowed = from == ProjectStatus::planned || from == ProjectStatus::suspended;
      if (allowed && from == ProjectStatus::planned && plan_steps == 0) {
        return failed_precondition("a project needs at least one plan step before it starts");
      }
      break;
    case ProjectStatus::suspended:
    case ProjectStatus::completed:
      allowed = from == ProjectStatus::active;
      break;
    case ProjectStatus::cancelled:
      allowed = true;
      break;
  }
  if (!allowed) {
    return failed_precondition("a project cannot go from " + status_name(from) + " to " +
                               status_name(to));
  }
  return Status::Ok();
}

Status check_edit(ProjectStatus status) {
  if (is_final(status)) {
    return failed_precondition("a " + status_name(status) + " project is not edited");
  }
  return Status::Ok();
}

Status check_add_step(ProjectStatus status, int plan_steps) {
  KAI_RETURN_IF_ERROR(check_edit(status));
  if (plan_steps >= kMaxPlanSteps) {
    return resource_exhausted("a plan has at most " + std::to_string(kMaxPlanSteps) + " steps");
  }
  return Status::Ok();
}

Status check_complete_step(ProjectStatus status, bool step_done) {
  if (status != ProjectStatus::active) {
    return failed_precondition("steps are completed while the project is active; it is " +
                               status_name(status));
  }
  if (step_done) return failed_precondition("the step is already done");
  return Status::Ok();
}

CivilDays quarter_start(int year, int quarter) {
  return days_from_civil(year, static_cast<unsigned>((quarter - 1) * 3 + 1), 1);
}

CivilDays half_start(int year, int half) {
  return days_from_civil(year, half == 1 ? 1u : 7u, 1);
}

Status check_report(ProjectStatus status, int project_year, int year, int quarter,
                    CivilDays today) {
  if (status != ProjectStatus::active && status != ProjectStatus::suspended) {
    return failed_precondition("reports are filed on active or suspended projects; this one is " +
                               status_name(status));
  }
  if (year < project_year) {
    return invalid_argument("the report's year lies before the project's year", "year");
  }
  if (quarter_start(year, quarter) > today) {
    return invalid_argument("that quarter has not begun", "quarter");
  }
  return Status::Ok();
}

Status check_evaluate(ProjectStatus status, int project_year, int year, int half,
                      CivilDays evaluated_on, std::int64_t reward_fen, CivilDays today) {
  if (status != ProjectStatus::active) {
    return failed_precondition("only active projects are evaluated; this one is " +
                               status_name(status));
  }
  if (year < project_year) {
    return invalid_argument("the evaluation's year lies before the project's year", "year");
  }
  const CivilDays begins = half_start(year, half);
  if (begins > today) return invalid_argument("that half-year has not begun", "half");
  if (evaluated_on < begins || evaluated_on > today) {
    return invalid_argument("evaluated_on must lie between the start of the half-year and today",
                            "evaluated_on");
  }
  if (reward_fen < 0 || reward_fen > kMaxRewardFen) {
    return invalid_argument(
        "reward must be between 0 and " + std::to_string(kMaxRewardFen) + " fen", "reward");
  }
  return Status::Ok();
}

Status check_institutionalize(ProjectStatus status, int evaluations, bool institutionalized) {
  if (institutionalized) return failed_precondition("the project is already institutionalised");
  if (status != ProjectStatus::active && status != ProjectStatus::completed) {
    return failed_precondition("only active or completed projects are institutionalised");
  }
  if (evaluations == 0) {
    return failed_precondition("a project is institutionalised after at least one evaluation");
  }
  return Status::Ok();
}

}  // namespace kai::membership
