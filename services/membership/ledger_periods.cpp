#include "membership/ledger_periods.hpp"

#include <cstdio>

namespace kai::membership {

std::string period_key(CivilDays held_on, Period period) {
  const CivilDate d = civil_from_days(held_on);
  char buf[32];
  switch (period) {
    case Period::year:
      std::snprintf(buf, sizeof buf, "%04d", d.year);
      break;
    case Period::quarter:
      std::snprintf(buf, sizeof buf, "%04d-Q%u", d.year, (d.month - 1) / 3 + 1);
      break;
    case Period::month:
      std::snprintf(buf, sizeof buf, "%04d-%02u", d.year, d.month);
      break;
  }
  return buf;
}

CivilDays year_start(CivilDays day) {
  return days_from_civil(civil_from_days(day).year, 1, 1);
}

CivilDays year_end(CivilDays day) {
  return days_from_civil(civil_from_days(day).year, 12, 31);
}

}  // namespace kai::membership
