// The periodic job that applies the calendar: scheduled terms start, running terms that reached
// their end expire, agreements in force past their end expire. It runs at start-up and every
// KAI_EXPIRY_INTERVAL, is idempotent (a term or agreement moves once) and emits the same change
// events as the operations do.
#pragma once

#include <chrono>

#include "service/registrar.hpp"

namespace kai::membership {

inline constexpr std::string_view kExpiryJob = "apply-expiry";

void register_expiry_job(svc::Registrar& r, std::chrono::milliseconds interval);

}  // namespace kai::membership
