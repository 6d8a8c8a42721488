#include "membership/agreement_store.hpp"
#include "membership/handlers.hpp"

namespace kai::membership {
namespace {

using msgs::Agreement;
using Change = msgs::AgreementChangedEvent::Change;

msgs::AgreementChangedEvent agreement_changed(const Agreement& a, Change change, UnixMillis at) {
  return {.id = a.id,
          .organization_id = a.organization_id,
          .change = change,
          .status = a.status,
          .at = at};
}

// The shape of every agreement write: run the store function, emit its change.
template <class Op, class Fn>
void write_agreement(svc::Registrar& r, Change change, Fn fn) {
  r.write<Op>(
      [change, fn](const typename Op::Request& req, svc::WriteContext& ctx) -> Result<Agreement> {
        Result<Agreement> a = fn(req, ctx);
        if (!a.ok()) return a;
        KAI_RETURN_IF_ERROR(ctx.emit(agreement_changed(*a, change, ctx.now())));
        return a;
      });
}

}  // namespace

void register_agreement_handlers(svc::Registrar& r) {
  write_agreement<msgs::AgreementCreate>(
      r, Change::created, [](const msgs::AgreementCreateRequest& req, svc::WriteContext& ctx) {
        return create_agreement(ctx.tx(), req, ctx.now());
      });
  write_agreement<msgs::AgreementUpdate>(
      r, Change::updated, [](const msgs::AgreementUpdateRequest& req, svc::WriteContext& ctx) {
        return update_agreement(ctx.tx(), req, ctx.now());
      });
  write_agreement<msgs::AgreementSign>(
      r, Change::signed_, [](const msgs::AgreementSignRequest& req, svc::WriteContext& ctx) {
        return sign_agreement(ctx.tx(), req, today(ctx), ctx.now());
      });
  write_agreement<msgs::AgreementTerminate>(
      r, Change::terminated,
      [](const msgs::AgreementTerminateRequest& req, svc::WriteContext& ctx) {
        return terminate_agreement(ctx.tx(), req, today(ctx), ctx.now());
      });
  r.read<msgs::AgreementGet>([](const msgs::AgreementGetRequest& req, svc::ReadContext& ctx) {
    return get_agreement(ctx.tx(), req.id);
  });
  r.read<msgs::AgreementList>([](const msgs::AgreementListRequest& req, svc::ReadContext& ctx) {
    return list_agreements(ctx.tx(), req);
  });
}

}  // namespace kai::membership
