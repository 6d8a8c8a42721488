// Aligned plain-text tables for listings meant for people (kaictl token list). Columns are padded
// to the widest cell as a terminal shows it: East Asian wide characters (the departments' Chinese
// names) take two columns.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kai::kaictl {

// Terminal columns `s` (UTF-8) occupies: 2 for East Asian wide and fullwidth characters, 0 for
// combining marks, 1 otherwise (an invalid byte counts as one column).
std::size_t display_width(std::string_view s);

// The rows (the first is the header) as lines of cells separated by two spaces, each line ending
// in '\n'; the last column is not padded.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace kai::kaictl
