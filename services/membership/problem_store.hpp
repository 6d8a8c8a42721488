// The problem-flow desk in the database (problem_rules.hpp has the rules). A problem's `overdue`
// flag is computed when it is read, against the caller's today.
#pragma once

#include <cstdint>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"
#include "store/tx.hpp"

namespace kai::membership {

namespace msgs = msg::membership;

Result<msgs::Problem> get_problem(store::Tx& tx, std::int64_t id, CivilDays today);
Result<msgs::Problem> record_problem(store::Tx& tx, const msgs::ProblemRecordRequest& req,
                                     CivilDays today, UnixMillis now);
Result<msgs::ProblemListReply> list_problems(store::Tx& tx, const msgs::ProblemListRequest& req,
                                             CivilDays today);
Result<msgs::Problem> triage_problem(store::Tx& tx, const msgs::ProblemTriageRequest& req,
                                     CivilDays today, UnixMillis now);
Result<msgs::Problem> assign_problem(store::Tx& tx, const msgs::ProblemAssignRequest& req,
                                     CivilDays today, UnixMillis now);
Result<msgs::Problem> add_problem_note(store::Tx& tx, const msgs::ProblemAddNoteRequest& req,
                                       CivilDays today, UnixMillis now);
Result<msgs::Problem> resolve_problem(store::Tx& tx, const msgs::ProblemResolveRequest& req,
                                      CivilDays today, UnixMillis now);
Result<msgs::Problem> reject_problem(store::Tx& tx, const msgs::ProblemRejectRequest& req,
                                     CivilDays today, UnixMillis now);
// problem.stats; invalid_argument when `to` lies before `from`.
Result<msgs::ProblemStatsReply> problem_stats(store::Tx& tx, const msgs::ProblemStatsRequest& req,
                                              CivilDays today);

// Gauges: open problems, and those of them past their due date.
Result<std::int64_t> count_open_problems(store::Tx& tx);
Result<std::int64_t> count_overdue_problems(store::Tx& tx, CivilDays today);

}  // namespace kai::membership
