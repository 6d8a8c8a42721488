#include "common/status.hpp"

#include <gtest/gtest.h>

#include "common/result.hpp"

namespace kai {
namespace {

TEST(StatusTest, EveryCodeHasAUniqueNameThatRoundTrips) {
  for (int i = 0; i < kStatusCodeCount; ++i) {
    const auto code = static_cast<StatusCode>(i);
    const auto name = status_code_name(code);
    ASSERT_FALSE(name.empty());
    EXPECT_EQ(status_code_from_name(name), code);
  }
  EXPECT_EQ(status_code_from_name("no_such_code"), std::nullopt);
}

TEST(StatusTest, HttpMapping) {
  EXPECT_EQ(http_status_for(StatusCode::ok), 200);
  EXPECT_EQ(http_status_for(StatusCode::invalid_argument), 400);
  EXPECT_EQ(http_status_for(StatusCode::unauthenticated), 401);
  EXPECT_EQ(http_status_for(StatusCode::permission_denied), 403);
  EXPECT_EQ(http_status_for(StatusCode::not_found), 404);
  EXPECT_EQ(http_status_for(StatusCode::already_exists), 409);
  EXPECT_EQ(http_status_for(StatusCode::resource_exhausted), 429);
  EXPECT_EQ(http_status_for(StatusCode::internal), 500);
  EXPECT_EQ(http_status_for(StatusCode::unavailable), 503);
  EXPECT_EQ(http_status_for(StatusCode::deadline_exceeded), 504);
}

TEST(StatusTest, ToStringNamesCodeMessageAndField) {
  EXPECT_EQ(Status().to_string(), "ok");
  EXPECT_EQ(invalid_argument("too long", "name").to_string(),
            "invalid_argument: too long (field: name)");
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good = 42;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  EXPECT_TRUE(good.status().ok());

  Result<int> bad = not_found("nothing here");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::not_found);
}

Status fails_then_propagates() {
  KAI_RETURN_IF_ERROR(aborted("lost the race"));
  return Status::Ok();
}

TEST(ResultTest, ReturnIfErrorPropagates) {
  EXPECT_EQ(fails_then_propagates().code(), StatusCode::aborted);
}

}  // namespace
}  // namespace kai
