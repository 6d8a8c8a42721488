#include "membership/business_gauges.hpp"

#include "membership/activity_store.hpp"
#include "membership/handlers.hpp"
#include "membership/ledger_periods.hpp"
#include "membership/organization_store.hpp"
#include "membership/problem_store.hpp"
#include "membership/project_store.hpp"
#include "membership/term_store.hpp"

namespace kai::membership {
namespace {

template <class T>
Result<double> as_gauge(const Result<T>& r) {
  if (!r.ok()) return r.status();
  return static_cast<double>(*r);
}

}  // namespace

void register_business_gauges(svc::Registrar& r) {
  r.gauge_family(
      "kai_membership_organizations", "Member organisations by kind.",
      [](svc::ReadContext& ctx) -> Result<std::vector<svc::GaugeSample>> {
        auto counts = count_by_kind(ctx.tx());
        if (!counts.ok()) return counts.status();
        std::vector<svc::GaugeSample> out;
        for (const auto& [kind, n] : *counts) {
          out.push_back({{{"kind", std::string(msgs::to_string(kind))}}, static_cast<double>(n)});
        }
        return out;
      });
  r.gauge("kai_membership_terms_active", "Membership terms running now.",
          [](svc::ReadContext& ctx) { return as_gauge(count_active_terms(ctx.tx())); });
  r.gauge("kai_membership_terms_expiring_90d",
          "Running terms that end within 90 days and have no renewal.", [](svc::ReadContext& ctx) {
            return as_gauge(count_expiring_terms(ctx.tx(), today(ctx), 90));
          });
  r.gauge("kai_membership_problems_open", "Problems at the desk not yet resolved or rejected.",
          [](svc::ReadContext& ctx) { return as_gauge(count_open_problems(ctx.tx())); });
  r.gauge(
      "kai_membership_problems_overdue", "Open problems past their due date.",
      [](svc::ReadContext& ctx) { return as_gauge(count_overdue_problems(ctx.tx(), today(ctx))); });
  r.gauge("kai_membership_activities_year", "Co-building activities held this calendar year.",
          [](svc::ReadContext& ctx) -> Result<double> {
            const CivilDays d = today(ctx);
            auto f = ledger_figures(ctx.tx(), year_start(d), year_end(d));
            if (!f.ok()) return f.status();
            return static_cast<double>(f->activities);
          });
  r.gauge("kai_membership_participant_times_year",
          "Participant-times of the co-building activities held this calendar year.",
          [](svc::ReadContext& ctx) -> Result<double> {
            const CivilDays d = today(ctx);
            auto f = ledger_figures(ctx.tx(), year_start(d), year_end(d));
            if (!f.ok()) return f.status();
            return static_cast<double>(f->participant_times);
          });
  r.gauge_family("kai_membership_projects", "Co-building projects by status.",
                 [](svc::ReadContext& ctx) -> Result<std::vector<svc::GaugeSample>> {
                   auto counts = count_projects_by_status(ctx.tx());
                   if (!counts.ok()) return counts.status();
                   std::vector<svc::GaugeSample> out;
                   for (const auto& [status, n] : *counts) {
                     out.push_back({{{"status", status}}, static_cast<double>(n)});
                   }
                   return out;
                 });
}

}  // namespace kai::membership
