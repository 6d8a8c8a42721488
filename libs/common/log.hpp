// Structured logging: one JSON object per line on stdout, written with a single write(2) so lines
// from different threads never interleave. Every line carries the time (UTC, RFC 3339 with
// milliseconds), level, process name and, when a request is being served on this thread, its
// request and trace ids.
//
//   kai::log::info("worker expired").kv("service", name).kv("idle_ms", idle);
//
// The line is emitted when the temporary is destroyed; fields are skipped cheaply when the level is
// disabled.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kai::log {

enum class Level : std::uint8_t { debug = 0, info, warn, error };

std::optional<Level> level_from_name(std::string_view name);

// Sets the process name stamped on every line and the minimum level. Call once, early in main.
void init(std::string_view process, Level min_level);
bool enabled(Level level);

class Line {
 public:
  Line(Level level, std::string_view msg);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& kv(std::string_view key, std::string_view value);
  Line& kv(std::string_view key, const char* value) { return kv(key, std::string_view(value)); }
  Line& kv(std::string_view key, const std::string& value) {
    return kv(key, std::string_view(value));
  }
  Line& kv(std::string_view key, std::int64_t value);
  Line& kv(std::string_view key, std::uint64_t value);
  Line& kv(std::string_view key, int value) { return kv(key, static_cast<std::int64_t>(value)); }
  Line& kv(std::string_view key, unsigned value) {
    return kv(key, static_cast<std::uint64_t>(value));
  }
  Line& kv(std::string_view key, double value);
  Line& kv(std::string_view key, bool value);

 private:
  std::string buf_;
  bool active_;
};

inline Line debug(std::string_view msg) {
  return Line(Level::debug, msg);
}
inline Line info(std::string_view msg) {
  return Line(Level::info, msg);
}
inline Line warn(std::string_view msg) {
  return Line(Level::warn, msg);
}
inline Line error(std::string_view msg) {
  return Line(Level::error, msg);
}

// Binds a request id and trace id to the current thread for the lifetime of the object, so every
// line logged while serving a request can be correlated without passing ids around.
class ScopedRequest {
 public:
  ScopedRequest(std::string_view request_id, std::string_view trace_id);
  ~ScopedRequest();
  ScopedRequest(const ScopedRequest&) = delete;
  ScopedRequest& operator=(const ScopedRequest&) = delete;

 private:
  std::string saved_request_id_;
  std::string saved_trace_id_;
};

// Hex rendering of binary data (routing identities, keys) for log fields.
std::string hex(std::string_view bytes);

}  // namespace kai::log
