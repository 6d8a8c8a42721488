// The three-tier structure (三级组织体系): the subdistrict alliance (街道凯联盟) is the root, the
// community stations (社区凯联盟工作站) sit under it and the grid alliances (网格凯联盟) under the
// stations. Every node has a head. The alliance's offices are the chair (one seat), vice chairs
// (several) and the office director (one seat), each holding recorded with its dates.
//
// Nodes are stored with a materialised path (each ancestor's id zero-padded to 19 digits and
// followed by "/", the node's own id last): ordering by it
// gives the tree in pre-order, and "path starts with X" selects a subtree. A node's tier and parent
// never change, so paths never change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"

namespace kai::membership {

using msg::membership::NodeTier;
using msg::membership::PositionTitle;

inline constexpr int kMaxNodes = 5000;
inline constexpr int kMaxViceChairs = 10;
inline constexpr int kMaxWorkingGroups = 50;

// The tier a node's parent must have; nullopt for the alliance, which has no parent.
std::optional<NodeTier> parent_tier_for(NodeTier tier);

// node.create: the alliance has no parent and exists once (already_exists); a station's parent is
// the alliance and a grid's a station (invalid_argument, parent_id).
Status check_node_parent(NodeTier tier, std::optional<NodeTier> parent, bool has_parent_id,
                         bool alliance_exists);

// The path of a node: its parent's path (empty for the root) followed by its zero-padded id.
std::string node_path(std::string_view parent_path, std::int64_t id);

// Offices with one seat: assigning a new holder ends the current holder's tenure.
bool single_seat(PositionTitle title);

// position.assign: a new holding from `since`. For one-seat offices `current_since` is the
// current holder's first day (nullopt when vacant): the new holder starts after it
// (failed_precondition otherwise). For vice chairs, `current_holders` counts the seats taken
// (resource_exhausted beyond kMaxViceChairs).
Status check_assign_position(PositionTitle title, CivilDays since,
                             std::optional<CivilDays> current_since, int current_holders);
// position.end: only a current holding, on a day not before it started.
Status check_end_position(bool current, CivilDays since, CivilDays until);

}  // namespace kai::membership
