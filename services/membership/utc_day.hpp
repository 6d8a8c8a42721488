// The UTC calendar day of a time: the service's dates (terms, due dates, the ledger) are UTC days.
#pragma once

#include "common/time.hpp"

namespace kai::membership {

// The UTC day a Unix-ms time falls on (rounding down for times before 1970).
constexpr CivilDays day_of(UnixMillis t) {
  constexpr std::int64_t kDayMs = 86'400'000;
  return static_cast<CivilDays>(t >= 0 ? t / kDayMs : (t - kDayMs + 1) / kDayMs);
}

}  // namespace kai::membership
