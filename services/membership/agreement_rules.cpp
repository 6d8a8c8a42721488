#include "membership/agreement_rules.hpp"

#include <string>

#include "membership/term_rules.hpp"

namespace kai::membership {
namespace {

std::string status_name(AgreementStatus s) {
  return std::string(msg::membership::to_string(s));
}

}  // namespace

CivilDays default_agreement_end(CivilDays start) {
  return term_end(start);
}

Status check_agreement_period(CivilDays start, CivilDays end) {
  if (end < start) return invalid_argument("end_on lies before start_on", "end_on");
  return Status::Ok();
}

Status check_distinct(std::span<const SubdistrictService> provides,
                      std::span<const UnitFacility> opens) {
  for (std::size_t i = 0; i < provides.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (provides[i] == provides[j]) {
        return invalid_argument("listed twice", "subdistrict_provides[" + std::to_string(i) + "]");
      }
    }
  }
  for (std::size_t i = 0; i < opens.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (opens[i] == opens[j]) {
        return invalid_argument("listed twice", "unit_opens[" + std::to_string(i) + "]");
      }
    }
  }
  return Status::Ok();
}

Status check_agreement_edit(AgreementStatus status) {
  if (status != AgreementStatus::draft) {
    return failed_precondition("only draft agreements are edited; this one is " +
                               status_name(status));
  }
  return Status::Ok();
}

Status check_sign(AgreementStatus status, CivilDays signed_on, CivilDays end, CivilDays today) {
  if (status != AgreementStatus::draft) {
    return failed_precondition("only a draft is signed; this agreement is " + status_name(status));
  }
  if (signed_on > today) return invalid_argument("signed_on is in the future", "signed_on");
  if (signed_on > end)
    return invalid_argument("signed_on lies after the agreement's end", "signed_on");
  return Status::Ok();
}

Status check_terminate(AgreementStatus status, CivilDays start, CivilDays terminated_on,
                       CivilDays today) {
  if (status != AgreementStatus::active) {
    return failed_precondition("only an agreement in force is terminated; this one is " +
                               status_name(status));
  }
  if (terminated_on > today) {
    return invalid_argument("terminated_on is in the future", "terminated_on");
  }
  if (terminated_on < start) {
    return invalid_argument("terminated_on lies before the agreement started", "terminated_on");
  }
  return Status::Ok();
}

std::optional<AgreementStatus> agreement_transition(AgreementStatus status, CivilDays end,
                                                    CivilDays today) {
  if (status == AgreementStatus::active && end < today) return AgreementStatus::expired;
  return std::nullopt;
}

}  // namespace kai::membership
