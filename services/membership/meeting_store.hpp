// Meetings in the database: scheduling, invitations, holding or cancelling, attendance and
// resolutions (meeting_rules.hpp has the rules).
#pragma once

#include <cstdint>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"
#include "store/tx.hpp"

namespace kai::membership {

namespace msgs = msg::membership;

Result<msgs::Meeting> get_meeting(store::Tx& tx, std::int64_t id);
// meeting.create; already_exists for a second annual joint meeting in a year.
Result<msgs::Meeting> create_meeting(store::Tx& tx, const msgs::MeetingCreateRequest& req,
                                     UnixMillis now);
Result<msgs::MeetingListReply> list_meetings(store::Tx& tx, const msgs::MeetingListRequest& req);
Result<msgs::Meeting> invite_to_meeting(store::Tx& tx, const msgs::MeetingInviteRequest& req,
                                        UnixMillis now);
Result<msgs::Meeting> hold_meeting(store::Tx& tx, const msgs::MeetingHoldRequest& req,
                                   UnixMillis now);
Result<msgs::Meeting> cancel_meeting(store::Tx& tx, const msgs::MeetingCancelRequest& req,
                                     UnixMillis now);
Result<msgs::Meeting> record_attendance(store::Tx& tx,
                                        const msgs::MeetingRecordAttendanceRequest& req,
                                        UnixMillis now);
Result<msgs::Meeting> add_resolution(store::Tx& tx, const msgs::MeetingAddResolutionRequest& req,
                                     UnixMillis now);

}  // namespace kai::membership
