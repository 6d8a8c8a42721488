#include "http/message.hpp"

#include <gtest/gtest.h>

namespace kai::http {
namespace {

TEST(PercentDecodeTest, DecodesEscapes) {
  auto r = percent_decode("/a%20b%2Fc%e5%87%af");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "/a b/c凯");
}

TEST(PercentDecodeTest, PlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(*percent_decode("a+b"), "a+b");
  EXPECT_EQ(*percent_decode("a+b", true), "a b");
}

TEST(PercentDecodeTest, RejectsInvalidEscapes) {
  for (const char* bad : {"%", "%4", "a%", "%G1", "%1G", "%%", "abc%2"}) {
    auto r = percent_decode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::invalid_argument) << bad;
  }
}

TEST(PercentDecodeTest, RejectsNulUnlessAllowed) {
  EXPECT_FALSE(percent_decode("/a%00b").ok());
  EXPECT_FALSE(percent_decode(std::string_view("/a\0b", 4)).ok());
  auto r = percent_decode("a%00b", false, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::string("a\0b", 3));
}

TEST(PercentEncodeTest, RoundTrips) {
  const std::string raw = "凯 联盟/?&=+%~._-Az09";
  const std::string enc = percent_encode(raw);
  EXPECT_EQ(enc.find_first_of(" /?&=+凯"), std::string::npos);
  EXPECT_EQ(*percent_decode(enc), raw);
  EXPECT_EQ(percent_encode("a b"), "a%20b");
}

TEST(ParseQueryTest, PairsInOrderWithDuplicates) {
  auto r = parse_query("a=1&b=x+y&c&=z&&a=%41");
  ASSERT_TRUE(r.ok());
  const std::vector<std::pair<std::string, std::string>> want = {
      {"a", "1"}, {"b", "x y"}, {"c", ""}, {"", "z"}, {"a", "A"}};
  EXPECT_EQ(*r, want);
  EXPECT_EQ(query_value(*r, "a"), "1");
  EXPECT_EQ(query_value(*r, "c"), "");
  EXPECT_FALSE(query_value(*r, "missing").has_value());
}

TEST(ParseQueryTest, EmptyAndBad) {
  EXPECT_TRUE(parse_query("")->empty());
  EXPECT_FALSE(parse_query("a=%zz").ok());
  EXPECT_FALSE(parse_query("a%0=1").ok());
  EXPECT_FALSE(parse_query("a=%00").ok());
}

TEST(SplitPathTest, DropsEmptySegments) {
  const std::vector<std::string_view> want = {"api", "v1", "orgs"};
  EXPECT_EQ(split_path("/api//v1/orgs/"), want);
  EXPECT_TRUE(split_path("/").empty());
  EXPECT_TRUE(split_path("").empty());
  EXPECT_EQ(split_path("x"), std::vector<std::string_view>{"x"});
}

TEST(HeadersTest, CaseInsensitiveLookupReturnsFirst) {
  Request req;
  req.headers = {{"x-a", "1"}, {"content-type", "text/plain"}, {"x-a", "2"}};
  EXPECT_EQ(req.header("X-A"), "1");
  EXPECT_EQ(req.header("Content-Type"), "text/plain");
  EXPECT_FALSE(req.header("x-b").has_value());
  Response resp = Response::json(201, "{}");
  EXPECT_EQ(resp.header("content-type"), "application/json");
  EXPECT_EQ(resp.status, 201);
}

TEST(HeadersTest, TokenLists) {
  EXPECT_TRUE(has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(has_token(" Close ", "close"));
  EXPECT_FALSE(has_token("closed", "close"));
  EXPECT_FALSE(has_token("", "close"));
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_FALSE(iequals("a", "ab"));
}

TEST(ErrorResponseTest, UsesStatusMapping) {
  Response r = error_response(not_found("organization 42 does not exist"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.body, R"({"error":{"code":"not_found","message":"organization 42 does not exist"}})");

  Response f = error_response(invalid_argument("too \"long\"", "name"));
  EXPECT_EQ(f.status, 400);
  EXPECT_EQ(f.body,
            R"({"error":{"code":"invalid_argument","message":"too \"long\"","field":"name"}})");

  Response e = error_response(413, resource_exhausted("body too large"));
  EXPECT_EQ(e.status, 413);
  EXPECT_EQ(e.body, R"({"error":{"code":"resource_exhausted","message":"body too large"}})");
}

TEST(ReasonPhraseTest, KnownAndUnknown) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(599), "Unknown");
}

TEST(RequestTest, ClearResetsEverything) {
  Request req;
  req.method = "POST";
  req.path = "/x";
  req.headers.push_back({"a", "b"});
  req.body = "data";
  req.version_minor = 0;
  req.keep_alive = false;
  req.clear();
  EXPECT_TRUE(req.method.empty());
  EXPECT_TRUE(req.path.empty());
  EXPECT_TRUE(req.headers.empty());
  EXPECT_TRUE(req.body.empty());
  EXPECT_EQ(req.version_minor, 1);
  EXPECT_TRUE(req.keep_alive);
}

}  // namespace
}  // namespace kai::http
