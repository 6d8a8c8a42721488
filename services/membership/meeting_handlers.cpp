#include "membership/handlers.hpp"
#include "membership/meeting_store.hpp"

namespace kai::membership {
namespace {

using msgs::Meeting;
using Change = msgs::MeetingChangedEvent::Change;

// A meeting write: run the store function, emit its change.
template <class Op, class Fn>
void write_meeting(svc::Registrar& r, Change change, Fn fn) {
  r.write<Op>(
      [change, fn](const typename Op::Request& req, svc::WriteContext& ctx) -> Result<Meeting> {
        Result<Meeting> m = fn(req, ctx);
        if (!m.ok()) return m;
        KAI_RETURN_IF_ERROR(ctx.emit(msgs::MeetingChangedEvent{
            .id = m->id, .change = change, .kind = m->kind, .status = m->status, .at = ctx.now()}));
        return m;
      });
}

}  // namespace

void register_meeting_handlers(svc::Registrar& r) {
  write_meeting<msgs::MeetingCreate>(
      r, Change::created, [](const msgs::MeetingCreateRequest& req, svc::WriteContext& ctx) {
        return create_meeting(ctx.tx(), req, ctx.now());
      });
  write_meeting<msgs::MeetingInvite>(
      r, Change::invited, [](const msgs::MeetingInviteRequest& req, svc::WriteContext& ctx) {
        return invite_to_meeting(ctx.tx(), req, ctx.now());
      });
  write_meeting<msgs::MeetingHold>(r, Change::held,
                                   [](const msgs::MeetingHoldRequest& req, svc::WriteContext& ctx) {
                                     return hold_meeting(ctx.tx(), req, ctx.now());
                                   });
  write_meeting<msgs::MeetingCancel>(
      r, Change::cancelled, [](const msgs::MeetingCancelRequest& req, svc::WriteContext& ctx) {
        return cancel_meeting(ctx.tx(), req, ctx.now());
      });
  write_meeting<msgs::MeetingRecordAttendance>(
      r, Change::attendance_recorded,
      [](const msgs::MeetingRecordAttendanceRequest& req, svc::WriteContext& ctx) {
        return record_attendance(ctx.tx(), req, ctx.now());
      });
  write_meeting<msgs::MeetingAddResolution>(
      r, Change::resolution_added,
      [](const msgs::MeetingAddResolutionRequest& req, svc::WriteContext& ctx) {
        return add_resolution(ctx.tx(), req, ctx.now());
      });
  r.read<msgs::MeetingGet>([](const msgs::MeetingGetRequest& req, svc::ReadContext& ctx) {
    return get_meeting(ctx.tx(), req.id);
  });
  r.read<msgs::MeetingList>([](const msgs::MeetingListRequest& req, svc::ReadContext& ctx) {
    return list_meetings(ctx.tx(), req);
  });
}

}  // namespace kai::membership
