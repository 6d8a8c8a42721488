// Wall-clock time in the platform: integer milliseconds since the Unix epoch (UTC) inside
// processes and on the bus; RFC 3339 strings ("2026-11-25T08:00:00Z") at the HTTP edge.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kai {

using UnixMillis = std::int64_t;

UnixMillis now_unix_ms();

// Monotonic time for deadlines, timeouts and durations; never goes backwards.
using SteadyClock = std::chrono::steady_clock;

// "2026-11-25T08:00:00.123Z" (always UTC, always milliseconds).
std::string format_rfc3339_ms(UnixMillis t);
// "2026-11-25T08:00:00Z" when the milliseconds are zero, else with ".123".
std::string format_rfc3339(UnixMillis t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)", 't'/'z' in either case; nullopt otherwise.
std::optional<UnixMillis> parse_rfc3339(std::string_view s);

// Calendar dates ("2026-11-25") as days since 1970-01-01, for terms, due dates and periods.
using CivilDays = std::int32_t;
std::string format_date(CivilDays days);
std::optional<CivilDays> parse_date(std::string_view s);
CivilDays days_from_civil(int year, unsigned month, unsigned day);
struct CivilDate {
  int year;
  unsigned month;
  unsigned day;
};
CivilDate civil_from_days(CivilDays days);
// Adds whole calendar years; 29 February maps to 28 February in a non-leap target year.
CivilDays add_years(CivilDays days, int years);
CivilDays today_utc();

}  // namespace kai
