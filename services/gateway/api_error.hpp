// Error responses of the API: the body every route documents (proto-schemas common.Error),
//   {"error":{"code":"not_found","message":"...","field":"...","request_id":"..."}}
// with the HTTP status of the code (kai::http_status_for) or an explicit protocol status (405,
// 413, 415), and the X-Request-Id header.
#pragma once

#include <string_view>

#include "common/status.hpp"
#include "http/message.hpp"

namespace kai::gateway {

// `status` must not be ok. `field` is left out when empty.
http::Response api_error(const Status& status, std::string_view request_id);
http::Response api_error(int http_status, const Status& status, std::string_view request_id);

// Headers every API response carries: X-Request-Id and, since answers may hold personal data,
// Cache-Control: no-store.
void add_api_headers(http::Response& resp, std::string_view request_id);

}  // namespace kai::gateway
