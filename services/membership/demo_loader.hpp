// Loads the demo data (demo_data.hpp) through the same stores the handlers use, emitting the same
// events, when KAI_DEMO_DATA is true. It loads only into an empty registry (no organisations and
// no structure nodes), so a restart keeps what is there and never duplicates it.
#pragma once

#include "common/status.hpp"
#include "service/context.hpp"

namespace kai::membership {

// Loads the demo data unless the registry holds data already; logs which of the two happened.
Status load_demo_data(svc::WriteContext& ctx);

}  // namespace kai::membership
