#include "membership/handlers.hpp"
#include "membership/problem_store.hpp"

namespace kai::membership {
namespace {

using msgs::Problem;
using Change = msgs::ProblemChangedEvent::Change;

// A problem write: run the store function (given today), emit its change.
template <class Op, class Fn>
void write_problem(svc::Registrar& r, Change change, Fn fn) {
  r.write<Op>([change, fn](const typename Op::Request& req,
                           svc::WriteContext& ctx) -> Result<Problem> {
    Result<Problem> p = fn(ctx.tx(), req, today(ctx), ctx.now());
    if (!p.ok()) return p;
    KAI_RETURN_IF_ERROR(ctx.emit(msgs::ProblemChangedEvent{.id = p->id,
                                                           .change = change,
                                                           .status = p->status,
                                                           .organization_id = p->organization_id,
                                                           .at = ctx.now()}));
    return p;
  });
}

}  // namespace

void register_problem_handlers(svc::Registrar& r) {
  write_problem<msgs::ProblemRecord>(r, Change::recorded, record_problem);
  write_problem<msgs::ProblemTriage>(r, Change::triaged, triage_problem);
  write_problem<msgs::ProblemAssign>(r, Change::assigned, assign_problem);
  write_problem<msgs::ProblemAddNote>(r, Change::noted, add_problem_note);
  write_problem<msgs::ProblemResolve>(r, Change::resolved, resolve_problem);
  write_problem<msgs::ProblemReject>(r, Change::rejected, reject_problem);
  r.read<msgs::ProblemGet>([](const msgs::ProblemGetRequest& req, svc::ReadContext& ctx) {
    return get_problem(ctx.tx(), req.id, today(ctx));
  });
  r.read<msgs::ProblemList>([](const msgs::ProblemListRequest& req, svc::ReadContext& ctx) {
    return list_problems(ctx.tx(), req, today(ctx));
  });
  r.read<msgs::ProblemStats>([](const msgs::ProblemStatsRequest& req, svc::ReadContext& ctx) {
    return problem_stats(ctx.tx(), req, today(ctx));
  });
}

}  // namespace kai::membership
