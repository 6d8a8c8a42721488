#include "membership/working_group_store.hpp"

#include <string>

#include "membership/blob_codec.hpp"
#include "membership/paged_query.hpp"
#include "membership/row_helpers.hpp"
#include "membership/structure_rules.hpp"

namespace kai::membership {
namespace {

using msgs::WorkingGroup;

constexpr std::string_view kGroupColumns =
    "SELECT id, code, name, description, leader, leader_since, version, created_at, updated_at "
    "FROM working_group ";

Result<WorkingGroup> group_from_row(const store::Row& row) {
  WorkingGroup g;
  g.id = row.int64("id");
  g.code = row.text("code");
  g.name = row.text("name");
  g.description = row.opt_text("description");
  auto leader = from_blob<msgs::Person>(row.at("leader"));
  if (!leader.ok()) return leader.status();
  g.leader = std::move(*leader);
  g.leader_since = row.opt_text("leader_since");
  g.version = row.int64("version");
  g.created_at = row.int64("created_at");
  g.updated_at = row.int64("updated_at");
  return g;
}

Status group_name_free(store::Tx& tx, const std::string& name, std::int64_t self) {
  auto row = tx.query_one("SELECT id FROM working_group WHERE name = ?", {name});
  if (!row.ok()) return row.status();
  if (*row && (*row)->int64("id") != self) {
    return {StatusCode::already_exists, "a working group named " + name + " exists already",
            "name"};
  }
  return Status::Ok();
}

}  // namespace

Result<WorkingGroup> get_working_group(store::Tx& tx, std::int64_t id) {
  auto row = tx.query_one(std::string(kGroupColumns) + "WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return not_found("working group " + std::to_string(id) + " does not exist");
  return group_from_row(**row);
}

Status require_working_group(store::Tx& tx, std::int64_t id, std::string_view field) {
  auto row = tx.query_one("SELECT 1 AS one FROM working_group WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) {
    return {StatusCode::not_found, "working group " + std::to_string(id) + " does not exist",
            std::string(field)};
  }
  return Status::Ok();
}

Result<std::optional<std::int64_t>> working_group_by_code(store::Tx& tx, std::string_view code) {
  auto row = tx.query_one("SELECT id FROM working_group WHERE code = ?", {code});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>((*row)->int64("id"));
}

Result<WorkingGroup> create_working_group(store::Tx& tx, const msgs::WorkingGroupCreateRequest& req,
                                          UnixMillis now) {
  auto existing = working_group_by_code(tx, req.code);
  if (!existing.ok()) return existing.status();
  if (*existing) {
    return Status(StatusCode::already_exists, "a working group with code " + req.code + " exists",
                  "code");
  }
  KAI_RETURN_IF_ERROR(group_name_free(tx, req.name, 0));
  auto count = tx.query_one("SELECT COUNT(*) AS n FROM working_group");
  if (!count.ok()) return count.status();
  if ((*count)->int64("n") >= kMaxWorkingGroups) {
    return resource_exhausted("the office has at most " + std::to_string(kMaxWorkingGroups) +
                              " working groups");
  }
  auto row = tx.query_one(
      "INSERT INTO working_group(code, name, description, leader, leader_since, version, "
      "created_at, updated_at) VALUES(?, ?, ?, ?, ?, 1, ?, ?) RETURNING id",
      {req.code, req.name, req.description, blob_of(req.leader), req.leader_since, now, now});
  if (!row.ok()) return row.status();
  return get_working_group(tx, (*row)->int64("id"));
}

Result<WorkingGroup> update_working_group(store::Tx& tx, const msgs::WorkingGroupUpdateRequest& req,
                                          UnixMillis now) {
  auto current = get_working_group(tx, req.id);
  if (!current.ok()) return current.status();
  WorkingGroup g = std::move(*current);
  if (req.name) {
    KAI_RETURN_IF_ERROR(group_name_free(tx, *req.name, g.id));
    g.name = *req.name;
  }
  if (req.description) g.description = req.description;
  if (req.leader) g.leader = req.leader;
  if (req.leader_since) g.leader_since = req.leader_since;
  KAI_RETURN_IF_ERROR(
      tx.exec("UPDATE working_group SET name = ?, description = ?, leader = ?, leader_since = ?, "
              "version = version + 1, updated_at = ? WHERE id = ?",
              {g.name, g.description, blob_of(g.leader), g.leader_since, now, g.id}));
  return get_working_group(tx, g.id);
}

Result<msgs::WorkingGroupListReply> list_working_groups(store::Tx& tx,
                                                        const msgs::WorkingGroupListRequest& req) {
  PagedQuery q(kGroupColumns, {.tag = "wg", .keys = 1, .after = "id > ?", .order_by = "id"});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::WorkingGroupListReply>(tx, req.limit, group_from_row, id_key);
}

Result<std::vector<WorkingGroup>> all_working_groups(store::Tx& tx) {
  auto rows = tx.query(std::string(kGroupColumns) + "ORDER BY id LIMIT ?",
                       {static_cast<std::int64_t>(kMaxWorkingGroups)});
  if (!rows.ok()) return rows.status();
  std::vector<WorkingGroup> out;
  for (const store::Row& r : *rows) {
    auto g = group_from_row(r);
    if (!g.ok()) return g.status();
    out.push_back(std::move(*g));
  }
  return out;
}

}  // namespace kai::membership
