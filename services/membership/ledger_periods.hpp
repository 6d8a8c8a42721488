// Periods of the co-building activity ledger: totals are reported per year ("2016"), quarter
// ("2016-Q2") or month ("2016-05") of the day an activity was held.
#pragma once

#include <string>

#include "common/time.hpp"

namespace kai::membership {

enum class Period { year, quarter, month };

std::string period_key(CivilDays held_on, Period period);

// [first day of the year, last day of the year] of the year `day` falls in.
CivilDays year_start(CivilDays day);
CivilDays year_end(CivilDays day);

}  // namespace kai::membership
