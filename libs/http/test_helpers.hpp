// Helpers for tests of code served over kai::http (this library's tests and libs/ops'): reading a
// series from the process's metrics registry, and a test-local server fixture. Test-only.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "http/server.hpp"
#include "ops/metrics.hpp"

namespace kai::http::testing {

// Value of one series in the Prometheus text rendering, e.g.
// metric_value(R"(kai_http_bad_requests_total{reason="malformed",server="t1"})"); 0 when absent.
// Labels appear sorted by name, as prometheus-cpp renders them.
inline double metric_value(std::string_view series) {
  const std::string text = ops::render_metrics();
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + pos, end - pos);
    if (line.size() > series.size() && line.substr(0, series.size()) == series &&
        line[series.size()] == ' ') {
      return std::strtod(std::string(line.substr(series.size() + 1)).c_str(), nullptr);
    }
    pos = end + 1;
  }
  return 0;
}

inline double bad_requests(std::string_view server, std::string_view reason) {
  return metric_value("kai_http_bad_requests_total{reason=\"" + std::string(reason) +
                      "\",server=\"" + std::string(server) + "\"}");
}

inline double open_connections(std::string_view server) {
  return metric_value("kai_http_connections_open{server=\"" + std::string(server) + "\"}");
}

inline double total_connections(std::string_view server) {
  return metric_value("kai_http_connections_total{server=\"" + std::string(server) + "\"}");
}

}  // namespace kai::http::testing
