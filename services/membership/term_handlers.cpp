#include "membership/handlers.hpp"
#include "membership/term_store.hpp"

namespace kai::membership {
namespace {

using msgs::Term;
using Change = msgs::TermChangedEvent::Change;

msgs::TermChangedEvent term_changed(const Term& t, Change change, UnixMillis at) {
  return {.id = t.id,
          .organization_id = t.organization_id,
          .change = change,
          .status = t.status,
          .start_on = t.start_on,
          .end_on = t.end_on,
          .at = at};
}

}  // namespace

void register_term_handlers(svc::Registrar& r) {
  r.write<msgs::TermStart>(
      [](const msgs::TermStartRequest& req, svc::WriteContext& ctx) -> Result<Term> {
        auto t = start_term(ctx.tx(), req, today(ctx), ctx.now());
        if (!t.ok()) return t;
        KAI_RETURN_IF_ERROR(ctx.emit(term_changed(*t, Change::started, ctx.now())));
        return t;
      });
  r.read<msgs::TermGet>([](const msgs::TermGetRequest& req, svc::ReadContext& ctx) {
    return get_term(ctx.tx(), req.id);
  });
  r.read<msgs::TermList>([](const msgs::TermListRequest& req, svc::ReadContext& ctx) {
    return list_terms(ctx.tx(), req);
  });
  r.read<msgs::TermExpiring>([](const msgs::TermExpiringRequest& req, svc::ReadContext& ctx) {
    return expiring_terms(ctx.tx(), req, today(ctx));
  });
  r.write<msgs::TermRenew>(
      [](const msgs::TermRenewRequest& req, svc::WriteContext& ctx) -> Result<Term> {
        Term old;
        auto t = renew_term(ctx.tx(), req, today(ctx), ctx.now(), &old);
        if (!t.ok()) return t;
        KAI_RETURN_IF_ERROR(ctx.emit(term_changed(*t, Change::renewed, ctx.now())));
        return t;
      });
  r.write<msgs::TermWithdraw>(
      [](const msgs::TermWithdrawRequest& req, svc::WriteContext& ctx) -> Result<Term> {
        std::vector<Term> also;
        auto t = withdraw_term(ctx.tx(), req, today(ctx), ctx.now(), &also);
        if (!t.ok()) return t;
        KAI_RETURN_IF_ERROR(ctx.emit(term_changed(*t, Change::withdrawn, ctx.now())));
        for (const Term& other : also) {
          KAI_RETURN_IF_ERROR(ctx.emit(term_changed(other, Change::withdrawn, ctx.now())));
        }
        return t;
      });
}

}  // namespace kai::membership
