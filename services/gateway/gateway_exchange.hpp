// One API request being answered: what the asynchronous steps of the gateway (bus reply, audit
// commit, audit query, CSV pages) need after the HTTP handler has returned. Internal to the
// gateway's .cpp files.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "common/time.hpp"
#include "gateway/csv.hpp"
#include "gateway/gateway.hpp"
#include "schema/transcode.hpp"

namespace kai::gateway {

struct Gateway::Exchange {
  http::Responder responder;
  RouteMetrics* metrics = nullptr;
  SteadyClock::time_point start;
  std::string request_id;
  std::string trace_id;
  std::string method;

  // Bus routes.
  const Route* route = nullptr;
  Principal principal;
  bool mask_pii = true;
  std::vector<std::pair<std::string, std::string>> path_params;
  std::string client_key;  // the client's Idempotency-Key, for the audit log
  std::string bus_key;     // the key sent on the bus (scoped to the principal)

  // CSV export of a list: the request's parameters (to ask for the next page), the document so
  // far and its row count.
  bool csv = false;
  schema::Params params;
  std::vector<CsvColumn> columns;
  std::string csv_body;
  std::size_t csv_rows = 0;

  // Sends `resp` with the X-Request-Id header and counts it in the route's RED metrics.
  void finish(http::Response resp) {
    if (!resp.header("x-request-id")) resp.headers.push_back({"X-Request-Id", request_id});
    if (metrics != nullptr) {
      metrics->observe(resp.status,
                       std::chrono::duration<double>(SteadyClock::now() - start).count());
    }
    responder.send(std::move(resp));
  }
};

}  // namespace kai::gateway
