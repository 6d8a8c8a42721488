#include "common/log.hpp"
#include "membership/activity_store.hpp"
#include "membership/handlers.hpp"
#include "membership/reported_activity.hpp"

namespace kai::membership {
namespace {

using msgs::Activity;

msgs::ActivityRecordedEvent recorded(const Activity& a, UnixMillis at) {
  return {.id = a.id,
          .source = a.source,
          .held_on = a.held_on,
          .participant_times = a.participant_times,
          .organization_ids = a.organization_ids,
          .at = at};
}

// Applies <service>.activity.completed of reporter R to the ledger (once per activity ref).
template <Reporter R>
void subscribe_reporter(svc::Registrar& r) {
  r.subscribe<ActivityCompleted<R>>(
      [](const ActivityCompleted<R>& e, svc::WriteContext& ctx) -> Status {
        int dropped = 0;
        auto a =
            record_reported_activity(ctx.tx(), reporter_source(R), e.activity, ctx.now(), &dropped);
        if (!a.ok()) return a.status();
        if (dropped > 0) {
          log::warn("reported activity names organisations this registry does not know")
              .kv("publisher", reporter_service(R))
              .kv("ref", e.activity.ref)
              .kv("unknown_organizations", dropped);
        }
        if (!*a) return Status::Ok();  // this activity was counted before
        return ctx.emit(recorded(**a, ctx.now()));
      });
}

}  // namespace

void register_activity_handlers(svc::Registrar& r) {
  r.write<msgs::ActivityRecord>(
      [](const msgs::ActivityRecordRequest& req, svc::WriteContext& ctx) -> Result<Activity> {
        auto a = record_activity(ctx.tx(), req, ctx.now());
        if (!a.ok()) return a;
        KAI_RETURN_IF_ERROR(ctx.emit(recorded(*a, ctx.now())));
        return a;
      });
  r.read<msgs::ActivityGet>([](const msgs::ActivityGetRequest& req, svc::ReadContext& ctx) {
    return get_activity(ctx.tx(), req.id);
  });
  r.read<msgs::ActivityList>([](const msgs::ActivityListRequest& req, svc::ReadContext& ctx) {
    return list_activities(ctx.tx(), req);
  });
  r.read<msgs::ActivityTotals>([](const msgs::ActivityTotalsRequest& req, svc::ReadContext& ctx) {
    return activity_totals(ctx.tx(), req);
  });
  subscribe_reporter<Reporter::clubs>(r);
  subscribe_reporter<Reporter::unitedfront>(r);
  subscribe_reporter<Reporter::training>(r);
  subscribe_reporter<Reporter::venture>(r);
}

}  // namespace kai::membership
