// Reading this service's rows back into generated message types: enums stored in their wire
// spelling, optional dates and texts, 0/1 flags. A stored value that does not read back is a bug
// or a corrupted database, answered internal.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/time.hpp"
#include "store/row.hpp"

namespace kai::membership {

template <class E>
Result<E> enum_of(const store::Row& row, std::string_view column) {
  E out{};
  if (!from_string(row.text(column), out)) {
    return internal_error("stored " + std::string(column) + " '" + row.text(column) +
                          "' is not a known value");
  }
  return out;
}

template <class E>
Result<std::optional<E>> opt_enum_of(const store::Row& row, std::string_view column) {
  if (row.is_null(column)) return std::optional<E>();
  auto v = enum_of<E>(row, column);
  if (!v.ok()) return v.status();
  return std::optional<E>(*v);
}

inline std::optional<bool> opt_bool(const store::Row& row, std::string_view column) {
  if (row.is_null(column)) return std::nullopt;
  return row.int64(column) != 0;
}

inline std::optional<std::int32_t> opt_int32(const store::Row& row, std::string_view column) {
  if (row.is_null(column)) return std::nullopt;
  return static_cast<std::int32_t>(row.int64(column));
}

// A stored date as days; internal when it does not parse.
inline Result<CivilDays> date_of(const store::Row& row, std::string_view column) {
  auto d = parse_date(row.text(column));
  if (!d) return internal_error("stored " + std::string(column) + " is not a date");
  return *d;
}

// A date the schema validated already ("YYYY-MM-DD", a real day).
inline CivilDays day(const std::string& validated_date) {
  return parse_date(validated_date).value_or(0);
}

}  // namespace kai::membership
