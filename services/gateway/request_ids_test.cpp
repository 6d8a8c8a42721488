#include "gateway/request_ids.hpp"

#include <gtest/gtest.h>

#include "gateway/token_store.hpp"

namespace kai::gateway {
namespace {

http::Request with_header(std::string name, std::string value) {
  http::Request r;
  r.headers.push_back({std::move(name), std::move(value)});
  return r;
}

TEST(RequestIdsTest, ValidClientRequestIdsAreKept) {
  EXPECT_EQ(request_id_for(with_header("x-request-id", "abc-123_x.y:z")), "abc-123_x.y:z");
}

TEST(RequestIdsTest, MissingOrUnsafeRequestIdsAreReplaced) {
  for (const std::string& bad :
       std::vector<std::string>{"", "has space", "quote\"", std::string(129, 'a'), "新"}) {
    const std::string id = request_id_for(with_header("x-request-id", bad));
    EXPECT_NE(id, bad);
    EXPECT_EQ(id.size(), 32u);
    EXPECT_TRUE(is_valid_request_id(id));
  }
  EXPECT_NE(request_id_for(http::Request{}), request_id_for(http::Request{}));
}

TEST(RequestIdsTest, TraceIdComesFromAValidTraceparent) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  EXPECT_EQ(trace_id_for(with_header("traceparent", "00-" + trace + "-00f067aa0ba902b7-01")),
            trace);
  const std::string zeros(32, '0');
  EXPECT_NE(trace_id_for(with_header("traceparent", "00-" + zeros + "-00f067aa0ba902b7-01")),
            zeros);
  EXPECT_EQ(trace_id_for(with_header("traceparent", "garbage")).size(), 32u);
}

TEST(RequestIdsTest, BearerTokensAreTakenFromTheAuthorizationHeader) {
  EXPECT_EQ(bearer_token(with_header("authorization", "Bearer kai_abc")), "kai_abc");
  EXPECT_EQ(bearer_token(with_header("authorization", "bearer   kai_abc  ")), "kai_abc");
  EXPECT_FALSE(bearer_token(with_header("authorization", "Basic dXNlcjpwdw==")));
  EXPECT_FALSE(bearer_token(with_header("authorization", "Bearer ")));
  EXPECT_FALSE(bearer_token(with_header("authorization", "Bearerkai_abc")));
  EXPECT_FALSE(bearer_token(http::Request{}));
}

}  // namespace
}  // namespace kai::gateway
