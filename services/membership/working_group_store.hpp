// The alliance office's working groups (专项工作组) in the database, with unique codes and names.
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

Result<msgs::WorkingGroup> get_working_group(store::Tx& tx, std::int64_t id);
// not_found naming `field` when the group does not exist.
Status require_working_group(store::Tx& tx, std::int64_t id, std::string_view field);
// The id of the group with this code, or nullopt.
Result<std::optional<std::int64_t>> working_group_by_code(store::Tx& tx, std::string_view code);
// working_group.create; already_exists for a taken code or name, at most kMaxWorkingGroups.
Result<msgs::WorkingGroup> create_working_group(store::Tx& tx,
                                                const msgs::WorkingGroupCreateRequest& req,
                                                UnixMillis now);
Result<msgs::WorkingGroup> update_working_group(store::Tx& tx,
                                                const msgs::WorkingGroupUpdateRequest& req,
                                                UnixMillis now);
Result<msgs::WorkingGroupListReply> list_working_groups(store::Tx& tx,
                                                        const msgs::WorkingGroupListRequest& req);
Result<std::vector<msgs::WorkingGroup>> all_working_groups(store::Tx& tx);

}  // namespace kai::membership
