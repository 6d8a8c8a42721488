#include "membership/handlers.hpp"
#include "membership/organization_store.hpp"

namespace kai::membership {
namespace {

using msgs::Organization;
using msgs::OrganizationChange;

msgs::OrganizationChangedEvent changed(const Organization& o, OrganizationChange change,
                                       UnixMillis at) {
  return {
      .id = o.id, .change = change, .version = o.version, .name = o.name, .kind = o.kind, .at = at};
}

}  // namespace

void register_organization_handlers(svc::Registrar& r) {
  r.write<msgs::OrganizationCreate>([](const msgs::OrganizationCreateRequest& req,
                                       svc::WriteContext& ctx) -> Result<Organization> {
    auto org = create_organization(ctx.tx(), req, ctx.now());
    if (!org.ok()) return org;
    KAI_RETURN_IF_ERROR(ctx.emit(changed(*org, OrganizationChange::created, ctx.now())));
    return org;
  });

  // Served from the cache after the first read; every change below invalidates the entry.
  r.cached_read<msgs::OrganizationGet>(
      [](const msgs::OrganizationGetRequest& req) { return organization_cache_key(req.id); },
      kOrganizationCacheTtl,
      [](const msgs::OrganizationGetRequest& req, svc::ReadContext& ctx) -> Result<Organization> {
        return get_organization(ctx.tx(), req.id);
      });

  r.read_encoded<msgs::OrganizationList>(
      [](const msgs::OrganizationListRequest& req, svc::ReadContext& ctx) {
        return list_organizations(ctx.tx(), req);
      });

  r.write<msgs::OrganizationUpdate>([](const msgs::OrganizationUpdateRequest& req,
                                       svc::WriteContext& ctx) -> Result<Organization> {
    auto org = update_organization(ctx.tx(), req, ctx.now());
    if (!org.ok()) return org;
    ctx.invalidate(organization_cache_key(org->id));
    KAI_RETURN_IF_ERROR(ctx.emit(changed(*org, OrganizationChange::updated, ctx.now())));
    return org;
  });
}

}  // namespace kai::membership
