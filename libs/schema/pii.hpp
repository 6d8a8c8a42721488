// Masking of personal data for callers that do not hold the `pii:read` scope.
//
//   phone      "13812345678"          -> "138****5678"   first 3 and last 4 digits kept; other
//                                                          digits become '*', separators stay;
//                                                          fewer than 8 digits: all masked
//   id_number  "330104199001011234"   -> "330***********1234"  first 3 and last 4 characters
//                                                          kept, one '*' per hidden character;
//                                                          8 characters or fewer: all masked
//   name       "张三丰"                -> "张**"          first character kept ("*" for one)
//   address    "浙江省杭州市上城区…"    -> "浙江省杭州市***" the first 6 characters (half of a
//                                                          shorter address) then "***"
//   email      "zhang@example.com"    -> "z***@example.com"
//
// Characters are Unicode code points; bytes that are not valid UTF-8 count as one character each.
#pragma once

#include <string>
#include <string_view>

#include "schema/descriptor.hpp"

namespace kai::schema {

// The masked form of `value`. Returns `value` itself for PiiKind::none, otherwise a view of
// `scratch`, which is overwritten (reuse one scratch string to avoid allocating per value).
std::string_view mask_pii(std::string_view value, PiiKind kind, std::string& scratch);

}  // namespace kai::schema
