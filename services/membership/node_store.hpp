// The three-tier structure in the database: the alliance, its community stations and their grids
// (structure_rules.hpp has the rules). Functions take the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"
#include "store/tx.hpp"

namespace kai::membership {

namespace msgs = msg::membership;

Result<msgs::Node> get_node(store::Tx& tx, std::int64_t id);
// not_found naming `field` when the node does not exist.
Status require_node(store::Tx& tx, std::int64_t id, std::string_view field);
// node.create: parent rules, unique sibling names (already_exists), at most kMaxNodes.
Result<msgs::Node> create_node(store::Tx& tx, const msgs::NodeCreateRequest& req, UnixMillis now);
Result<msgs::Node> update_node(store::Tx& tx, const msgs::NodeUpdateRequest& req, UnixMillis now);
Result<msgs::NodeListReply> list_nodes(store::Tx& tx, const msgs::NodeListRequest& req);
// Every node in tree order (structure.get), at most kMaxNodes.
Result<std::vector<msgs::Node>> all_nodes(store::Tx& tx);

}  // namespace kai::membership
