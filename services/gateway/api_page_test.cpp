#include "gateway/api_page.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "support/process.hpp"

namespace kai::gateway {
namespace {

TEST(ApiPageTest, ServesThePageAndItsFilesFromTheFolder) {
  testing::TempDir dir;
  std::ofstream(dir.file("swagger-ui-bundle.js")) << "var SwaggerUIBundle = 1;";
  std::ofstream(dir.file("swagger-ui.css")) << "body {}";
  const ApiPage page = ApiPage::load(dir.path());
  ASSERT_TRUE(page.available());

  const http::Response html = page.serve("/api/v1/docs");
  EXPECT_EQ(html.status, 200);
  EXPECT_NE(html.body.find("/api/v1/docs/swagger-ui-bundle.js"), std::string::npos);
  EXPECT_EQ(html.body.find("://"), std::string::npos);  // nothing from elsewhere (no CDN)
  EXPECT_TRUE(html.header("content-security-policy").has_value());
  EXPECT_EQ(page.serve("/api/v1/docs/").status, 200);

  const http::Response js = page.serve("/api/v1/docs/swagger-ui-bundle.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "var SwaggerUIBundle = 1;");
  EXPECT_NE(js.header("content-type")->find("javascript"), std::string::npos);
  const http::Response init = page.serve("/api/v1/docs/init.js");
  EXPECT_NE(init.body.find("/api/v1/openapi.json"), std::string::npos);

  EXPECT_EQ(page.serve("/api/v1/docs/../../etc/passwd").status, 404);
  EXPECT_EQ(page.serve("/api/v1/docs/index.html").status, 404);
}

TEST(ApiPageTest, MissingFilesMakeThePageUnavailableNotTheGateway) {
  testing::TempDir dir;
  const ApiPage page = ApiPage::load(dir.path());
  EXPECT_FALSE(page.available());
  EXPECT_EQ(page.serve("/api/v1/docs").status, 503);
  EXPECT_FALSE(ApiPage::load("").available());
}

}  // namespace
}  // namespace kai::gateway
