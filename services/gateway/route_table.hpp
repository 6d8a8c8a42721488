// The gateway's bus routes, built at start-up from the schema registry (the HTTP bindings of every
// operation in proto-schemas/), so a new service or operation needs no gateway code.
//
// Matching is by method and path segments: literal segments compare exactly, `{param}` segments
// take any non-empty segment and become a named parameter. Immutable after construction; safe to
// share between threads.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/descriptor.hpp"

namespace kai::gateway {

// Every API path starts with this.
inline constexpr std::string_view kApiPrefix = "/api/v1";

struct Route {
  std::string method;                 // "GET"
  std::string template_path;          // "/api/v1/membership/organizations/{id}": the metrics label
  std::vector<std::string> segments;  // {"api","v1","membership","organizations","{id}"}
  const schema::OperationDesc* op = nullptr;
  bool body = false;  // POST, PUT, PATCH: the request (minus path parameters) is the JSON body
};

struct RouteMatch {
  const Route* route = nullptr;
  // Path parameters in path order, values as decoded from the path.
  std::vector<std::pair<std::string, std::string>> params;
};

class RouteTable {
 public:
  // Routes for every operation of `services` that has an HTTP binding.
  explicit RouteTable(std::span<const schema::ServiceDesc* const> services);

  // The route for `method` and decoded `path`; route == nullptr when none matches.
  RouteMatch match(std::string_view method, std::string_view path) const;
  // Methods of the routes whose path matches (for 405 and its Allow header); empty when no route
  // has this path at all.
  std::vector<std::string> methods_for(std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  static bool path_matches(const Route& r, const std::vector<std::string_view>& segs,
                           std::vector<std::pair<std::string, std::string>>* params);

  std::vector<Route> routes_;
};

}  // namespace kai::gateway
