// The co-building activity ledger in the database: activities entered by the office or reported
// by other departments' services, and the totals per unit, working group and period.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/common.hpp"
#include "schema/membership.hpp"
#include "store/tx.hpp"

namespace kai::membership {

namespace msgs = msg::membership;

Result<msgs::Activity> get_activity(store::Tx& tx, std::int64_t id);
// activity.record; not_found naming the organisation, working group or node that does not exist.
Result<msgs::Activity> record_activity(store::Tx& tx, const msgs::ActivityRecordRequest& req,
                                       UnixMillis now);

// An activity another service reported (common.ActivityCompletion). Each (source, ref) is counted
// once: a repeat returns nullopt and changes nothing. Organisation ids this registry does not know
// and an unknown working group code are left out (`dropped` counts the organisations), so one
// stale reference does not lose the activity.
Result<std::optional<msgs::Activity>> record_reported_activity(
    store::Tx& tx, msgs::ActivitySource source, const msg::common::ActivityCompletion& report,
    UnixMillis now, int* dropped);

Result<msgs::ActivityListReply> list_activities(store::Tx& tx,
                                                const msgs::ActivityListRequest& req);
// activity.totals; invalid_argument when `to` lies before `from`. An activity of several units
// counts fully for each of them.
Result<msgs::ActivityTotalsReply> activity_totals(store::Tx& tx,
                                                  const msgs::ActivityTotalsRequest& req);

// Gauges: activities and participant-times held in [from, to].
struct LedgerFigures {
  std::int64_t activities = 0;
  std::int64_t participant_times = 0;
};
Result<LedgerFigures> ledger_figures(store::Tx& tx, CivilDays from, CivilDays to);

}  // namespace kai::membership
