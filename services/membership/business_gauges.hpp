// The membership business gauges on /metrics (names fixed in the deploy dashboards):
//   kai_membership_organizations{kind}, kai_membership_terms_active,
//   kai_membership_terms_expiring_90d, kai_membership_problems_open,
//   kai_membership_problems_overdue, kai_membership_activities_year,
//   kai_membership_participant_times_year, kai_membership_projects{status}
// recomputed by the chassis every KAI_GAUGE_INTERVAL from a read snapshot.
#pragma once

#include "service/registrar.hpp"

namespace kai::membership {

void register_business_gauges(svc::Registrar& r);

}  // namespace kai::membership
