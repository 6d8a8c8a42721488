#include "gateway/request_ids.hpp"

#include "bus/client.hpp"

namespace kai::gateway {
namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

bool is_valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string request_id_for(const http::Request& req) {
  if (auto given = req.header("x-request-id"); given && is_valid_request_id(*given)) {
    return std::string(*given);
  }
  return bus::random_id();
}

std::string trace_id_for(const http::Request& req) {
  // traceparent: "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>"
  if (auto tp = req.header("traceparent");
      tp && tp->size() == 55 && tp->substr(0, 3) == "00-" && (*tp)[35] == '-' && (*tp)[52] == '-') {
    const std::string_view trace = tp->substr(3, 32);
    if (is_lower_hex(trace) && trace.find_first_not_of('0') != std::string_view::npos) {
      return std::string(trace);
    }
  }
  return bus::random_id();
}

}  // namespace kai::gateway
