// Co-building projects in the database: claims that turn needs into projects, plans, quarterly
// reports, half-yearly evaluations with rewards, and the institutionalised flag (project_rules.hpp
// has the rules).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"
#include "store/tx.hpp"

namespace kai::membership {

namespace msgs = msg::membership;

// need.claim: the need becomes claimed and a planned project carries it. A claimed need is
// refused (failed_precondition). Returns the project; `need` receives the need afterwards.
Result<msgs::Project> claim_need(store::Tx& tx, const msgs::NeedClaimRequest& req, UnixMillis now,
                                 msgs::Need* need);

// ---- projects
Result<msgs::Project> get_project(store::Tx& tx, std::int64_t id);
Result<msgs::ProjectListReply> list_projects(store::Tx& tx, const msgs::ProjectListRequest& req);
Result<msgs::Project> update_project(store::Tx& tx, const msgs::ProjectUpdateRequest& req,
                                     UnixMillis now);
Result<msgs::Project> add_step(store::Tx& tx, const msgs::ProjectAddStepRequest& req,
                               UnixMillis now);
Result<msgs::Project> complete_step(store::Tx& tx, const msgs::ProjectCompleteStepRequest& req,
                                    UnixMillis now);
Result<msgs::Project> set_project_status(store::Tx& tx, const msgs::ProjectSetStatusRequest& req,
                                         UnixMillis now);
Result<msgs::ProjectReport> file_report(store::Tx& tx, const msgs::ProjectFileReportRequest& req,
                                        CivilDays today, UnixMillis now);
Result<msgs::ProjectListReportsReply> list_reports(store::Tx& tx,
                                                   const msgs::ProjectListReportsRequest& req);
Result<msgs::ProjectEvaluation> evaluate_project(store::Tx& tx,
                                                 const msgs::ProjectEvaluateRequest& req,
                                                 CivilDays today, UnixMillis now);
Result<msgs::ProjectListEvaluationsReply> list_evaluations(
    store::Tx& tx, const msgs::ProjectListEvaluationsRequest& req);
Result<msgs::Project> institutionalize_project(store::Tx& tx,
                                               const msgs::ProjectInstitutionalizeRequest& req,
                                               UnixMillis now);

// Gauge: projects per status (every status present, zero included).
Result<std::map<std::string, std::int64_t>> count_projects_by_status(store::Tx& tx);

}  // namespace kai::membership
