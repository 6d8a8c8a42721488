// The sample "ledger" service: a few lines of domain code on the chassis (libs/service), used by
// the chassis' integration and fault tests and by the service benchmark. It shows the whole shape
// of a service: migrations, a write that emits an event and invalidates cached reads, cached
// reads, and a business gauge.
#pragma once

#include "service/service.hpp"

namespace kai::sample {

// ops port 0: tests and the benchmark always pass KAI_OPS_ADDR.
svc::ServiceDefinition ledger_definition();

}  // namespace kai::sample
