// Helpers for the chassis' tests: hand-built MessagePack requests (so tests can send what the
// generated types would never produce) and metric lookups.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "ops/metrics.hpp"

namespace kai::svc::testing {

// Packs a message with a callback writing into a msgpack packer.
inline std::string pack(const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& fn) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  fn(pk);
  return std::string(buf.data(), buf.size());
}

// The value of the first sample line of `/metrics` text starting with `series` (name and labels
// exactly as rendered, e.g. `kai_requests_total{code="ok",op="entry.add",service="ledger"}`);
// -1 when absent.
inline double metric_value(const std::string& text, std::string_view series) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    if (line.starts_with(series) && line.size() > series.size() && line[series.size()] == ' ') {
      return std::stod(std::string(line.substr(series.size() + 1)));
    }
    pos = end + 1;
  }
  return -1;
}

inline double metric(std::string_view series) {
  return metric_value(ops::render_metrics(), series);
}

}  // namespace kai::svc::testing
