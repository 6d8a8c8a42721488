#include "membership/problem_store.hpp"

#include <string>
#include <vector>

#include "membership/node_store.hpp"
#include "membership/organization_store.hpp"
#include "membership/paged_query.hpp"
#include "membership/problem_rules.hpp"
#include "membership/row_helpers.hpp"

namespace kai::membership {
namespace {

using msgs::Problem;

constexpr std::string_view kColumns =
    "SELECT id, source, organization_id, reporter_name, reporter_phone, node_id, title, "
    "description, category, priority, status, handler, handler_organization_id, due_on, "
    "resolution, rejection_reason, recorded_at, triaged_at, assigned_at, closed_at, version "
    "FROM problem ";

constexpr std::string_view kOpen = "status IN ('recorded', 'triaged', 'assigned')";

Result<Problem> problem_from_row(store::Tx& tx, const store::Row& row, CivilDays today) {
  Problem p;
  p.id = row.int64("id");
  auto source = enum_of<ProblemSource>(row, "source");
  if (!source.ok()) return source.status();
  p.source = *source;
  p.organization_id = row.opt_int64("organization_id");
  p.reporter_name = row.opt_text("reporter_name");
  p.reporter_phone = row.opt_text("reporter_phone");
  p.node_id = row.opt_int64("node_id");
  p.title = row.text("title");
  p.description = row.opt_text("description");
  auto category = opt_enum_of<msgs::ProblemCategory>(row, "category");
  if (!category.ok()) return category.status();
  p.category = *category;
  auto priority = opt_enum_of<msgs::ProblemPriority>(row, "priority");
  if (!priority.ok()) return priority.status();
  p.priority = *priority;
  auto status = enum_of<ProblemStatus>(row, "status");
  if (!status.ok()) return status.status();
  p.status = *status;
  p.handler = row.opt_text("handler");
  p.handler_organization_id = row.opt_int64("handler_organization_id");
  p.due_on = row.opt_text("due_on");
  std::optional<CivilDays> due;
  if (p.due_on) due = day(*p.due_on);
  p.overdue = is_overdue(p.status, due, today);
  p.resolution = row.opt_text("resolution");
  p.rejection_reason = row.opt_text("rejection_reason");
  p.recorded_at = row.int64("recorded_at");
  p.triaged_at = row.opt_int64("triaged_at");
  p.assigned_at = row.opt_int64("assigned_at");
  p.closed_at = row.opt_int64("closed_at");
  p.version = row.int64("version");
  auto notes = tx.query(
      "SELECT at, author, text FROM problem_note WHERE problem_id = ? ORDER BY id", {p.id});
  if (!notes.ok()) return notes.status();
  for (const store::Row& r : *notes) {
    p.notes.push_back({.at = r.int64("at"), .author = r.text("author"), .text = r.text("text")});
  }
  return p;
}

}  // namespace

Result<Problem> get_problem(store::Tx& tx, std::int64_t id, CivilDays today) {
  auto row = tx.query_one(std::string(kColumns) + "WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return not_found("problem " + std::to_string(id) + " does not exist");
  return problem_from_row(tx, **row, today);
}

Result<Problem> record_problem(store::Tx& tx, const msgs::ProblemRecordRequest& req,
                               CivilDays today, UnixMillis now) {
  KAI_RETURN_IF_ERROR(check_record(req.source, req.organization_id.has_value()));
  if (req.organization_id) {
    KAI_RETURN_IF_ERROR(require_organization(tx, *req.organization_id, "organization_id"));
  }
  if (req.node_id) KAI_RETURN_IF_ERROR(require_node(tx, *req.node_id, "node_id"));
  auto row = tx.query_one(
      "INSERT INTO problem(source, organization_id, reporter_name, reporter_phone, node_id, "
      "title, description, status, recorded_at, version) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, 'recorded', ?, 1) RETURNING id",
      {msgs::to_string(req.source), req.organization_id, req.reporter_name, req.reporter_phone,
       req.node_id, req.title, req.description, now});
  if (!row.ok()) return row.status();
  return get_problem(tx, (*row)->int64("id"), today);
}

Result<msgs::ProblemListReply> list_problems(store::Tx& tx, const msgs::ProblemListRequest& req,
                                             CivilDays today) {
  // Overdue lists run earliest due first (the most pressing on top); others newest first.
  KeysetOrder order =
      req.overdue ? KeysetOrder{.tag = "po",
                                .keys = 2,
                                .after = "(due_on, id) > (?, ?)",
                                .order_by = "due_on, id",
                                .bind = bind_day_and_id}
                  : KeysetOrder{.tag = "pr", .keys = 1, .after = "id < ?", .order_by = "id DESC"};
  PagedQuery q(kColumns, std::move(order));
  if (req.status) q.where("status = ?", {msgs::to_string(*req.status)});
  if (req.category) q.where("category = ?", {msgs::to_string(*req.category)});
  if (req.priority) q.where("priority = ?", {msgs::to_string(*req.priority)});
  if (req.organization_id) q.where("organization_id = ?", {*req.organization_id});
  if (req.handler) q.where("handler = ?", {*req.handler});
  if (req.overdue) q.where(std::string(kOpen) + " AND due_on < ?", {format_date(today)});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::ProblemListReply>(
      tx, req.limit, [&](const store::Row& row) { return problem_from_row(tx, row, today); },
      [&req](const Problem& p) {
        if (!req.overdue) return std::vector<std::int64_t>{p.id};
        return std::vector<std::int64_t>{day(p.due_on.value_or("1970-01-01")), p.id};
      });
}

Result<Problem> triage_problem(store::Tx& tx, const msgs::ProblemTriageRequest& req,
                               CivilDays today, UnixMillis now) {
  auto p = get_problem(tx, req.id, today);
  if (!p.ok()) return p.status();
  KAI_RETURN_IF_ERROR(check_triage(p->status));
  // A problem already assigned keeps that status when re-triaged.
  const std::string status =
      p->status == ProblemStatus::recorded ? "triaged" : std::string(msgs::to_string(p->status));
  KAI_RETURN_IF_ERROR(
      tx.exec("UPDATE problem SET category = ?, priority = ?, status = ?, triaged_at = ?, "
              "version = version + 1 WHERE id = ?",
              {msgs::to_string(req.category), msgs::to_string(req.priority), status, now, req.id}));
  return get_problem(tx, req.id, today);
}

Result<Problem> assign_problem(store::Tx& tx, const msgs::ProblemAssignRequest& req,
                               CivilDays today, UnixMillis now) {
  auto p = get_problem(tx, req.id, today);
  if (!p.ok()) return p.status();
  KAI_RETURN_IF_ERROR(check_assign(p->status, day(req.due_on), day_of(p->recorded_at)));
  if (req.handler_organization_id) {
    KAI_RETURN_IF_ERROR(
        require_organization(tx, *req.handler_organization_id, "handler_organization_id"));
  }
  KAI_RETURN_IF_ERROR(
      tx.exec("UPDATE problem SET handler = ?, handler_organization_id = ?, due_on = ?, "
              "status = 'assigned', assigned_at = ?, version = version + 1 WHERE id = ?",
              {req.handler, req.handler_organization_id, req.due_on, now, req.id}));
  return get_problem(tx, req.id, today);
}

Result<Problem> add_problem_note(store::Tx& tx, const msgs::ProblemAddNoteRequest& req,
                                 CivilDays today, UnixMillis now) {
  auto p = get_problem(tx, req.id, today);
  if (!p.ok()) return p.status();
  KAI_RETURN_IF_ERROR(check_note(static_cast<int>(p->notes.size())));
  KAI_RETURN_IF_ERROR(
      tx.exec("INSERT INTO problem_note(problem_id, at, author, text) VALUES(?, ?, ?, ?)",
              {req.id, now, req.author, req.text}));
  KAI_RETURN_IF_ERROR(tx.exec("UPDATE problem SET version = version + 1 WHERE id = ?", {req.id}));
  return get_problem(tx, req.id, today);
}

Result<Problem> resolve_problem(store::Tx& tx, const msgs::ProblemResolveRequest& req,
                                CivilDays today, UnixMillis now) {
  auto p = get_problem(tx, req.id, today);
  if (!p.ok()) return p.status();
  KAI_RETURN_IF_ERROR(check_resolve(p->status, p->handler.has_value()));
  KAI_RETURN_IF_ERROR(
      tx.exec("UPDATE problem SET status = 'resolved', resolution = ?, closed_at = ?, "
              "version = version + 1 WHERE id = ?",
              {req.resolution, now, req.id}));
  return get_problem(tx, req.id, today);
}

Result<Problem> reject_problem(store::Tx& tx, const msgs::ProblemRejectRequest& req,
                               CivilDays today, UnixMillis now) {
  auto p = get_problem(tx, req.id, today);
  if (!p.ok()) return p.status();
  KAI_RETURN_IF_ERROR(check_reject(p->status));
  KAI_RETURN_IF_ERROR(
      tx.exec("UPDATE problem SET status = 'rejected', rejection_reason = ?, closed_at = ?, "
              "version = version + 1 WHERE id = ?",
              {req.reason, now, req.id}));
  return get_problem(tx, req.id, today);
}

Result<msgs::ProblemStatsReply> problem_stats(store::Tx& tx, const msgs::ProblemStatsRequest& req,
                                              CivilDays today) {
  const CivilDays from = day(req.from);
  const CivilDays to = day(req.to);
  if (to < from) return invalid_argument("to lies before from", "to");
  const std::int64_t day_ms = 86'400'000;
  auto rows = tx.query(
      "SELECT status, due_on, recorded_at, closed_at FROM problem "
      "WHERE recorded_at >= ? AND recorded_at < ?",
      {static_cast<std::int64_t>(from) * day_ms, (static_cast<std::int64_t>(to) + 1) * day_ms});
  if (!rows.ok()) return rows.status();
  msgs::ProblemStatsReply reply;
  std::vector<std::int64_t> durations;
  for (const store::Row& r : *rows) {
    auto status = enum_of<ProblemStatus>(r, "status");
    if (!status.ok()) return status.status();
    std::optional<CivilDays> due;
    if (!r.is_null("due_on")) {
      auto d = date_of(r, "due_on");
      if (!d.ok()) return d.status();
      due = *d;
    }
    ++reply.recorded;
    if (is_open(*status)) ++reply.open;
    if (is_overdue(*status, due, today)) ++reply.overdue;
    if (*status == ProblemStatus::rejected) ++reply.rejected;
    if (*status == ProblemStatus::resolved) {
      ++reply.resolved;
      const std::int64_t closed = r.int64("closed_at");
      durations.push_back(closed - r.int64("recorded_at"));
      if (due && day_of(closed) <= *due) ++reply.resolved_on_time;
    }
  }
  const ResolveFigures f = time_to_resolve(std::move(durations));
  reply.mean_hours_to_resolve = f.mean_hours;
  reply.median_hours_to_resolve = f.median_hours;
  reply.p90_hours_to_resolve = f.p90_hours;
  return reply;
}

Result<std::int64_t> count_open_problems(store::Tx& tx) {
  auto row = tx.query_one("SELECT COUNT(*) AS n FROM problem WHERE " + std::string(kOpen));
  if (!row.ok()) return row.status();
  return (*row)->int64("n");
}

Result<std::int64_t> count_overdue_problems(store::Tx& tx, CivilDays today) {
  auto row = tx.query_one(
      "SELECT COUNT(*) AS n FROM problem WHERE " + std::string(kOpen) + " AND due_on < ?",
      {format_date(today)});
  if (!row.ok()) return row.status();
  return (*row)->int64("n");
}

}  // namespace kai::membership
