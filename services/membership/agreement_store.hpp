// Co-building agreements in the database (agreement_rules.hpp has the rules).
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"
#include "store/tx.hpp"

namespace kai::membership {

namespace msgs = msg::membership;

Result<msgs::Agreement> get_agreement(store::Tx& tx, std::int64_t id);
Result<msgs::Agreement> create_agreement(store::Tx& tx, const msgs::AgreementCreateRequest& req,
                                         UnixMillis now);
Result<msgs::Agreement> update_agreement(store::Tx& tx, const msgs::AgreementUpdateRequest& req,
                                         UnixMillis now);
Result<msgs::Agreement> sign_agreement(store::Tx& tx, const msgs::AgreementSignRequest& req,
                                       CivilDays today, UnixMillis now);
Result<msgs::Agreement> terminate_agreement(store::Tx& tx,
                                            const msgs::AgreementTerminateRequest& req,
                                            CivilDays today, UnixMillis now);
Result<msgs::AgreementListReply> list_agreements(store::Tx& tx,
                                                 const msgs::AgreementListRequest& req);
// The expiry job: agreements in force past their end become expired; returns them.
Result<std::vector<msgs::Agreement>> expire_agreements(store::Tx& tx, CivilDays today,
                                                       UnixMillis now);

}  // namespace kai::membership
