#include "membership/need_store.hpp"

#include <string>
#include <vector>

#include "membership/node_store.hpp"
#include "membership/organization_store.hpp"
#include "membership/paged_query.hpp"
#include "membership/project_rules.hpp"
#include "membership/row_helpers.hpp"
#include "membership/working_group_store.hpp"

namespace kai::membership {
namespace {

using msgs::Need;

constexpr std::string_view kNeedColumns =
    "SELECT id, year, title, description, source, organization_id, node_id, working_group_id, "
    "status, project_id, closed_reason, created_at, updated_at FROM need ";

Result<Need> need_from_row(const store::Row& row) {
  Need n;
  n.id = row.int64("id");
  n.year = static_cast<std::int32_t>(row.int64("year"));
  n.title = row.text("title");
  n.description = row.opt_text("description");
  auto source = enum_of<msgs::NeedSource>(row, "source");
  if (!source.ok()) return source.status();
  n.source = *source;
  n.organization_id = row.opt_int64("organization_id");
  n.node_id = row.opt_int64("node_id");
  n.working_group_id = row.opt_int64("working_group_id");
  auto status = enum_of<NeedStatus>(row, "status");
  if (!status.ok()) return status.status();
  n.status = *status;
  n.project_id = row.opt_int64("project_id");
  n.closed_reason = row.opt_text("closed_reason");
  n.created_at = row.int64("created_at");
  n.updated_at = row.int64("updated_at");
  return n;
}

}  // namespace

Result<Need> get_need(store::Tx& tx, std::int64_t id) {
  auto row = tx.query_one(std::string(kNeedColumns) + "WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return not_found("need " + std::to_string(id) + " does not exist");
  return need_from_row(**row);
}

Result<Need> create_need(store::Tx& tx, const msgs::NeedCreateRequest& req, UnixMillis now) {
  if (req.organization_id) {
    KAI_RETURN_IF_ERROR(require_organization(tx, *req.organization_id, "organization_id"));
  }
  if (req.node_id) KAI_RETURN_IF_ERROR(require_node(tx, *req.node_id, "node_id"));
  if (req.working_group_id) {
    KAI_RETURN_IF_ERROR(require_working_group(tx, *req.working_group_id, "working_group_id"));
  }
  auto row = tx.query_one(
      "INSERT INTO need(year, title, description, source, organization_id, node_id, "
      "working_group_id, status, created_at, updated_at) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id",
      {req.year, req.title, req.description, msgs::to_string(req.source), req.organization_id,
       req.node_id, req.working_group_id, now, now});
  if (!row.ok()) return row.status();
  return get_need(tx, (*row)->int64("id"));
}

Result<msgs::NeedListReply> list_needs(store::Tx& tx, const msgs::NeedListRequest& req) {
  PagedQuery q(kNeedColumns, {.tag = "ne", .keys = 1, .after = "id < ?", .order_by = "id DESC"});
  if (req.year) q.where("year = ?", {*req.year});
  if (req.status) q.where("status = ?", {msgs::to_string(*req.status)});
  if (req.working_group_id) q.where("working_group_id = ?", {*req.working_group_id});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::NeedListReply>(tx, req.limit, need_from_row, id_key);
}

Result<Need> close_need(store::Tx& tx, const msgs::NeedCloseRequest& req, UnixMillis now) {
  auto need = get_need(tx, req.id);
  if (!need.ok()) return need.status();
  KAI_RETURN_IF_ERROR(check_close_need(need->status));
  KAI_RETURN_IF_ERROR(
      tx.exec("UPDATE need SET status = 'closed', closed_reason = ?, updated_at = ? WHERE id = ?",
              {req.reason, now, req.id}));
  return get_need(tx, req.id);
}

}  // namespace kai::membership
