// The yearly co-building cycle (项目化推进机制 and 绩效化反馈机制): needs collected at the start of
// the year are claimed by a unit or the office and become projects with a dated plan; the leading
// unit reports on them every quarter, the office evaluates them twice a year and grants rewards in
// place of grants (以奖代拨, integer fen), and well-run projects are institutionalised.
//
// Project life: planned → active (needs at least one plan step) ⇄ suspended; active → completed;
// planned, active or suspended → cancelled. Completed and cancelled projects are final.
#pragma once

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"

namespace kai::membership {

using msg::membership::NeedStatus;
using msg::membership::ProjectStatus;

inline constexpr int kMaxPlanSteps = 50;
// Largest reward one evaluation may grant: 1,000,000 yuan, the size of the subdistrict's fund.
inline constexpr std::int64_t kMaxRewardFen = 100'000'000;

// need.claim: only an open need; claiming a claimed need is refused (failed_precondition).
Status check_claim(NeedStatus status);
// need.close: only an open need.
Status check_close_need(NeedStatus status);

// Whether a project may move from `from` to `to`; `plan_steps` is the size of its plan.
Status check_transition(ProjectStatus from, ProjectStatus to, int plan_steps);

// project.update: completed and cancelled projects are not edited.
Status check_edit(ProjectStatus status);
// project.add_step: while planned, active or suspended, at most kMaxPlanSteps steps.
Status check_add_step(ProjectStatus status, int plan_steps);
// project.complete_step: the project is active and the step not done yet.
Status check_complete_step(ProjectStatus status, bool step_done);

// First day of a quarter (1..4) and of a half-year (1..2).
CivilDays quarter_start(int year, int quarter);
CivilDays half_start(int year, int half);

// project.file_report: active or suspended projects; the quarter must have begun and may not lie
// before the project's year.
Status check_report(ProjectStatus status, int project_year, int year, int quarter, CivilDays today);

// project.evaluate: only ACTIVE projects are evaluated (failed_precondition otherwise); the
// half-year must have begun and may not lie before the project's year; the evaluation date lies
// within [start of that half-year, today]; the reward is 0..kMaxRewardFen.
Status check_evaluate(ProjectStatus status, int project_year, int year, int half,
                      CivilDays evaluated_on, std::int64_t reward_fen, CivilDays today);

// project.institutionalize: an active or completed project with at least one evaluation, not yet
// institutionalised.
Status check_institutionalize(ProjectStatus status, int evaluations, bool institutionalized);

}  // namespace kai::membership
