#include "membership/meeting_store.hpp"

#include <set>
#include <string>
#include <vector>

#include "membership/meeting_rules.hpp"
#include "membership/organization_store.hpp"
#include "membership/paged_query.hpp"
#include "membership/row_helpers.hpp"

namespace kai::membership {
namespace {

using msgs::Meeting;

constexpr std::string_view kColumns =
    "SELECT id, kind, title, scheduled_at, location, agenda, status, minutes, version, "
    "created_at, updated_at FROM meeting ";

Result<Meeting> meeting_from_row(store::Tx& tx, const store::Row& row) {
  Meeting m;
  m.id = row.int64("id");
  auto kind = enum_of<MeetingKind>(row, "kind");
  if (!kind.ok()) return kind.status();
  m.kind = *kind;
  m.title = row.text("title");
  m.scheduled_at = row.int64("scheduled_at");
  m.location = row.opt_text("location");
  m.agenda = row.opt_text("agenda");
  auto status = enum_of<MeetingStatus>(row, "status");
  if (!status.ok()) return status.status();
  m.status = *status;
  m.minutes = row.opt_text("minutes");
  m.version = row.int64("version");
  m.created_at = row.int64("created_at");
  m.updated_at = row.int64("updated_at");
  auto invitations = tx.query(
      "SELECT organization_id, attended, attendee FROM meeting_invitation WHERE meeting_id = ? "
      "ORDER BY organization_id",
      {m.id});
  if (!invitations.ok()) return invitations.status();
  for (const store::Row& r : *invitations) {
    Invitation inv{.organization_id = r.int64("organization_id"),
                   .attended = opt_bool(r, "attended"),
                   .attendee = r.opt_text("attendee")};
    if (inv.attended.value_or(false)) ++m.attended;
    m.invitations.push_back(std::move(inv));
  }
  m.invited = static_cast<std::int32_t>(m.invitations.size());
  auto resolutions = tx.query(
      "SELECT id, text, responsible_organization_id, due_on FROM meeting_resolution "
      "WHERE meeting_id = ? ORDER BY id",
      {m.id});
  if (!resolutions.ok()) return resolutions.status();
  for (const store::Row& r : *resolutions) {
    m.resolutions.push_back(
        {.id = r.int64("id"),
         .text = r.text("text"),
         .responsible_organization_id = r.opt_int64("responsible_organization_id"),
         .due_on = r.opt_text("due_on")});
  }
  return m;
}

Status touch(store::Tx& tx, std::int64_t id, UnixMillis now) {
  return tx.exec("UPDATE meeting SET version = version + 1, updated_at = ? WHERE id = ?",
                 {now, id});
}

// Holding and cancelling both close a meeting: its last status, and in `minutes` the minutes of
// the meeting or the reason it was cancelled.
Result<Meeting> close_meeting(store::Tx& tx, std::int64_t id, MeetingStatus status,
                              const std::optional<std::string>& minutes, UnixMillis now) {
  KAI_RETURN_IF_ERROR(tx.exec("UPDATE meeting SET status = ?, minutes = ? WHERE id = ?",
                              {msgs::to_string(status), minutes, id}));
  KAI_RETURN_IF_ERROR(touch(tx, id, now));
  return get_meeting(tx, id);
}

std::set<std::int64_t> invited_of(const Meeting& m) {
  std::set<std::int64_t> out;
  for (const Invitation& inv : m.invitations)
    out.insert(inv.organization_id);
  return out;
}

}  // namespace

Result<Meeting> get_meeting(store::Tx& tx, std::int64_t id) {
  auto row = tx.query_one(std::string(kColumns) + "WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return not_found("meeting " + std::to_string(id) + " does not exist");
  return meeting_from_row(tx, **row);
}

Result<Meeting> create_meeting(store::Tx& tx, const msgs::MeetingCreateRequest& req,
                               UnixMillis now) {
  const int year = meeting_year(req.scheduled_at);
  if (req.kind == MeetingKind::annual_joint) {
    auto dup = tx.query_one(
        "SELECT id FROM meeting WHERE kind = 'annual_joint' AND year = ? AND status <> "
        "'cancelled'",
        {year});
    if (!dup.ok()) return dup.status();
    if (*dup) {
      return already_exists("the annual joint meeting of " + std::to_string(year) + " is meeting " +
                            std::to_string((*dup)->int64("id")));
    }
  }
  auto row = tx.query_one(
      "INSERT INTO meeting(kind, title, scheduled_at, year, location, agenda, status, version, "
      "created_at, updated_at) VALUES(?, ?, ?, ?, ?, ?, 'scheduled', 1, ?, ?) RETURNING id",
      {msgs::to_string(req.kind), req.title, req.scheduled_at, year, req.location, req.agenda, now,
       now});
  if (!row.ok()) return row.status();
  return get_meeting(tx, (*row)->int64("id"));
}

Result<msgs::MeetingListReply> list_meetings(store::Tx& tx, const msgs::MeetingListRequest& req) {
  PagedQuery q(kColumns, {.tag = "mt",
                          .keys = 2,
                          .after = "(scheduled_at, id) < (?, ?)",
                          .order_by = "scheduled_at DESC, id DESC"});
  if (req.kind) q.where("kind = ?", {msgs::to_string(*req.kind)});
  if (req.year) q.where("year = ?", {*req.year});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::MeetingListReply>(
      tx, req.limit, [&tx](const store::Row& row) { return meeting_from_row(tx, row); },
      [](const Meeting& m) {
        return std::vector<std::int64_t>{m.scheduled_at, m.id};
      });
}

Result<Meeting> invite_to_meeting(store::Tx& tx, const msgs::MeetingInviteRequest& req,
                                  UnixMillis now) {
  auto m = get_meeting(tx, req.id);
  if (!m.ok()) return m.status();
  const std::set<std::int64_t> invited = invited_of(*m);
  KAI_RETURN_IF_ERROR(require_organizations(tx, req.organization_ids, "organization_ids"));
  std::set<std::int64_t> after = invited;
  after.insert(req.organization_ids.begin(), req.organization_ids.end());
  KAI_RETURN_IF_ERROR(check_invite(m->status, after.size()));
  for (std::int64_t org : req.organization_ids) {
    if (invited.contains(org)) continue;
    KAI_RETURN_IF_ERROR(tx.exec(
        "INSERT INTO meeting_invitation(meeting_id, organization_id) VALUES(?, ?)", {req.id, org}));
  }
  KAI_RETURN_IF_ERROR(touch(tx, req.id, now));
  return get_meeting(tx, req.id);
}

Result<Meeting> hold_meeting(store::Tx& tx, const msgs::MeetingHoldRequest& req, UnixMillis now) {
  auto m = get_meeting(tx, req.id);
  if (!m.ok()) return m.status();
  KAI_RETURN_IF_ERROR(check_hold(m->status, m->scheduled_at, now));
  return close_meeting(tx, req.id, MeetingStatus::held, req.minutes, now);
}

Result<Meeting> cancel_meeting(store::Tx& tx, const msgs::MeetingCancelRequest& req,
                               UnixMillis now) {
  auto m = get_meeting(tx, req.id);
  if (!m.ok()) return m.status();
  KAI_RETURN_IF_ERROR(check_cancel(m->status));
  return close_meeting(tx, req.id, MeetingStatus::cancelled, req.reason, now);
}

Result<Meeting> record_attendance(store::Tx& tx, const msgs::MeetingRecordAttendanceRequest& req,
                                  UnixMillis now) {
  auto m = get_meeting(tx, req.id);
  if (!m.ok()) return m.status();
  const std::set<std::int64_t> invited = invited_of(*m);
  KAI_RETURN_IF_ERROR(check_attendance(m->status, invited, req.records));
  for (const Invitation& r : req.records) {
    KAI_RETURN_IF_ERROR(
        tx.exec("UPDATE meeting_invitation SET attended = ?, attendee = ? WHERE meeting_id = ? AND "
                "organization_id = ?",
                {r.attended.value_or(false) ? 1 : 0, r.attendee, req.id, r.organization_id}));
  }
  KAI_RETURN_IF_ERROR(touch(tx, req.id, now));
  return get_meeting(tx, req.id);
}

Result<Meeting> add_resolution(store::Tx& tx, const msgs::MeetingAddResolutionRequest& req,
                               UnixMillis now) {
  auto m = get_meeting(tx, req.id);
  if (!m.ok()) return m.status();
  KAI_RETURN_IF_ERROR(check_resolution(m->status, static_cast<int>(m->resolutions.size())));
  if (req.responsible_organization_id) {
    KAI_RETURN_IF_ERROR(
        require_organization(tx, *req.responsible_organization_id, "responsible_organization_id"));
  }
  KAI_RETURN_IF_ERROR(tx.exec(
      "INSERT INTO meeting_resolution(meeting_id, text, responsible_organization_id, due_on) "
      "VALUES(?, ?, ?, ?)",
      {req.id, req.text, req.responsible_organization_id, req.due_on}));
  KAI_RETURN_IF_ERROR(touch(tx, req.id, now));
  return get_meeting(tx, req.id);
}

}  // namespace kai::membership
