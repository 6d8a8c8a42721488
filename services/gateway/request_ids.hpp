// Request and trace ids at the HTTP edge. A client may send its own X-Request-Id (to correlate its
// logs with ours) and a W3C `traceparent`; otherwise the gateway makes them up. Both travel in
// the bus envelope to the service, whose log lines carry them.
#pragma once

#include <string>
#include <string_view>

#include "http/message.hpp"

namespace kai::gateway {

// 1..128 characters from [A-Za-z0-9._:-]: safe to echo in a header and to log.
bool is_valid_request_id(std::string_view id);

// The client's X-Request-Id when valid, else a fresh random id (32 hex digits).
std::string request_id_for(const http::Request& req);

// The trace id of a valid `traceparent` header (version 00: 32 lower-case hex digits, not all
// zero), else a fresh random one in the same form.
std::string trace_id_for(const http::Request& req);

}  // namespace kai::gateway
