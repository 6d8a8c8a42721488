#include "membership/office_store.hpp"

#include <string>

#include "membership/blob_codec.hpp"
#include "membership/paged_query.hpp"
#include "membership/row_helpers.hpp"
#include "membership/structure_rules.hpp"

namespace kai::membership {
namespace {

using msgs::Position;

constexpr std::string_view kPositionColumns =
    "SELECT id, title, holder, since, until FROM office_holding ";

Result<Position> position_from_row(const store::Row& row) {
  Position p;
  p.id = row.int64("id");
  auto title = enum_of<PositionTitle>(row, "title");
  if (!title.ok()) return title.status();
  p.title = *title;
  auto holder = from_blob<msgs::Person>(row.at("holder"));
  if (!holder.ok()) return holder.status();
  if (!*holder) return internal_error("office holding without holder");
  p.holder = std::move(**holder);
  p.since = row.text("since");
  p.until = row.opt_text("until");
  p.current = !p.until.has_value();
  return p;
}

}  // namespace

Result<Position> assign_position(store::Tx& tx, const msgs::PositionAssignRequest& req,
                                 UnixMillis now, std::optional<Position>* ended) {
  auto current =
      tx.query(std::string(kPositionColumns) + "WHERE title = ? AND until IS NULL ORDER BY id",
               {msgs::to_string(req.title)});
  if (!current.ok()) return current.status();
  const CivilDays since = day(req.since);
  std::optional<CivilDays> current_since;
  if (single_seat(req.title) && !current->empty()) {
    auto d = date_of(current->front(), "since");
    if (!d.ok()) return d.status();
    current_since = *d;
  }
  KAI_RETURN_IF_ERROR(
      check_assign_position(req.title, since, current_since, static_cast<int>(current->size())));
  if (current_since) {
    const std::int64_t previous = current->front().int64("id");
    KAI_RETURN_IF_ERROR(tx.exec("UPDATE office_holding SET until = ? WHERE id = ?",
                                {format_date(since - 1), previous}));
    auto p = tx.query_one(std::string(kPositionColumns) + "WHERE id = ?", {previous});
    if (!p.ok()) return p.status();
    auto pos = position_from_row(**p);
    if (!pos.ok()) return pos.status();
    if (ended != nullptr) *ended = std::move(*pos);
  }
  auto row = tx.query_one(
      "INSERT INTO office_holding(title, holder, holder_name, since, created_at) "
      "VALUES(?, ?, ?, ?, ?) RETURNING id",
      {msgs::to_string(req.title), store::Blob{encode(req.holder)}, req.holder.name, req.since,
       now});
  if (!row.ok()) return row.status();
  auto p = tx.query_one(std::string(kPositionColumns) + "WHERE id = ?", {(*row)->int64("id")});
  if (!p.ok()) return p.status();
  return position_from_row(**p);
}

Result<Position> end_position(store::Tx& tx, const msgs::PositionEndRequest& req) {
  auto row = tx.query_one(std::string(kPositionColumns) + "WHERE id = ?", {req.id});
  if (!row.ok()) return row.status();
  if (!*row) return not_found("position " + std::to_string(req.id) + " does not exist");
  auto p = position_from_row(**row);
  if (!p.ok()) return p.status();
  KAI_RETURN_IF_ERROR(check_end_position(p->current, day(p->since), day(req.until)));
  KAI_RETURN_IF_ERROR(
      tx.exec("UPDATE office_holding SET until = ? WHERE id = ?", {req.until, req.id}));
  p->until = req.until;
  p->current = false;
  return p;
}

Result<msgs::PositionListReply> list_positions(store::Tx& tx,
                                               const msgs::PositionListRequest& req) {
  // Current holdings first, then the newest: the key is (current, id), both descending.
  PagedQuery q(
      "SELECT id, title, holder, since, until, "
      "CASE WHEN until IS NULL THEN 1 ELSE 0 END AS cur FROM office_holding ",
      {.tag = "ps",
       .keys = 2,
       .after = "(CASE WHEN until IS NULL THEN 1 ELSE 0 END, id) < (?, ?)",
       .order_by = "cur DESC, id DESC"});
  if (req.title) q.where("title = ?", {msgs::to_string(*req.title)});
  if (req.current_only) q.where("until IS NULL");
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::PositionListReply>(tx, req.limit, position_from_row, [](const Position& p) {
    return std::vector<std::int64_t>{p.current ? 1 : 0, p.id};
  });
}

Result<std::vector<Position>> current_positions(store::Tx& tx) {
  auto rows = tx.query(std::string(kPositionColumns) +
                       "WHERE until IS NULL ORDER BY CASE title WHEN 'chair' THEN 0 "
                       "WHEN 'vice_chair' THEN 1 ELSE 2 END, since, id");
  if (!rows.ok()) return rows.status();
  std::vector<Position> out;
  for (const store::Row& r : *rows) {
    auto p = position_from_row(r);
    if (!p.ok()) return p.status();
    out.push_back(std::move(*p));
  }
  return out;
}

}  // namespace kai::membership
