#include "support/metrics_text.hpp"

#include <cstdlib>
#include <functional>

namespace kai::testing {
namespace {

// Calls `each` with the value of every sample line of `metric` carrying all `labels`; stops
// when it returns false.
void for_each_sample(std::string_view text, std::string_view metric, const LabelPieces& labels,
                     const std::function<bool(double)>& each) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    const std::size_t name_end = line.find_first_of("{ ");
    const std::size_t value_at = line.rfind(' ');
    if (name_end == std::string_view::npos || line.substr(0, name_end) != metric) continue;
    bool all = true;
    for (const std::string& piece : labels)
      all = all && line.substr(0, value_at).find(piece) != std::string_view::npos;
    if (!all) continue;
    if (!each(std::strtod(std::string(line.substr(value_at + 1)).c_str(), nullptr))) return;
  }
}

}  // namespace

std::optional<double> metric_first(std::string_view text, std::string_view metric,
                                   const LabelPieces& labels) {
  std::optional<double> found;
  for_each_sample(text, metric, labels, [&](double v) {
    found = v;
    return false;
  });
  return found;
}

double metric_sum(std::string_view text, std::string_view metric, const LabelPieces& labels) {
  double sum = 0;
  for_each_sample(text, metric, labels, [&](double v) {
    sum += v;
    return true;
  });
  return sum;
}

}  // namespace kai::testing
