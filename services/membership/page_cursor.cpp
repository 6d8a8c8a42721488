#include "membership/page_cursor.hpp"

#include <charconv>

#include "common/time.hpp"

namespace kai::membership {
namespace {

Status bad_cursor() {
  return invalid_argument("the cursor does not belong to this listing and order", "cursor");
}

}  // namespace

std::string make_cursor(std::string_view tag, std::span<const std::int64_t> keys) {
  std::string out(tag);
  out += '~';
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out += '_';
    out += std::to_string(keys[i]);
  }
  return out;
}

Result<std::vector<std::int64_t>> parse_cursor(std::string_view cursor, std::string_view tag,
                                               std::size_t count) {
  if (cursor.size() <= tag.size() || cursor.substr(0, tag.size()) != tag ||
      cursor[tag.size()] != '~') {
    return bad_cursor();
  }
  std::string_view rest = cursor.substr(tag.size() + 1);
  std::vector<std::int64_t> keys;
  while (true) {
    const std::size_t sep = rest.find('_');
    const std::string_view part = rest.substr(0, sep);
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size()) return bad_cursor();
    keys.push_back(v);
    if (sep == std::string_view::npos) break;
    rest = rest.substr(sep + 1);
  }
  // Only the canonical spelling (no leading zeros or '+'), so a cursor has one form.
  if (keys.size() != count || make_cursor(tag, keys) != cursor) return bad_cursor();
  return keys;
}

Result<std::string> cursor_day(std::int64_t key) {
  static const std::int64_t kFirst = days_from_civil(1, 1, 1);
  static const std::int64_t kLast = days_from_civil(9999, 12, 31);
  if (key < kFirst || key > kLast) return bad_cursor();
  return format_date(static_cast<CivilDays>(key));
}

}  // namespace kai::membership
