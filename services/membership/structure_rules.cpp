#include "membership/structure_rules.hpp"

#include <cstdio>

namespace kai::membership {

std::optional<NodeTier> parent_tier_for(NodeTier tier) {
  switch (tier) {
    case NodeTier::alliance:
      return std::nullopt;
    case NodeTier::community:
      return NodeTier::alliance;
    case NodeTier::grid:
      return NodeTier::community;
  }
  return std::nullopt;
}

Status check_node_parent(NodeTier tier, std::optional<NodeTier> parent, bool has_parent_id,
                         bool alliance_exists) {
  const std::optional<NodeTier> wanted = parent_tier_for(tier);
  if (!wanted) {
    if (has_parent_id) return invalid_argument("the alliance has no parent", "parent_id");
    if (alliance_exists) return already_exists("the alliance node exists already");
    return Status::Ok();
  }
  if (!has_parent_id) {
    return invalid_argument(tier == NodeTier::community
                                ? "a community station needs the alliance as parent"
                                : "a grid needs its community station as parent",
                            "parent_id");
  }
  if (parent != wanted) {
    return invalid_argument(tier == NodeTier::community
                                ? "a community station sits directly under the alliance"
                                : "a grid sits directly under a community station",
                            "parent_id");
  }
  return Status::Ok();
}

std::string node_path(std::string_view parent_path, std::int64_t id) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%019lld/", static_cast<long long>(id));
  std::string out(parent_path);
  out += buf;
  return out;
}

bool single_seat(PositionTitle title) {
  return title == PositionTitle::chair || title == PositionTitle::office_director;
}

Status check_assign_position(PositionTitle title, CivilDays since,
                             std::optional<CivilDays> current_since, int current_holders) {
  if (single_seat(title)) {
    if (current_since && since <= *current_since) {
      return failed_precondition("the new holder must start after the current holder (since " +
                                     format_date(*current_since) + ")",
                                 "since");
    }
    return Status::Ok();
  }
  if (current_holders >= kMaxViceChairs) {
    return resource_exhausted("the alliance has at most " + std::to_string(kMaxViceChairs) +
                              " vice chairs at a time");
  }
  return Status::Ok();
}

Status check_end_position(bool current, CivilDays since, CivilDays until) {
  if (!current) return failed_precondition("the holding has already ended");
  if (until < since) return invalid_argument("until lies before since", "until");
  return Status::Ok();
}

}  // namespace kai::membership
