// Opaque page cursors for keyset pagination. A cursor names the listing's order (`tag`) and the
// sort key of the last item returned, e.g. "n~1042" (by name, after organisation 1042) or
// "c~1719705600000_1042" (by creation time, then id). They are short, URL-safe ([0-9a-zA-Z~_-]),
// and checked strictly: a cursor from another listing or order, or one that was tampered with, is
// invalid_argument naming the field "cursor".
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace kai::membership {

// `tag` is a short word of letters; keys are the integers of the sort key, in order.
std::string make_cursor(std::string_view tag, std::span<const std::int64_t> keys);
inline std::string make_cursor(std::string_view tag, std::int64_t key) {
  return make_cursor(tag, std::span<const std::int64_t>(&key, 1));
}

// The `count` integers of a cursor made with `tag`.
Result<std::vector<std::int64_t>> parse_cursor(std::string_view cursor, std::string_view tag,
                                               std::size_t count);

// A cursor key that holds a calendar day (days since 1970-01-01) as "YYYY-MM-DD"; a day outside
// 0001-01-01..9999-12-31 cannot come from this service and is invalid_argument (field cursor).
Result<std::string> cursor_day(std::int64_t key);

}  // namespace kai::membership
