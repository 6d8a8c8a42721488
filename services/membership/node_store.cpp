#include "membership/node_store.hpp"

#include <span>
#include <string>
#include <vector>

#include "membership/blob_codec.hpp"
#include "membership/paged_query.hpp"
#include "membership/row_helpers.hpp"
#include "membership/structure_rules.hpp"

namespace kai::membership {
namespace {

using msgs::Node;

constexpr std::string_view kNodeColumns =
    "SELECT id, tier, name, parent_id, path, head, version, created_at, updated_at FROM node ";

Result<Node> node_from_row(const store::Row& row) {
  Node n;
  n.id = row.int64("id");
  auto tier = enum_of<NodeTier>(row, "tier");
  if (!tier.ok()) return tier.status();
  n.tier = *tier;
  n.name = row.text("name");
  n.parent_id = row.opt_int64("parent_id");
  auto head = from_blob<msgs::Person>(row.at("head"));
  if (!head.ok()) return head.status();
  n.head = std::move(*head);
  n.version = row.int64("version");
  n.created_at = row.int64("created_at");
  n.updated_at = row.int64("updated_at");
  return n;
}

Result<std::vector<Node>> nodes_from_rows(const std::vector<store::Row>& rows, std::size_t limit) {
  std::vector<Node> out;
  for (std::size_t i = 0; i < rows.size() && i < limit; ++i) {
    auto n = node_from_row(rows[i]);
    if (!n.ok()) return n.status();
    out.push_back(std::move(*n));
  }
  return out;
}

Status sibling_name_free(store::Tx& tx, std::optional<std::int64_t> parent, const std::string& name,
                         std::int64_t self) {
  auto row =
      parent ? tx.query_one("SELECT id FROM node WHERE parent_id = ? AND name = ?", {*parent, name})
             : tx.query_one("SELECT id FROM node WHERE parent_id IS NULL AND name = ?", {name});
  if (!row.ok()) return row.status();
  if (*row && (*row)->int64("id") != self) {
    return {StatusCode::already_exists,
            "a node named " + name + " exists already under that parent", "name"};
  }
  return Status::Ok();
}

}  // namespace

Result<Node> get_node(store::Tx& tx, std::int64_t id) {
  auto row = tx.query_one(std::string(kNodeColumns) + "WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return not_found("node " + std::to_string(id) + " does not exist");
  return node_from_row(**row);
}

Status require_node(store::Tx& tx, std::int64_t id, std::string_view field) {
  auto row = tx.query_one("SELECT 1 AS one FROM node WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) {
    return {StatusCode::not_found, "node " + std::to_string(id) + " does not exist",
            std::string(field)};
  }
  return Status::Ok();
}

Result<Node> create_node(store::Tx& tx, const msgs::NodeCreateRequest& req, UnixMillis now) {
  std::optional<NodeTier> parent_tier;
  std::string parent_path;
  if (req.parent_id) {
    auto parent = tx.query_one("SELECT tier, path FROM node WHERE id = ?", {*req.parent_id});
    if (!parent.ok()) return parent.status();
    if (!*parent) {
      return Status(StatusCode::not_found,
                    "node " + std::to_string(*req.parent_id) + " does not exist", "parent_id");
    }
    auto tier = enum_of<NodeTier>(**parent, "tier");
    if (!tier.ok()) return tier.status();
    parent_tier = *tier;
    parent_path = (*parent)->text("path");
  }
  auto counts = tx.query_one(
      "SELECT COUNT(*) AS n, SUM(CASE WHEN tier = 'alliance' THEN 1 ELSE 0 END) AS roots FROM "
      "node");
  if (!counts.ok()) return counts.status();
  const std::int64_t nodes = (*counts)->int64("n");
  KAI_RETURN_IF_ERROR(check_node_parent(req.tier, parent_tier, req.parent_id.has_value(),
                                        (*counts)->int64("roots") > 0));
  if (nodes >= kMaxNodes) {
    return resource_exhausted("the structure has at most " + std::to_string(kMaxNodes) + " nodes");
  }
  KAI_RETURN_IF_ERROR(sibling_name_free(tx, req.parent_id, req.name, 0));
  // The path needs the id: insert with a provisional unique path, then set the real one.
  auto row = tx.query_one(
      "INSERT INTO node(tier, name, parent_id, path, head, version, created_at, updated_at) "
      "VALUES(?, ?, ?, ?, ?, 1, ?, ?) RETURNING id",
      {msgs::to_string(req.tier), req.name, req.parent_id, "pending:" + parent_path + req.name,
       blob_of(req.head), now, now});
  if (!row.ok()) return row.status();
  const std::int64_t id = (*row)->int64("id");
  KAI_RETURN_IF_ERROR(
      tx.exec("UPDATE node SET path = ? WHERE id = ?", {node_path(parent_path, id), id}));
  return get_node(tx, id);
}

Result<Node> update_node(store::Tx& tx, const msgs::NodeUpdateRequest& req, UnixMillis now) {
  auto current = get_node(tx, req.id);
  if (!current.ok()) return current.status();
  Node n = std::move(*current);
  if (req.name) {
    KAI_RETURN_IF_ERROR(sibling_name_free(tx, n.parent_id, *req.name, n.id));
    n.name = *req.name;
  }
  if (req.head) n.head = req.head;
  KAI_RETURN_IF_ERROR(tx.exec(
      "UPDATE node SET name = ?, head = ?, version = version + 1, updated_at = ? WHERE id = ?",
      {n.name, blob_of(n.head), now, n.id}));
  return get_node(tx, n.id);
}

Result<msgs::NodeListReply> list_nodes(store::Tx& tx, const msgs::NodeListRequest& req) {
  // The cursor holds the last node's id; the page continues after its path.
  auto path_of = [&tx](std::span<const std::int64_t> keys) -> Result<std::vector<store::Value>> {
    auto last = tx.query_one("SELECT path FROM node WHERE id = ?", {keys[0]});
    if (!last.ok()) return last.status();
    if (!*last) return invalid_argument("the cursor names an unknown node", "cursor");
    return std::vector<store::Value>{(*last)->text("path")};
  };
  PagedQuery q(kNodeColumns,
               {.tag = "nd", .keys = 1, .after = "path > ?", .order_by = "path", .bind = path_of});
  if (req.tier) q.where("tier = ?", {msgs::to_string(*req.tier)});
  if (req.parent_id) q.where("parent_id = ?", {*req.parent_id});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::NodeListReply>(tx, req.limit, node_from_row, id_key);
}

Result<std::vector<Node>> all_nodes(store::Tx& tx) {
  auto rows = tx.query(std::string(kNodeColumns) + "ORDER BY path LIMIT ?",
                       {static_cast<std::int64_t>(kMaxNodes)});
  if (!rows.ok()) return rows.status();
  return nodes_from_rows(*rows, static_cast<std::size_t>(kMaxNodes));
}

}  // namespace kai::membership
