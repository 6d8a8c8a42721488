#include "membership/meeting_rules.hpp"

#include <string>

#include "membership/utc_day.hpp"

namespace kai::membership {
namespace {

std::string status_name(MeetingStatus s) {
  return std::string(msg::membership::to_string(s));
}

}  // namespace

int meeting_year(UnixMillis scheduled_at) {
  return civil_from_days(day_of(scheduled_at)).year;
}

Status check_invite(MeetingStatus status, std::size_t invited_after) {
  if (status != MeetingStatus::scheduled) {
    return failed_precondition("invitations go out for scheduled meetings; this one is " +
                               status_name(status));
  }
  if (invited_after > static_cast<std::size_t>(kMaxInvitations)) {
    return resource_exhausted("a meeting has at most " + std::to_string(kMaxInvitations) +
                              " invited units");
  }
  return Status::Ok();
}

Status check_hold(MeetingStatus status, UnixMillis scheduled_at, UnixMillis now) {
  if (status != MeetingStatus::scheduled) {
    return failed_precondition("the meeting is already " + status_name(status));
  }
  if (now < scheduled_at) return failed_precondition("the meeting's time has not come yet");
  return Status::Ok();
}

Status check_cancel(MeetingStatus status) {
  if (status != MeetingStatus::scheduled) {
    return failed_precondition("the meeting is already " + status_name(status));
  }
  return Status::Ok();
}

Status check_attendance(MeetingStatus status, const std::set<std::int64_t>& invited,
                        std::span<const Invitation> records) {
  if (status != MeetingStatus::held) {
    return failed_precondition("attendance is recorded for a meeting that was held; this one is " +
                               status_name(status));
  }
  std::set<std::int64_t> seen;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::string where = "records[" + std::to_string(i) + "]";
    const Invitation& r = records[i];
    if (!r.attended) return invalid_argument("say whether the unit attended", where + ".attended");
    if (!seen.insert(r.organization_id).second) {
      return invalid_argument("the unit is listed twice", where + ".organization_id");
    }
    if (!invited.contains(r.organization_id)) {
      return failed_precondition(
          "organisation " + std::to_string(r.organization_id) + " was not invited",
          where + ".organization_id");
    }
    if (r.attendee && !*r.attended) {
      return invalid_argument("an attendee is named only for a unit that attended",
                              where + ".attendee");
    }
  }
  return Status::Ok();
}

Status check_resolution(MeetingStatus status, int resolutions) {
  if (status != MeetingStatus::held) {
    return failed_precondition(
        "resolutions are recorded for a meeting that was held; this one is " + status_name(status));
  }
  if (resolutions >= kMaxResolutions) {
    return resource_exhausted("a meeting has at most " + std::to_string(kMaxResolutions) +
                              " resolutions");
  }
  return Status::Ok();
}

}  // namespace kai::membership
