// Holdings of the alliance's offices in the database: chair, vice chairs, office director, each
// with its dates (structure_rules.hpp has the rules).
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

// position.assign; for a one-seat office the current holding ends the day before and is returned
// in `ended`.
Result<msgs::Position> assign_position(store::Tx& tx, const msgs::PositionAssignRequest& req,
                                       UnixMillis now, std::optional<msgs::Position>* ended);
Result<msgs::Position> end_position(store::Tx& tx, const msgs::PositionEndRequest& req);
Result<msgs::PositionListReply> list_positions(store::Tx& tx, const msgs::PositionListRequest& req);
// Current holdings: chair, vice chairs, office director.
Result<std::vector<msgs::Position>> current_positions(store::Tx& tx);

}  // namespace kai::membership
