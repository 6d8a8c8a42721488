// Error model shared by every process: a status code, a human message and, for validation
// failures, the offending field. Errors are values; nothing in the platform parses message text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace kai {

// The platform's status codes. Each travels on the bus by name and maps to exactly one HTTP status.
enum class StatusCode : std::uint8_t {
  // Success. HTTP 200 (201 for creates is decided by the route, not by the code).
  ok = 0,
  // The request itself is wrong whatever the state of the system: a missing or malformed field,
  // a value out of range, bad JSON or MessagePack. Retrying unchanged will fail again. HTTP 400.
  invalid_argument,
  // The addressed record does not exist (or the caller may not learn that it does). HTTP 404.
  not_found,
  // A create collided with an existing record (same natural key). HTTP 409.
  already_exists,
  // The request is well formed but the record's current state forbids it: claiming a need that
  // is already claimed, evaluating a project that is not active. Fix the state first. HTTP 409.
  failed_precondition,
  // The caller is known but lacks the scope or role for this operation. HTTP 403.
  permission_denied,
  // The caller is not known: no token, a bad token, an unknown bus key. HTTP 401.
  unauthenticated,
  // A quota or bound was hit: rate limit, full queue, body too large. Retry later. HTTP 429.
  resource_exhausted,
  // A dependency is down or the service is draining; retrying (with backoff) may succeed. HTTP 503.
  unavailable,
  // The deadline passed before an answer came; the operation may or may not have happened, so
  // only idempotent retries are safe. HTTP 504.
  deadline_exceeded,
  // A concurrency conflict (optimistic lock lost, transaction aborted); retry the whole
  // read-modify-write. HTTP 409.
  aborted,
  // A bug or broken invariant on our side. Never used for bad input. HTTP 500.
  internal,
};

inline constexpr int kStatusCodeCount = static_cast<int>(StatusCode::internal) + 1;

// The wire name ("not_found"); stable, used on the bus, in JSON error bodies and in metrics labels.
std::string_view status_code_name(StatusCode code);
// Inverse of status_code_name; nullopt for names this build does not know.
std::optional<StatusCode> status_code_from_name(std::string_view name);
// The single HTTP status a code maps to.
int http_status_for(StatusCode code);

// A status: ok, or a code with a message for people and, optionally, the field it concerns.
class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::ok; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }

  // "not_found: organization 42 does not exist (field: id)" — for logs, never for parsing.
  std::string to_string() const;

  friend bool operator==(const Status& a, const Status& b) = default;

 private:
  StatusCode code_ = StatusCode::ok;
  std::string message_;
  std::string field_;
};

// Shorthands that read well at call sites: `return invalid_argument("too long", "name");`
inline Status invalid_argument(std::string msg, std::string field = {}) {
  return {StatusCode::invalid_argument, std::move(msg), std::move(field)};
}
inline Status not_found(std::string msg) {
  return {StatusCode::not_found, std::move(msg)};
}
inline Status already_exists(std::string msg) {
  return {StatusCode::already_exists, std::move(msg)};
}
inline Status failed_precondition(std::string msg, std::string field = {}) {
  return {StatusCode::failed_precondition, std::move(msg), std::move(field)};
}
inline Status permission_denied(std::string msg) {
  return {StatusCode::permission_denied, std::move(msg)};
}
inline Status unauthenticated(std::string msg) {
  return {StatusCode::unauthenticated, std::move(msg)};
}
inline Status resource_exhausted(std::string msg) {
  return {StatusCode::resource_exhausted, std::move(msg)};
}
inline Status unavailable(std::string msg) {
  return {StatusCode::unavailable, std::move(msg)};
}
inline Status deadline_exceeded(std::string msg) {
  return {StatusCode::deadline_exceeded, std::move(msg)};
}
inline Status aborted(std::string msg) {
  return {StatusCode::aborted, std::move(msg)};
}
inline Status internal_error(std::string msg) {
  return {StatusCode::internal, std::move(msg)};
}

}  // namespace kai
