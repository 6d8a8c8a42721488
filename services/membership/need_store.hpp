// Needs and suggestions collected in the yearly cycle, in the database (claims are in
// project_store.hpp: a claim creates a project).
#pragma once

#include <cstdint>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/membership.hpp"
#include "store/tx.hpp"

namespace kai::membership {

namespace msgs = msg::membership;

Result<msgs::Need> get_need(store::Tx& tx, std::int64_t id);
// need.create; not_found naming the organisation, node or working group that does not exist.
Result<msgs::Need> create_need(store::Tx& tx, const msgs::NeedCreateRequest& req, UnixMillis now);
Result<msgs::NeedListReply> list_needs(store::Tx& tx, const msgs::NeedListRequest& req);
// need.close: open needs only (failed_precondition).
Result<msgs::Need> close_need(store::Tx& tx, const msgs::NeedCloseRequest& req, UnixMillis now);

}  // namespace kai::membership
