#include "membership/handlers.hpp"
#include "membership/node_store.hpp"
#include "membership/office_store.hpp"
#include "membership/organization_store.hpp"
#include "membership/working_group_store.hpp"

namespace kai::membership {
namespace {

using msgs::Node;
using msgs::Position;
using msgs::WorkingGroup;

msgs::NodeChangedEvent node_changed(const Node& n, msgs::NodeChangedEvent::Change change,
                                    UnixMillis at) {
  return {.id = n.id,
          .change = change,
          .tier = n.tier,
          .name = n.name,
          .parent_id = n.parent_id,
          .at = at};
}

msgs::PositionChangedEvent position_changed(const Position& p,
                                            msgs::PositionChangedEvent::Change change,
                                            UnixMillis at) {
  return {.id = p.id, .change = change, .title = p.title, .holder = p.holder.name, .at = at};
}

msgs::WorkingGroupChangedEvent group_changed(const WorkingGroup& g,
                                             msgs::WorkingGroupChangedEvent::Change change,
                                             UnixMillis at) {
  return {.id = g.id, .change = change, .code = g.code, .at = at};
}

}  // namespace

void register_structure_handlers(svc::Registrar& r) {
  // ---- nodes
  r.write<msgs::NodeCreate>(
      [](const msgs::NodeCreateRequest& req, svc::WriteContext& ctx) -> Result<Node> {
        auto node = create_node(ctx.tx(), req, ctx.now());
        if (!node.ok()) return node;
        KAI_RETURN_IF_ERROR(
            ctx.emit(node_changed(*node, msgs::NodeChangedEvent::Change::created, ctx.now())));
        return node;
      });
  r.read<msgs::NodeGet>([](const msgs::NodeGetRequest& req, svc::ReadContext& ctx) {
    return get_node(ctx.tx(), req.id);
  });
  r.read<msgs::NodeList>([](const msgs::NodeListRequest& req, svc::ReadContext& ctx) {
    return list_nodes(ctx.tx(), req);
  });
  r.write<msgs::NodeUpdate>(
      [](const msgs::NodeUpdateRequest& req, svc::WriteContext& ctx) -> Result<Node> {
        auto before = get_node(ctx.tx(), req.id);
        if (!before.ok()) return before;
        auto node = update_node(ctx.tx(), req, ctx.now());
        if (!node.ok()) return node;
        if (node->name != before->name) {
          // Organisations show their station's and grid's names: drop their cached copies.
          auto placed = organizations_under(ctx.tx(), node->id);
          if (!placed.ok()) return placed.status();
          for (std::int64_t id : *placed)
            ctx.invalidate(organization_cache_key(id));
        }
        KAI_RETURN_IF_ERROR(
            ctx.emit(node_changed(*node, msgs::NodeChangedEvent::Change::updated, ctx.now())));
        return node;
      });
  r.read<msgs::StructureGet>([](const msgs::StructureGetRequest&,
                                svc::ReadContext& ctx) -> Result<msgs::StructureGetReply> {
    msgs::StructureGetReply reply;
    auto nodes = all_nodes(ctx.tx());
    if (!nodes.ok()) return nodes.status();
    reply.nodes = std::move(*nodes);
    auto positions = current_positions(ctx.tx());
    if (!positions.ok()) return positions.status();
    reply.positions = std::move(*positions);
    auto groups = all_working_groups(ctx.tx());
    if (!groups.ok()) return groups.status();
    reply.working_groups = std::move(*groups);
    return reply;
  });

  // ---- offices
  r.write<msgs::PositionAssign>([](const msgs::PositionAssignRequest& req,
                                   svc::WriteContext& ctx) -> Result<Position> {
    std::optional<Position> ended;
    auto p = assign_position(ctx.tx(), req, ctx.now(), &ended);
    if (!p.ok()) return p;
    if (ended) {
      KAI_RETURN_IF_ERROR(
          ctx.emit(position_changed(*ended, msgs::PositionChangedEvent::Change::ended, ctx.now())));
    }
    KAI_RETURN_IF_ERROR(
        ctx.emit(position_changed(*p, msgs::PositionChangedEvent::Change::assigned, ctx.now())));
    return p;
  });
  r.write<msgs::PositionEnd>(
      [](const msgs::PositionEndRequest& req, svc::WriteContext& ctx) -> Result<Position> {
        auto p = end_position(ctx.tx(), req);
        if (!p.ok()) return p;
        KAI_RETURN_IF_ERROR(
            ctx.emit(position_changed(*p, msgs::PositionChangedEvent::Change::ended, ctx.now())));
        return p;
      });
  r.read<msgs::PositionList>([](const msgs::PositionListRequest& req, svc::ReadContext& ctx) {
    return list_positions(ctx.tx(), req);
  });

  // ---- working groups
  r.write<msgs::WorkingGroupCreate>([](const msgs::WorkingGroupCreateRequest& req,
                                       svc::WriteContext& ctx) -> Result<WorkingGroup> {
    auto g = create_working_group(ctx.tx(), req, ctx.now());
    if (!g.ok()) return g;
    KAI_RETURN_IF_ERROR(
        ctx.emit(group_changed(*g, msgs::WorkingGroupChangedEvent::Change::created, ctx.now())));
    return g;
  });
  r.read<msgs::WorkingGroupGet>([](const msgs::WorkingGroupGetRequest& req, svc::ReadContext& ctx) {
    return get_working_group(ctx.tx(), req.id);
  });
  r.read<msgs::WorkingGroupList>(
      [](const msgs::WorkingGroupListRequest& req, svc::ReadContext& ctx) {
        return list_working_groups(ctx.tx(), req);
      });
  r.write<msgs::WorkingGroupUpdate>([](const msgs::WorkingGroupUpdateRequest& req,
                                       svc::WriteContext& ctx) -> Result<WorkingGroup> {
    auto g = update_working_group(ctx.tx(), req, ctx.now());
    if (!g.ok()) return g;
    KAI_RETURN_IF_ERROR(
        ctx.emit(group_changed(*g, msgs::WorkingGroupChangedEvent::Change::updated, ctx.now())));
    return g;
  });
}

}  // namespace kai::membership
