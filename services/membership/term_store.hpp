// Membership terms in the database: start, renewal, withdrawal, history, the expiring-soon query
// and the expiry job's sweep. The rules are term_rules.hpp's; this file loads the facts and stores
// the outcome.
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"
#include "store/tx.hpp"

namespace kai::membership {

namespace msgs = msg::membership;

Result<msgs::Term> get_term(store::Tx& tx, std::int64_t id);
// term.start; not_found (organization_id), failed_precondition.
Result<msgs::Term> start_term(store::Tx& tx, const msgs::TermStartRequest& req, CivilDays today,
                              UnixMillis now);
// term.renew: returns the new term; `renewed` receives the old one as it is afterwards.
Result<msgs::Term> renew_term(store::Tx& tx, const msgs::TermRenewRequest& req, CivilDays today,
                              UnixMillis now, msgs::Term* renewed);
// term.withdraw: withdraws the term and a scheduled renewal of it (the organisation leaves);
// returns the withdrawn term and, in `also`, the renewal withdrawn with it.
Result<msgs::Term> withdraw_term(store::Tx& tx, const msgs::TermWithdrawRequest& req,
                                 CivilDays today, UnixMillis now, std::vector<msgs::Term>* also);
Result<msgs::TermListReply> list_terms(store::Tx& tx, const msgs::TermListRequest& req);
Result<msgs::TermExpiringReply> expiring_terms(store::Tx& tx, const msgs::TermExpiringRequest& req,
                                               CivilDays today);

// The expiry job: moves scheduled terms that began to active and running terms that ended to
// expired; returns the terms it changed (as they are now).
Result<std::vector<msgs::Term>> apply_term_transitions(store::Tx& tx, CivilDays today,
                                                       UnixMillis now);

// Gauges: running terms, and those of them ending within 90 days without a renewal.
Result<std::int64_t> count_active_terms(store::Tx& tx);
Result<std::int64_t> count_expiring_terms(store::Tx& tx, CivilDays today, int days);

}  // namespace kai::membership
