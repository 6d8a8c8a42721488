#include "gateway/route_table.hpp"

#include <gtest/gtest.h>

#include "schema/all_services.hpp"

namespace kai::gateway {
namespace {

TEST(RouteTableTest, EveryHttpBindingOfTheSchemasIsARoute) {
  RouteTable table(schema::all_services());
  std::size_t bindings = 0;
  for (const schema::ServiceDesc* svc : schema::all_services()) {
    for (const schema::OperationDesc& op : svc->operations) {
      if (op.http == nullptr) continue;
      ++bindings;
      const std::string path = std::string(kApiPrefix) + std::string(op.http->path);
      bool found = false;
      for (const Route& r : table.routes()) {
        if (r.op == &op) {
          found = true;
          EXPECT_EQ(r.template_path, path);
          EXPECT_EQ(r.method, op.http->method);
        }
      }
      EXPECT_TRUE(found) << path;
    }
  }
  EXPECT_EQ(table.routes().size(), bindings);
  EXPECT_GE(bindings, 3u);
}

TEST(RouteTableTest, MatchesLiteralAndParameterSegments) {
  RouteTable table(schema::all_services());
  RouteMatch m = table.match("GET", "/api/v1/membership/organizations/42");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->op->name, "organization.get");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "id");
  EXPECT_EQ(m.params[0].second, "42");

  m = table.match("GET", "/api/v1/membership/organizations");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->op->name, "organization.list");
  EXPECT_TRUE(m.params.empty());

  m = table.match("POST", "/api/v1/membership/organizations");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->op->name, "organization.create");
  EXPECT_TRUE(m.route->body);
}

TEST(RouteTableTest, UnknownPathsAndMethodsDoNotMatch) {
  RouteTable table(schema::all_services());
  EXPECT_EQ(table.match("GET", "/api/v1/membership/nothing").route, nullptr);
  EXPECT_EQ(table.match("GET", "/api/v1/membership/organizations/1/extra").route, nullptr);
  EXPECT_EQ(table.match("DELETE", "/api/v1/membership/organizations").route, nullptr);
  EXPECT_EQ(table.match("GET", "/").route, nullptr);
  const auto methods = table.methods_for("/api/v1/membership/organizations");
  EXPECT_NE(std::find(methods.begin(), methods.end(), "GET"), methods.end());
  EXPECT_NE(std::find(methods.begin(), methods.end(), "POST"), methods.end());
  EXPECT_TRUE(table.methods_for("/api/v1/none").empty());
}

}  // namespace
}  // namespace kai::gateway
