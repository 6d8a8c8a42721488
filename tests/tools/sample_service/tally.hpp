// The sample "tally" service: subscribes to the ledger's entry events and keeps per-account
// totals, so tests can check that every event is applied exactly once across restarts. Each
// application is also recorded as a row of its own (no uniqueness constraint), so a double
// application would show in tally.summary instead of being hidden by a constraint.
#pragma once

#include "service/service.hpp"

namespace kai::sample {

svc::ServiceDefinition tally_definition();

}  // namespace kai::sample
