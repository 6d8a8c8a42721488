#include "membership/service_definition.hpp"

#include "membership/business_gauges.hpp"
#include "membership/demo_loader.hpp"
#include "membership/expiry_job.hpp"
#include "membership/handlers.hpp"
#include "membership/migrations.hpp"
#include "schema/membership.hpp"

namespace kai::membership {
namespace {

Status setup(svc::Registrar& r, const Config& cfg) {
  register_organization_handlers(r);
  register_structure_handlers(r);
  register_term_handlers(r);
  register_agreement_handlers(r);
  register_project_handlers(r);
  register_meeting_handlers(r);
  register_problem_handlers(r);
  register_activity_handlers(r);
  register_business_gauges(r);
  register_expiry_job(r, cfg.duration("expiry-interval"));
  if (cfg.boolean("demo-data")) r.on_start(load_demo_data);
  return Status::Ok();
}

}  // namespace

svc::ServiceDefinition definition() {
  return {
      .name = "membership",
      .schema = &msg::membership::service_desc(),
      .summary =
          "The alliance office: organisation registry, structure, terms, agreements, "
          "projects, meetings, problem-flow desk and activity ledger.",
      .ops_port = kOpsPort,
      .migrations = migrations(),
      .settings =
          {
              {"demo-data", "false",
               "load the demo data (the alliance's real structure, sample details) into an empty "
               "registry at start",
               SettingKind::boolean},
              {"expiry-interval", "1h",
               "how often terms and agreements are checked for their start and end dates",
               SettingKind::duration_ms, 1000, 86'400'000},
          },
      .setup = setup,
      .clock = {},
  };
}

}  // namespace kai::membership
