// Discoverability of kai-gateway against the real cluster: the OpenAPI document is valid (checked
// by an independent validator from the npm registry), documents exactly the routes served, every
// membership route reaches the service, and the API page lists the operations in a real browser.
#include <set>

#include <gtest/gtest.h>

#include "e2e/gateway_cluster.hpp"
#include "schema/all_services.hpp"

namespace kai::testing {
namespace {

using nlohmann::json;

// Runs `node <script> <args...>` from tests/e2e and expects exit code 0.
void run_node(const std::string& script, std::vector<std::string> args) {
  args.insert(args.begin(), source_path("tests/e2e/" + script));
  Process node("/usr/bin/node", args);
  const auto code = node.wait(180s);
  EXPECT_EQ(code, std::optional<int>(0)) << node.output();
}

json document(GatewayCluster& cluster) {
  Api anonymous(cluster.http_address(), "");
  auto r = anonymous.get("/api/v1/openapi.json");
  EXPECT_EQ(r.status, 200);
  return r.json;
}

// A value that satisfies `f` as far as the schema says (examples and defaults first).
json sample(const schema::FieldDesc& f, int depth);

json sample_message(const schema::MessageDesc& m, int depth) {
  json out = json::object();
  for (const schema::FieldDesc& f : m.fields) {
    if (f.required) out[std::string(f.name)] = sample(f, depth + 1);
  }
  return out;
}

json sample(const schema::FieldDesc& f, int depth) {
  using schema::FieldType;
  if (!f.example_json.empty()) return json::parse(f.example_json);
  if (!f.default_json.empty()) return json::parse(f.default_json);
  switch (f.type) {
    case FieldType::string:
      return std::string(static_cast<std::size_t>(std::max<std::int64_t>(1, f.min_len)), 'x');
    case FieldType::int32:
    case FieldType::int64:
    case FieldType::money: {
      std::int64_t v = 1;
      if (f.min_int && *f.min_int > v) v = *f.min_int;
      if (f.max_int && *f.max_int < v) v = *f.max_int;
      return v;
    }
    case FieldType::float64:
      return f.min_double.value_or(0.0);
    case FieldType::boolean:
      return false;
    case FieldType::date:
      return "2026-06-01";
    case FieldType::timestamp:
      return "2026-06-01T08:00:00Z";
    case FieldType::enumeration:
      return std::string(f.enumeration->values[0]);
    case FieldType::bytes:
      return "AAAA";
    case FieldType::message:
      return sample_message(*f.message, depth);
    case FieldType::list: {
      json arr = json::array();
      for (std::int64_t i = 0; i < std::max<std::int64_t>(f.min_items, 0); ++i) {
        arr.push_back(sample(*f.items, depth + 1));
      }
      return arr;
    }
  }
  return nullptr;
}

std::string as_param(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

TEST(GatewayOpenApiTest, TheDocumentIsValidOpenApiByAnIndependentValidator) {
  GatewayCluster cluster;
  run_node("openapi_validate.mjs", {cluster.base_url()});
}

TEST(GatewayOpenApiTest, DocumentedRoutesAreExactlyTheRoutesServed) {
  GatewayCluster cluster;
  const json doc = document(cluster);
  ASSERT_TRUE(doc.is_object());
  std::set<std::string> documented;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      documented.insert(method + " " + path);
    }
  }
  // Every HTTP binding of the schemas, plus the gateway's own routes, and nothing else.
  std::set<std::string> expected = {"get /audit", "get /audit.csv", "get /openapi.json",
                                    "get /docs", "get /docs/{asset}"};
  for (const schema::ServiceDesc* svc : schema::all_services()) {
    for (const schema::OperationDesc& op : svc->operations) {
      if (op.http == nullptr) continue;
      std::string m(op.http->method);
      for (char& c : m)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      expected.insert(m + " " + std::string(op.http->path));
    }
  }
  EXPECT_EQ(documented, expected);

  // Every documented route is served: it is matched (never "no route", never 405).
  Api admin(cluster.http_address(), cluster.tokens().admin);
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      std::string target = "/api/v1" + path;
      for (std::size_t open; (open = target.find('{')) != std::string::npos;) {
        const std::size_t close = target.find('}', open);
        const std::string name = target.substr(open + 1, close - open - 1);
        target.replace(open, close - open + 1, name == "asset" ? "swagger-ui.css" : "1");
      }
      std::string upper = method;
      for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const ApiResponse r = admin.call(upper, target, upper == "GET" ? "" : "{}");
      SCOPED_TRACE(upper + " " + target + " -> " + std::to_string(r.status) + " " +
                   r.body.substr(0, 300));
      EXPECT_NE(r.status, 405);
      EXPECT_NE(r.status, -1);
      if (r.status == 404 && r.json.is_object()) {
        EXPECT_EQ(r.json["error"]["message"].get<std::string>().find("no route"),
                  std::string::npos);
      }
    }
  }
  // And nothing undocumented is served.
  for (const std::string& target :
       std::vector<std::string>{"/api/v1/membership", "/api/v1/audit/1", "/api/v1/openapi.yaml",
                                "/api/v2/membership/organizations", "/api/v1/gateway/routes"}) {
    EXPECT_EQ(admin.get(target).status, 404) << target;
  }
  // The routes the metrics saw are all documented ones (or "unmatched").
  const std::string metrics = scrape(cluster.ops_address());
  for (std::size_t p = 0; (p = metrics.find("kai_gateway_requests_total{", p)) != std::string::npos;
       ++p) {
    const std::size_t r = metrics.find("route=\"", p) + 7;
    const std::string route = metrics.substr(r, metrics.find('"', r) - r);
    if (route == "unmatched") continue;
    ASSERT_EQ(route.rfind("/api/v1", 0), 0u) << route;
    bool found = false;
    for (const std::string& d : documented) {
      if (d.substr(d.find(' ') + 1) == route.substr(7)) found = true;
    }
    EXPECT_TRUE(found) << route;
  }
}

TEST(GatewayOpenApiTest, EveryMembershipRouteReachesTheService) {
  GatewayCluster cluster;
  Api admin(cluster.http_address(), cluster.tokens().admin);
  const schema::ServiceDesc* svc = schema::find_service("membership");
  ASSERT_NE(svc, nullptr);
  std::vector<std::string> ops;
  for (const schema::OperationDesc& op : svc->operations) {
    if (op.http == nullptr) continue;
    ops.emplace_back(op.name);
    json request = sample_message(*op.request, 0);
    std::string target = "/api/v1" + std::string(op.http->path);
    for (std::string_view param : op.http->path_params) {
      const std::string name(param);
      const std::string value = request.contains(name) ? as_param(request[name]) : "1";
      request.erase(name);
      target.replace(target.find("{" + name + "}"), name.size() + 2, http::percent_encode(value));
    }
    const bool body = op.http->method != "GET" && op.http->method != "DELETE";
    if (!body) {
      std::string query;
      for (const auto& [k, v] : request.items()) {
        if (v.is_array()) {
          for (const auto& item : v)
            query += (query.empty() ? "?" : "&") + k + "=" + http::percent_encode(as_param(item));
        } else {
          query += (query.empty() ? "?" : "&") + k + "=" + http::percent_encode(as_param(v));
        }
      }
      target += query;
    }
    const ApiResponse r =
        admin.call(std::string(op.http->method), target, body ? request.dump() : "");
    SCOPED_TRACE(std::string(op.http->method) + " " + target + " " + request.dump() + " -> " +
                 std::to_string(r.status) + " " + r.body.substr(0, 300));
    EXPECT_GT(r.status, 0);
    EXPECT_LT(r.status, 500);
    if (r.status < 300) {
      EXPECT_EQ(r.status, op.http->status);
    }
  }
  ASSERT_GE(ops.size(), 4u);
  // The service itself counted a request for every one of its routes.
  const std::string m = scrape(cluster.membership_ops_address());
  for (const std::string& op : ops) {
    EXPECT_GE(metric_sum(m, "kai_requests_total", {"op=\"" + op + "\"", "service=\"membership\""}),
              1)
        << op;
  }
}

TEST(GatewayOpenApiTest, TheApiPageListsTheMembershipOperationsInARealBrowser) {
  GatewayCluster cluster;
  TempDir shots;
  run_node("api_page_browser.mjs", {cluster.base_url(), shots.file("api-page.png")});
}

}  // namespace
}  // namespace kai::testing
