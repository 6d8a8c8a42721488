#include "membership/expiry_job.hpp"

#include "common/log.hpp"
#include "membership/agreement_store.hpp"
#include "membership/handlers.hpp"
#include "membership/term_store.hpp"

namespace kai::membership {

void register_expiry_job(svc::Registrar& r, std::chrono::milliseconds interval) {
  r.every(interval, std::string(kExpiryJob), [](svc::WriteContext& ctx) -> Status {
    const CivilDays d = today(ctx);
    auto terms = apply_term_transitions(ctx.tx(), d, ctx.now());
    if (!terms.ok()) return terms.status();
    for (const msgs::Term& t : *terms) {
      const auto change = t.status == msgs::TermStatus::expired
                              ? msgs::TermChangedEvent::Change::expired
                              : msgs::TermChangedEvent::Change::activated;
      KAI_RETURN_IF_ERROR(ctx.emit(msgs::TermChangedEvent{.id = t.id,
                                                          .organization_id = t.organization_id,
                                                          .change = change,
                                                          .status = t.status,
                                                          .start_on = t.start_on,
                                                          .end_on = t.end_on,
                                                          .at = ctx.now()}));
    }
    auto agreements = expire_agreements(ctx.tx(), d, ctx.now());
    if (!agreements.ok()) return agreements.status();
    for (const msgs::Agreement& a : *agreements) {
      KAI_RETURN_IF_ERROR(ctx.emit(
          msgs::AgreementChangedEvent{.id = a.id,
                                      .organization_id = a.organization_id,
                                      .change = msgs::AgreementChangedEvent::Change::expired,
                                      .status = a.status,
                                      .at = ctx.now()}));
    }
    if (!terms->empty() || !agreements->empty()) {
      log::info("calendar applied")
          .kv("terms_changed", static_cast<std::int64_t>(terms->size()))
          .kv("agreements_expired", static_cast<std::int64_t>(agreements->size()));
    }
    return Status::Ok();
  });
}

}  // namespace kai::membership
