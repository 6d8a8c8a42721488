// Meetings (年会制度): one annual joint meeting of all member units a year, joint meetings the
// chair calls when needed, and office meetings on the co-building projects. A meeting is
// scheduled, units are invited, it is held (not before its time) or cancelled; attendance and
// resolutions are recorded for a meeting that was held.
#pragma once

#include <cstdint>
#include <set>
#include <span>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"

namespace kai::membership {

using msg::membership::Invitation;
using msg::membership::MeetingKind;
using msg::membership::MeetingStatus;

inline constexpr int kMaxInvitations = 500;
inline constexpr int kMaxResolutions = 100;

// The UTC calendar year of a time; the annual meeting is unique per such year.
int meeting_year(UnixMillis scheduled_at);

// meeting.invite: scheduled meetings; at most kMaxInvitations units in all (resource_exhausted).
Status check_invite(MeetingStatus status, std::size_t invited_after);
// meeting.hold: scheduled, and its time has come.
Status check_hold(MeetingStatus status, UnixMillis scheduled_at, UnixMillis now);
// meeting.cancel: scheduled meetings only.
Status check_cancel(MeetingStatus status);
// meeting.record_attendance: a held meeting; every record names an invited unit once and says
// whether it attended (invalid_argument / failed_precondition naming records[i]).
Status check_attendance(MeetingStatus status, const std::set<std::int64_t>& invited,
                        std::span<const Invitation> records);
// meeting.add_resolution: a held meeting, at most kMaxResolutions.
Status check_resolution(MeetingStatus status, int resolutions);

}  // namespace kai::membership
