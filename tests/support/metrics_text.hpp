// Reading the Prometheus text format that /metrics serves, for tests that scrape real processes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kai::testing {

// Label pieces are `name="value"` exactly as the exposition writes them, e.g. `op="entry.add"`.
using LabelPieces = std::vector<std::string>;

// The value of the first sample of `metric` whose labels include every piece; nullopt if none.
std::optional<double> metric_first(std::string_view text, std::string_view metric,
                                   const LabelPieces& labels = {});
// The sum over every sample of `metric` whose labels include every piece (0 if none).
double metric_sum(std::string_view text, std::string_view metric, const LabelPieces& labels = {});

}  // namespace kai::testing
