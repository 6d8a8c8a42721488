#include "membership/handlers.hpp"
#include "membership/need_store.hpp"
#include "membership/project_store.hpp"

namespace kai::membership {
namespace {

using msgs::Need;
using msgs::Project;
using ProjectChange = msgs::ProjectChangedEvent::Change;
using NeedChange = msgs::NeedChangedEvent::Change;

msgs::ProjectChangedEvent project_changed(const Project& p, ProjectChange change, UnixMillis at,
                                          std::optional<std::int64_t> reward = std::nullopt) {
  return {.id = p.id,
          .change = change,
          .status = p.status,
          .lead_organization_id = p.lead_organization_id,
          .reward = reward,
          .at = at};
}

msgs::NeedChangedEvent need_changed(const Need& n, NeedChange change, UnixMillis at) {
  return {.id = n.id, .change = change, .status = n.status, .project_id = n.project_id, .at = at};
}

// A project write: run the store function, emit its change.
template <class Op, class Fn>
void write_project(svc::Registrar& r, ProjectChange change, Fn fn) {
  r.write<Op>(
      [change, fn](const typename Op::Request& req, svc::WriteContext& ctx) -> Result<Project> {
        Result<Project> p = fn(req, ctx);
        if (!p.ok()) return p;
        KAI_RETURN_IF_ERROR(ctx.emit(project_changed(*p, change, ctx.now())));
        return p;
      });
}

}  // namespace

void register_project_handlers(svc::Registrar& r) {
  // ---- needs
  r.write<msgs::NeedCreate>(
      [](const msgs::NeedCreateRequest& req, svc::WriteContext& ctx) -> Result<Need> {
        auto n = create_need(ctx.tx(), req, ctx.now());
        if (!n.ok()) return n;
        KAI_RETURN_IF_ERROR(ctx.emit(need_changed(*n, NeedChange::created, ctx.now())));
        return n;
      });
  r.read<msgs::NeedGet>([](const msgs::NeedGetRequest& req, svc::ReadContext& ctx) {
    return get_need(ctx.tx(), req.id);
  });
  r.read<msgs::NeedList>([](const msgs::NeedListRequest& req, svc::ReadContext& ctx) {
    return list_needs(ctx.tx(), req);
  });
  r.write<msgs::NeedClaim>(
      [](const msgs::NeedClaimRequest& req, svc::WriteContext& ctx) -> Result<Project> {
        Need need;
        auto p = claim_need(ctx.tx(), req, ctx.now(), &need);
        if (!p.ok()) return p;
        KAI_RETURN_IF_ERROR(ctx.emit(need_changed(need, NeedChange::claimed, ctx.now())));
        KAI_RETURN_IF_ERROR(ctx.emit(project_changed(*p, ProjectChange::created, ctx.now())));
        return p;
      });
  r.write<msgs::NeedClose>(
      [](const msgs::NeedCloseRequest& req, svc::WriteContext& ctx) -> Result<Need> {
        auto n = close_need(ctx.tx(), req, ctx.now());
        if (!n.ok()) return n;
        KAI_RETURN_IF_ERROR(ctx.emit(need_changed(*n, NeedChange::closed, ctx.now())));
        return n;
      });

  // ---- projects
  r.read<msgs::ProjectGet>([](const msgs::ProjectGetRequest& req, svc::ReadContext& ctx) {
    return get_project(ctx.tx(), req.id);
  });
  r.read<msgs::ProjectList>([](const msgs::ProjectListRequest& req, svc::ReadContext& ctx) {
    return list_projects(ctx.tx(), req);
  });
  write_project<msgs::ProjectUpdate>(
      r, ProjectChange::updated, [](const msgs::ProjectUpdateRequest& req, svc::WriteContext& ctx) {
        return update_project(ctx.tx(), req, ctx.now());
      });
  write_project<msgs::ProjectAddStep>(
      r, ProjectChange::step_added,
      [](const msgs::ProjectAddStepRequest& req, svc::WriteContext& ctx) {
        return add_step(ctx.tx(), req, ctx.now());
      });
  write_project<msgs::ProjectCompleteStep>(
      r, ProjectChange::step_completed,
      [](const msgs::ProjectCompleteStepRequest& req, svc::WriteContext& ctx) {
        return complete_step(ctx.tx(), req, ctx.now());
      });
  write_project<msgs::ProjectSetStatus>(
      r, ProjectChange::status_changed,
      [](const msgs::ProjectSetStatusRequest& req, svc::WriteContext& ctx) {
        return set_project_status(ctx.tx(), req, ctx.now());
      });
  write_project<msgs::ProjectInstitutionalize>(
      r, ProjectChange::institutionalized,
      [](const msgs::ProjectInstitutionalizeRequest& req, svc::WriteContext& ctx) {
        return institutionalize_project(ctx.tx(), req, ctx.now());
      });
  r.write<msgs::ProjectFileReport>([](const msgs::ProjectFileReportRequest& req,
                                      svc::WriteContext& ctx) -> Result<msgs::ProjectReport> {
    auto report = file_report(ctx.tx(), req, today(ctx), ctx.now());
    if (!report.ok()) return report;
    auto p = get_project(ctx.tx(), req.id);
    if (!p.ok()) return p.status();
    KAI_RETURN_IF_ERROR(ctx.emit(project_changed(*p, ProjectChange::reported, ctx.now())));
    return report;
  });
  r.read<msgs::ProjectListReports>(
      [](const msgs::ProjectListReportsRequest& req, svc::ReadContext& ctx) {
        return list_reports(ctx.tx(), req);
      });
  r.write<msgs::ProjectEvaluate>([](const msgs::ProjectEvaluateRequest& req,
                                    svc::WriteContext& ctx) -> Result<msgs::ProjectEvaluation> {
    auto evaluation = evaluate_project(ctx.tx(), req, today(ctx), ctx.now());
    if (!evaluation.ok()) return evaluation;
    auto p = get_project(ctx.tx(), req.id);
    if (!p.ok()) return p.status();
    KAI_RETURN_IF_ERROR(
        ctx.emit(project_changed(*p, ProjectChange::evaluated, ctx.now(), evaluation->reward)));
    return evaluation;
  });
  r.read<msgs::ProjectListEvaluations>(
      [](const msgs::ProjectListEvaluationsRequest& req, svc::ReadContext& ctx) {
        return list_evaluations(ctx.tx(), req);
      });
}

}  // namespace kai::membership
