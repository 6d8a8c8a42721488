#include "gateway/api_error.hpp"

#include <string>

#include "common/json_writer.hpp"

namespace kai::gateway {

void add_api_headers(http::Response& resp, std::string_view request_id) {
  resp.headers.push_back({"X-Request-Id", std::string(request_id)});
  resp.headers.push_back({"Cache-Control", "no-store"});
}

http::Response api_error(int http_status, const Status& status, std::string_view request_id) {
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("error").begin_object();
  w.key("code").value(status_code_name(status.code()));
  w.key("message").value(status.message());
  if (!status.field().empty()) w.key("field").value(status.field());
  w.key("request_id").value(request_id);
  w.end_object().end_object();
  http::Response resp = http::Response::json(http_status, std::move(body));
  add_api_headers(resp, request_id);
  return resp;
}

http::Response api_error(const Status& status, std::string_view request_id) {
  return api_error(http_status_for(status.code()), status, request_id);
}

}  // namespace kai::gateway
