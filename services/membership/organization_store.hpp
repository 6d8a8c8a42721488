// The organisation registry in the database: the member organisations every other service refers
// to by id. Functions take the caller's transaction (store/tx.hpp) and answer generated messages;
// rule checks live here only where they need the database (unique credit codes, placement at an
// existing node).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"
#include "store/tx.hpp"

namespace kai::membership {

namespace msgs = msg::membership;

// Where an organisation sits: the node it is placed at and, derived from it, its community
// station and grid (kept in the row so lists filter by station without walking the tree).
struct Placement {
  std::optional<std::int64_t> node_id;
  std::optional<std::int64_t> community_id;
  std::optional<std::int64_t> grid_id;
};

// The placement for a node id; not_found (field `field`) when the node does not exist.
Result<Placement> resolve_placement(store::Tx& tx, std::optional<std::int64_t> node_id,
                                    std::string_view field = "node_id");

// The organisation, or nullopt.
Result<std::optional<msgs::Organization>> find_organization(store::Tx& tx, std::int64_t id);
// The organisation, or not_found ("organization <id> does not exist").
Result<msgs::Organization> get_organization(store::Tx& tx, std::int64_t id);

// not_found naming `field` (or `field[i]` for lists) for the first id that does not exist.
Status require_organization(store::Tx& tx, std::int64_t id, std::string_view field);
Status require_organizations(store::Tx& tx, std::span<const std::int64_t> ids,
                             std::string_view field);

// organization.create; already_exists when the credit code is taken.
Result<msgs::Organization> create_organization(store::Tx& tx,
                                               const msgs::OrganizationCreateRequest& req,
                                               UnixMillis now);
// organization.update; not_found, aborted (expected_version differs), already_exists.
Result<msgs::Organization> update_organization(store::Tx& tx,
                                               const msgs::OrganizationUpdateRequest& req,
                                               UnixMillis now);
// organization.list, as the reply's MessagePack (Registrar::read_encoded); not_found when
// node_id names no node, invalid_argument for a bad cursor.
Result<std::string> list_organizations(store::Tx& tx, const msgs::OrganizationListRequest& req);

// Ids of the organisations placed at a node or below it (for cache invalidation on renames).
Result<std::vector<std::int64_t>> organizations_under(store::Tx& tx, std::int64_t node_id);

// Counts by kind (every kind present, zero included) for the business gauge.
Result<std::vector<std::pair<msgs::OrganizationKind, std::int64_t>>> count_by_kind(store::Tx& tx);

// The cache key of an organisation ("org:<id>").
std::string organization_cache_key(std::int64_t id);

}  // namespace kai::membership
