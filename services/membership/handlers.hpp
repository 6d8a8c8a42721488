// The membership service's handlers: thin adapters from the chassis (libs/service) to the stores.
// Each register_* function registers the operations of one part of the registry; a write handler
// runs the store function in the request's transaction, emits the change event and invalidates
// what the change makes stale.
#pragma once

#include <chrono>

#include "common/time.hpp"
#include "membership/utc_day.hpp"
#include "service/registrar.hpp"

namespace kai::membership {

// How long an organisation read stays in Redis. Every write of this service invalidates it at
// once; the TTL only bounds a stale copy after a cross-replica race (cache/cache.hpp).
inline constexpr std::chrono::minutes kOrganizationCacheTtl{10};

// Dates of the service are UTC days of the service's clock.
inline CivilDays today(const svc::Context& ctx) {
  return day_of(ctx.now());
}

void register_organization_handlers(svc::Registrar& r);
void register_structure_handlers(svc::Registrar& r);
void register_term_handlers(svc::Registrar& r);
void register_agreement_handlers(svc::Registrar& r);
void register_project_handlers(svc::Registrar& r);
void register_meeting_handlers(svc::Registrar& r);
void register_problem_handlers(svc::Registrar& r);
void register_activity_handlers(svc::Registrar& r);

}  // namespace kai::membership
