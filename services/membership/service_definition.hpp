// kai-membership as the chassis sees it: name, schema, ops port 9102, migrations, its own
// settings and setup (every handler, subscription, gauge, job and the demo data).
//
// Settings beyond the chassis' standard ones:
//   KAI_DEMO_DATA / --demo-data (false)     load the demo data into an empty registry at start
//   KAI_EXPIRY_INTERVAL / --expiry-interval (1h)   how often terms and agreements are expired
#pragma once

#include "service/service.hpp"

namespace kai::membership {

inline constexpr int kOpsPort = 9102;

svc::ServiceDefinition definition();

}  // namespace kai::membership
