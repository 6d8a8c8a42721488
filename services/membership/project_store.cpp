#include "membership/project_store.hpp"

#include <string>
#include <vector>

#include "membership/need_store.hpp"
#include "membership/organization_store.hpp"
#include "membership/paged_query.hpp"
#include "membership/project_rules.hpp"
#include "membership/row_helpers.hpp"
#include "membership/working_group_store.hpp"

namespace kai::membership {
namespace {

using msgs::Need;
using msgs::Project;
using msgs::ProjectEvaluation;
using msgs::ProjectReport;

constexpr std::string_view kProjectColumns =
    "SELECT p.id, p.need_id, p.year, p.title, p.description, p.working_group_id, "
    "p.lead_organization_id, p.status, p.institutionalized, p.version, p.created_at, "
    "p.updated_at, "
    "(SELECT COUNT(*) FROM project_report r WHERE r.project_id = p.id) AS reports, "
    "(SELECT COUNT(*) FROM project_evaluation e WHERE e.project_id = p.id) AS evaluations, "
    "(SELECT COALESCE(SUM(e.reward), 0) FROM project_evaluation e WHERE e.project_id = p.id) "
    "AS rewards FROM project p ";

Result<Project> project_from_row(store::Tx& tx, const store::Row& row) {
  Project p;
  p.id = row.int64("id");
  p.need_id = row.int64("need_id");
  p.year = static_cast<std::int32_t>(row.int64("year"));
  p.title = row.text("title");
  p.description = row.opt_text("description");
  p.working_group_id = row.int64("working_group_id");
  p.lead_organization_id = row.opt_int64("lead_organization_id");
  auto status = enum_of<ProjectStatus>(row, "status");
  if (!status.ok()) return status.status();
  p.status = *status;
  p.institutionalized = row.int64("institutionalized") != 0;
  p.reports = static_cast<std::int32_t>(row.int64("reports"));
  p.evaluations = static_cast<std::int32_t>(row.int64("evaluations"));
  p.rewards = row.int64("rewards");
  p.version = row.int64("version");
  p.created_at = row.int64("created_at");
  p.updated_at = row.int64("updated_at");
  auto partners = tx.query(
      "SELECT organization_id FROM project_partner WHERE project_id = ? ORDER BY organization_id",
      {p.id});
  if (!partners.ok()) return partners.status();
  for (const store::Row& r : *partners)
    p.partner_organization_ids.push_back(r.int64(0));
  auto steps = tx.query(
      "SELECT id, title, due_on, done_on FROM project_step WHERE project_id = ? "
      "ORDER BY due_on, id",
      {p.id});
  if (!steps.ok()) return steps.status();
  for (const store::Row& r : *steps) {
    p.steps.push_back({.id = r.int64("id"),
                       .title = r.text("title"),
                       .due_on = r.text("due_on"),
                       .done_on = r.opt_text("done_on")});
  }
  return p;
}

Status touch_project(store::Tx& tx, std::int64_t id, UnixMillis now) {
  return tx.exec("UPDATE project SET version = version + 1, updated_at = ? WHERE id = ?",
                 {now, id});
}

Status set_partners(store::Tx& tx, std::int64_t project, const std::vector<std::int64_t>& ids) {
  KAI_RETURN_IF_ERROR(tx.exec("DELETE FROM project_partner WHERE project_id = ?", {project}));
  for (std::int64_t org : ids) {
    KAI_RETURN_IF_ERROR(tx.exec(
        "INSERT INTO project_partner(project_id, organization_id) VALUES(?, ?)", {project, org}));
  }
  return Status::Ok();
}

constexpr std::string_view kReportColumns =
    "SELECT id, project_id, year, quarter, summary, progress_percent, problems, created_at "
    "FROM project_report ";

ProjectReport report_from_row(const store::Row& row) {
  ProjectReport r;
  r.id = row.int64("id");
  r.project_id = row.int64("project_id");
  r.year = static_cast<std::int32_t>(row.int64("year"));
  r.quarter = static_cast<std::int32_t>(row.int64("quarter"));
  r.summary = row.text("summary");
  r.progress_percent = static_cast<std::int32_t>(row.int64("progress_percent"));
  r.problems = row.opt_text("problems");
  r.created_at = row.int64("created_at");
  return r;
}

constexpr std::string_view kEvaluationColumns =
    "SELECT id, project_id, year, half, score, comments, reward, evaluated_on, created_at "
    "FROM project_evaluation ";

ProjectEvaluation evaluation_from_row(const store::Row& row) {
  ProjectEvaluation e;
  e.id = row.int64("id");
  e.project_id = row.int64("project_id");
  e.year = static_cast<std::int32_t>(row.int64("year"));
  e.half = static_cast<std::int32_t>(row.int64("half"));
  e.score = static_cast<std::int32_t>(row.int64("score"));
  e.comments = row.opt_text("comments");
  e.reward = row.int64("reward");
  e.evaluated_on = row.text("evaluated_on");
  e.created_at = row.int64("created_at");
  return e;
}

// not_found when project `id` does not exist.
Status require_project(store::Tx& tx, std::int64_t id) {
  auto p = tx.query_one("SELECT 1 AS one FROM project WHERE id = ?", {id});
  if (!p.ok()) return p.status();
  if (!*p) return not_found("project " + std::to_string(id) + " does not exist");
  return Status::Ok();
}

}  // namespace

Result<Project> claim_need(store::Tx& tx, const msgs::NeedClaimRequest& req, UnixMillis now,
                           Need* need_after) {
  auto need = get_need(tx, req.id);
  if (!need.ok()) return need.status();
  KAI_RETURN_IF_ERROR(check_claim(need->status));
  KAI_RETURN_IF_ERROR(require_working_group(tx, req.working_group_id, "working_group_id"));
  if (req.lead_organization_id) {
    KAI_RETURN_IF_ERROR(
        require_organization(tx, *req.lead_organization_id, "lead_organization_id"));
  }
  const std::vector<std::int64_t> partners =
      req.partner_organization_ids.value_or(std::vector<std::int64_t>{});
  KAI_RETURN_IF_ERROR(require_organizations(tx, partners, "partner_organization_ids"));
  // The status condition makes a concurrent second claim (another replica) change nothing.
  KAI_RETURN_IF_ERROR(
      tx.exec("UPDATE need SET status = 'claimed', updated_at = ? WHERE id = ? AND status = 'open'",
              {now, req.id}));
  if (tx.changes() != 1) return failed_precondition("the need has already been claimed");
  auto row = tx.query_one(
      "INSERT INTO project(need_id, year, title, description, working_group_id, "
      "lead_organization_id, status, institutionalized, version, created_at, updated_at) "
      "VALUES(?, ?, ?, ?, ?, ?, 'planned', 0, 1, ?, ?) RETURNING id",
      {req.id, need->year, req.title.value_or(need->title),
       req.description ? req.description : need->description, req.working_group_id,
       req.lead_organization_id, now, now});
  if (!row.ok()) return row.status();
  const std::int64_t project = (*row)->int64("id");
  KAI_RETURN_IF_ERROR(set_partners(tx, project, partners));
  KAI_RETURN_IF_ERROR(tx.exec("UPDATE need SET project_id = ? WHERE id = ?", {project, req.id}));
  if (need_after != nullptr) {
    auto n = get_need(tx, req.id);
    if (!n.ok()) return n.status();
    *need_after = std::move(*n);
  }
  return get_project(tx, project);
}

Result<Project> get_project(store::Tx& tx, std::int64_t id) {
  auto row = tx.query_one(std::string(kProjectColumns) + "WHERE p.id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return not_found("project " + std::to_string(id) + " does not exist");
  return project_from_row(tx, **row);
}

Result<msgs::ProjectListReply> list_projects(store::Tx& tx, const msgs::ProjectListRequest& req) {
  PagedQuery q(kProjectColumns,
               {.tag = "pj", .keys = 1, .after = "p.id < ?", .order_by = "p.id DESC"});
  if (req.year) q.where("p.year = ?", {*req.year});
  if (req.status) q.where("p.status = ?", {msgs::to_string(*req.status)});
  if (req.working_group_id) q.where("p.working_group_id = ?", {*req.working_group_id});
  if (req.organization_id) {
    q.where(
        "(p.lead_organization_id = ? OR EXISTS (SELECT 1 FROM project_partner pp "
        "WHERE pp.project_id = p.id AND pp.organization_id = ?))",
        {*req.organization_id, *req.organization_id});
  }
  if (req.institutionalized) q.where("p.institutionalized = ?", {*req.institutionalized ? 1 : 0});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::ProjectListReply>(
      tx, req.limit, [&tx](const store::Row& row) { return project_from_row(tx, row); }, id_key);
}

Result<Project> update_project(store::Tx& tx, const msgs::ProjectUpdateRequest& req,
                               UnixMillis now) {
  auto p = get_project(tx, req.id);
  if (!p.ok()) return p.status();
  KAI_RETURN_IF_ERROR(check_edit(p->status));
  if (req.partner_organization_ids) {
    KAI_RETURN_IF_ERROR(
        require_organizations(tx, *req.partner_organization_ids, "partner_organization_ids"));
    KAI_RETURN_IF_ERROR(set_partners(tx, req.id, *req.partner_organization_ids));
  }
  KAI_RETURN_IF_ERROR(tx.exec(
      "UPDATE project SET title = ?, description = ? WHERE id = ?",
      {req.title.value_or(p->title), req.description ? req.description : p->description, req.id}));
  KAI_RETURN_IF_ERROR(touch_project(tx, req.id, now));
  return get_project(tx, req.id);
}

Result<Project> add_step(store::Tx& tx, const msgs::ProjectAddStepRequest& req, UnixMillis now) {
  auto p = get_project(tx, req.id);
  if (!p.ok()) return p.status();
  KAI_RETURN_IF_ERROR(check_add_step(p->status, static_cast<int>(p->steps.size())));
  KAI_RETURN_IF_ERROR(tx.exec("INSERT INTO project_step(project_id, title, due_on) VALUES(?, ?, ?)",
                              {req.id, req.title, req.due_on}));
  KAI_RETURN_IF_ERROR(touch_project(tx, req.id, now));
  return get_project(tx, req.id);
}

Result<Project> complete_step(store::Tx& tx, const msgs::ProjectCompleteStepRequest& req,
                              UnixMillis now) {
  auto p = get_project(tx, req.id);
  if (!p.ok()) return p.status();
  const msgs::PlanStep* step = nullptr;
  for (const msgs::PlanStep& s : p->steps) {
    if (s.id == req.step_id) step = &s;
  }
  if (step == nullptr) {
    return Status(
        StatusCode::not_found,
        "project " + std::to_string(req.id) + " has no step " + std::to_string(req.step_id),
        "step_id");
  }
  KAI_RETURN_IF_ERROR(check_complete_step(p->status, step->done_on.has_value()));
  KAI_RETURN_IF_ERROR(
      tx.exec("UPDATE project_step SET done_on = ? WHERE id = ?", {req.done_on, req.step_id}));
  KAI_RETURN_IF_ERROR(touch_project(tx, req.id, now));
  return get_project(tx, req.id);
}

Result<Project> set_project_status(store::Tx& tx, const msgs::ProjectSetStatusRequest& req,
                                   UnixMillis now) {
  auto p = get_project(tx, req.id);
  if (!p.ok()) return p.status();
  KAI_RETURN_IF_ERROR(check_transition(p->status, req.status, static_cast<int>(p->steps.size())));
  KAI_RETURN_IF_ERROR(tx.exec("UPDATE project SET status = ? WHERE id = ? AND status = ?",
                              {msgs::to_string(req.status), req.id, msgs::to_string(p->status)}));
  if (tx.changes() != 1) return aborted("project " + std::to_string(req.id) + " changed meanwhile");
  KAI_RETURN_IF_ERROR(touch_project(tx, req.id, now));
  return get_project(tx, req.id);
}

Result<ProjectReport> file_report(store::Tx& tx, const msgs::ProjectFileReportRequest& req,
                                  CivilDays today, UnixMillis now) {
  auto p = get_project(tx, req.id);
  if (!p.ok()) return p.status();
  KAI_RETURN_IF_ERROR(check_report(p->status, p->year, req.year, req.quarter, today));
  auto dup = tx.query_one(
      "SELECT id FROM project_report WHERE project_id = ? AND year = ? AND quarter = ?",
      {req.id, req.year, req.quarter});
  if (!dup.ok()) return dup.status();
  if (*dup) {
    return already_exists("the report for " + std::to_string(req.year) + " Q" +
                          std::to_string(req.quarter) + " is filed already");
  }
  auto row = tx.query_one(
      "INSERT INTO project_report(project_id, year, quarter, summary, progress_percent, problems, "
      "created_at) VALUES(?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {req.id, req.year, req.quarter, req.summary, req.progress_percent, req.problems, now});
  if (!row.ok()) return row.status();
  KAI_RETURN_IF_ERROR(touch_project(tx, req.id, now));
  auto r = tx.query_one(std::string(kReportColumns) + "WHERE id = ?", {(*row)->int64("id")});
  if (!r.ok()) return r.status();
  return report_from_row(**r);
}

Result<msgs::ProjectListReportsReply> list_reports(store::Tx& tx,
                                                   const msgs::ProjectListReportsRequest& req) {
  KAI_RETURN_IF_ERROR(require_project(tx, req.id));
  PagedQuery q(kReportColumns, {.tag = "rp", .keys = 1, .after = "id < ?", .order_by = "id DESC"});
  q.where("project_id = ?", {req.id});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::ProjectListReportsReply>(tx, req.limit, report_from_row, id_key);
}

Result<ProjectEvaluation> evaluate_project(store::Tx& tx, const msgs::ProjectEvaluateRequest& req,
                                           CivilDays today, UnixMillis now) {
  auto p = get_project(tx, req.id);
  if (!p.ok()) return p.status();
  KAI_RETURN_IF_ERROR(check_evaluate(p->status, p->year, req.year, req.half, day(req.evaluated_on),
                                     req.reward, today));
  auto dup = tx.query_one(
      "SELECT id FROM project_evaluation WHERE project_id = ? AND year = ? AND half = ?",
      {req.id, req.year, req.half});
  if (!dup.ok()) return dup.status();
  if (*dup) {
    return already_exists("the project is evaluated already for " + std::to_string(req.year) +
                          " H" + std::to_string(req.half));
  }
  auto row = tx.query_one(
      "INSERT INTO project_evaluation(project_id, year, half, score, comments, reward, "
      "evaluated_on, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {req.id, req.year, req.half, req.score, req.comments, req.reward, req.evaluated_on, now});
  if (!row.ok()) return row.status();
  KAI_RETURN_IF_ERROR(touch_project(tx, req.id, now));
  auto e = tx.query_one(std::string(kEvaluationColumns) + "WHERE id = ?", {(*row)->int64("id")});
  if (!e.ok()) return e.status();
  return evaluation_from_row(**e);
}

Result<msgs::ProjectListEvaluationsReply> list_evaluations(
    store::Tx& tx, const msgs::ProjectListEvaluationsRequest& req) {
  KAI_RETURN_IF_ERROR(require_project(tx, req.id));
  PagedQuery q(kEvaluationColumns,
               {.tag = "ev", .keys = 1, .after = "id < ?", .order_by = "id DESC"});
  q.where("project_id = ?", {req.id});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::ProjectListEvaluationsReply>(tx, req.limit, evaluation_from_row, id_key);
}

Result<Project> institutionalize_project(store::Tx& tx,
                                         const msgs::ProjectInstitutionalizeRequest& req,
                                         UnixMillis now) {
  auto p = get_project(tx, req.id);
  if (!p.ok()) return p.status();
  KAI_RETURN_IF_ERROR(check_institutionalize(p->status, p->evaluations, p->institutionalized));
  KAI_RETURN_IF_ERROR(tx.exec("UPDATE project SET institutionalized = 1 WHERE id = ?", {req.id}));
  KAI_RETURN_IF_ERROR(touch_project(tx, req.id, now));
  return get_project(tx, req.id);
}

Result<std::map<std::string, std::int64_t>> count_projects_by_status(store::Tx& tx) {
  std::map<std::string, std::int64_t> out;
  for (std::string_view name : Project::desc().find("status")->enumeration->values) {
    out.emplace(std::string(name), 0);
  }
  auto rows = tx.query("SELECT status, COUNT(*) AS n FROM project GROUP BY status");
  if (!rows.ok()) return rows.status();
  for (const store::Row& r : *rows)
    out[r.text("status")] = r.int64("n");
  return out;
}

}  // namespace kai::membership
