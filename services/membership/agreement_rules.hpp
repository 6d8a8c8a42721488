// Co-building agreements (区域共建协议, 合约化运行机制): the subdistrict and a member unit agree
// what each opens to the other. draft → active (signed) → expired (past its end) or terminated
// (ended early). Only drafts are edited.
#pragma once

#include <optional>
#include <span>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"

namespace kai::membership {

using msg::membership::AgreementStatus;
using msg::membership::SubdistrictService;
using msg::membership::UnitFacility;

// An agreement without an explicit end runs a membership term: five years.
CivilDays default_agreement_end(CivilDays start);

// The period is [start, end], end not before start (invalid_argument, end_on).
Status check_agreement_period(CivilDays start, CivilDays end);
// Each item listed once (invalid_argument naming the list).
Status check_distinct(std::span<const SubdistrictService> provides,
                      std::span<const UnitFacility> opens);

// agreement.update: drafts only.
Status check_agreement_edit(AgreementStatus status);
// agreement.sign: drafts only, signed no later than today and no later than the agreement's end.
Status check_sign(AgreementStatus status, CivilDays signed_on, CivilDays end, CivilDays today);
// agreement.terminate: agreements in force only, on a day within [start, today].
Status check_terminate(AgreementStatus status, CivilDays start, CivilDays terminated_on,
                       CivilDays today);
// The expiry job: an agreement in force past its end becomes expired.
std::optional<AgreementStatus> agreement_transition(AgreementStatus status, CivilDays end,
                                                    CivilDays today);

}  // namespace kai::membership
