#include "common/status.hpp"

#include <array>

namespace kai {
namespace {

struct CodeInfo {
  std::string_view name;
  int http;
};

constexpr std::array<CodeInfo, kStatusCodeCount> kCodes = {{
    {"ok", 200},
    {"invalid_argument", 400},
    {"not_found", 404},
    {"already_exists", 409},
    {"failed_precondition", 409},
    {"permission_denied", 403},
    {"unauthenticated", 401},
    {"resource_exhausted", 429},
    {"unavailable", 503},
    {"deadline_exceeded", 504},
    {"aborted", 409},
    {"internal", 500},
}};

}  // namespace

std::string_view status_code_name(StatusCode code) {
  return kCodes[static_cast<std::size_t>(code)].name;
}

std::optional<StatusCode> status_code_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kCodes.size(); ++i) {
    if (kCodes[i].name == name) return static_cast<StatusCode>(i);
  }
  return std::nullopt;
}

int http_status_for(StatusCode code) {
  return kCodes[static_cast<std::size_t>(code)].http;
}

std::string Status::to_string() const {
  std::string out(status_code_name(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  if (!field_.empty()) {
    out += " (field: ";
    out += field_;
    out += ')';
  }
  return out;
}

}  // namespace kai
