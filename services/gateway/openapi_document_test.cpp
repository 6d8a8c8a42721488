#include "gateway/openapi_document.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "schema/openapi.hpp"

namespace kai::gateway {
namespace {

TEST(OpenApiDocumentTest, AddsTheGatewayRoutesAndCsvParameters) {
  auto doc = build_openapi_document(schema::openapi_json());
  ASSERT_TRUE(doc.ok()) << doc.status().to_string();
  const auto j = nlohmann::json::parse(*doc);
  for (const char* p : {"/audit", "/audit.csv", "/openapi.json", "/docs", "/docs/{asset}"}) {
    EXPECT_TRUE(j["paths"].contains(p)) << p;
  }
  EXPECT_EQ(j["paths"]["/audit"]["get"]["x-kai-scopes"][0], "audit:read");
  EXPECT_TRUE(j["components"]["schemas"].contains("gateway.AuditPage"));
  bool format = false;
  for (const auto& p : j["paths"]["/membership/organizations"]["get"]["parameters"]) {
    if (p.contains("name") && p["name"] == "format") format = true;
  }
  EXPECT_TRUE(format);
  EXPECT_TRUE(j["paths"]["/membership/organizations"]["post"]["responses"].contains("413"));
}

TEST(OpenApiDocumentTest, RefusesSomethingThatIsNotADocument) {
  EXPECT_FALSE(build_openapi_document("not json").ok());
  EXPECT_FALSE(build_openapi_document("{}").ok());
}

}  // namespace
}  // namespace kai::gateway
