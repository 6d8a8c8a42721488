// Hostile and broken input against the real kai-gateway: malformed JSON, invalid UTF-8, deep
// nesting, huge bodies, header floods, garbage and slowloris. Each is answered with a clear error
// or a closed connection, and the gateway keeps serving everyone else.
#include <gtest/gtest.h>

#include "e2e/gateway_cluster.hpp"

namespace kai::testing {
namespace {

const std::string kOrgs = "/api/v1/membership/organizations";

class GatewayBadInputTest : public ::testing::Test {
 protected:
  // Short head timeout so slow clients are cut off quickly.
  GatewayCluster cluster_{{.gateway_args = {"--http-header-timeout=1s", "--http-body-timeout=2s"}}};
  Api admin_{cluster_.http_address(), cluster_.tokens().admin};

  void expect_still_serving() {
    Api fresh(cluster_.http_address(), cluster_.tokens().admin);
    EXPECT_EQ(fresh.get(kOrgs + "?limit=1").status, 200);
  }

  // Sends raw bytes on a new connection and returns the first response (or its error).
  Result<http::Response> raw(const std::string& bytes) {
    auto s = http::RawSocket::connect(cluster_.http_address());
    if (!s.ok()) return s.status();
    (void)s->send(bytes);  // the server may close before taking everything
    return s->read_response(std::chrono::seconds(10));
  }

  std::string auth() const { return "Authorization: Bearer " + cluster_.tokens().admin + "\r\n"; }
};

TEST_F(GatewayBadInputTest, MalformedJsonIs400) {
  for (const std::string& body :
       std::vector<std::string>{"{", "{\"name\":\"a\",}", "{'name':'a'}", "\x01\x02",
                                "{\"name\":\"a\",\"kind\":\"enterprise\"", "1e999999"}) {
    SCOPED_TRACE(body);
    auto r = admin_.call("POST", kOrgs, body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json["error"]["code"], "invalid_argument");
  }
  expect_still_serving();
}

TEST_F(GatewayBadInputTest, InvalidUtf8Is400) {
  const std::string body = "{\"name\":\"bad \xff\xfe bytes\",\"kind\":\"enterprise\"}";
  auto r = admin_.call("POST", kOrgs, body);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json["error"]["code"], "invalid_argument");
  EXPECT_NE(r.json["error"]["message"].get<std::string>().find("UTF-8"), std::string::npos)
      << r.body;
  // Invalid UTF-8 in a query parameter too.
  auto q = admin_.get(kOrgs + "?q=%FF%FE");
  EXPECT_EQ(q.status, 400) << q.body;
  expect_still_serving();
}

TEST_F(GatewayBadInputTest, DeepNestingIs400) {
  const std::string deep =
      "{\"name\":\"a\",\"kind\":\"enterprise\",\"contact\":" + std::string(100000, '[') +
      std::string(100000, ']') + "}";
  auto r = admin_.call("POST", kOrgs, deep);
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 200);
  std::string objects;
  for (int i = 0; i < 50000; ++i)
    objects += "{\"a\":";
  auto o = admin_.call("POST", kOrgs, objects);
  EXPECT_EQ(o.status, 400);
  expect_still_serving();
}

TEST_F(GatewayBadInputTest, HugeBodiesAre413AndTheConnectionIsClosed) {
  auto s = http::RawSocket::connect(cluster_.http_address());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(
      s->send("POST " + kOrgs + " HTTP/1.1\r\nHost: t\r\n" + auth() +
              "Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{\"name\":")
          .ok());
  auto r = s->read_response(std::chrono::seconds(10));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(s->wait_closed(std::chrono::seconds(10)).ok());

  // A chunked body that grows past the limit is cut off the same way.
  auto c = http::RawSocket::connect(cluster_.http_address());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->send("POST " + kOrgs + " HTTP/1.1\r\nHost: t\r\n" + auth() +
                      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                  .ok());
  const std::string chunk = "10000\r\n" + std::string(0x10000, ' ') + "\r\n";
  for (int i = 0; i < 40; ++i) {
    if (!c->send(chunk, std::chrono::seconds(5)).ok()) break;  // refused and closed: fine
  }
  auto cr = c->read_response(std::chrono::seconds(10));
  if (cr.ok()) {
    EXPECT_EQ(cr->status, 413);
  }
  EXPECT_TRUE(c->wait_closed(std::chrono::seconds(10)).ok());
  expect_still_serving();
}

TEST_F(GatewayBadInputTest, HeaderFloodsAre431) {
  std::string flood = "GET " + kOrgs + " HTTP/1.1\r\nHost: t\r\n" + auth();
  for (int i = 0; i < 500; ++i)
    flood += "X-Flood-" + std::to_string(i) + ": v\r\n";
  auto many = raw(flood + "\r\n");
  ASSERT_TRUE(many.ok()) << many.status().to_string();
  EXPECT_EQ(many->status, 431);

  auto big = raw("GET " + kOrgs + " HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(100000, 'b') +
                 "\r\n\r\n");
  ASSERT_TRUE(big.ok()) << big.status().to_string();
  EXPECT_EQ(big->status, 431);

  auto long_line = raw("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(long_line.ok());
  EXPECT_EQ(long_line->status, 414);
  expect_still_serving();
}

TEST_F(GatewayBadInputTest, GarbageIsAnsweredAndClosed) {
  for (const std::string& junk :
       std::vector<std::string>{std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
                                std::string("HELLO\r\n\r\n"), std::string("GET\r\n\r\n"),
                                std::string("GET / HTTP/9.9\r\n\r\n")}) {
    auto s = http::RawSocket::connect(cluster_.http_address());
    ASSERT_TRUE(s.ok());
    (void)s->send(junk);
    auto r = s->read_response(std::chrono::seconds(10));
    if (r.ok()) {
      EXPECT_GE(r->status, 400);
    }
    EXPECT_TRUE(s->wait_closed(std::chrono::seconds(10)).ok());
  }
  expect_still_serving();
}

TEST_F(GatewayBadInputTest, SlowClientsAreCutOffWhileOthersAreServed) {
  // Slowloris: many connections that start a request and never finish it.
  std::vector<http::RawSocket> slow;
  for (int i = 0; i < 64; ++i) {
    auto s = http::RawSocket::connect(cluster_.http_address());
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(s->send("GET " + kOrgs + " HTTP/1.1\r\nHost: t\r\nX-Slow: ").ok());
    slow.push_back(std::move(s).value());
  }
  // A body that never completes.
  auto half = http::RawSocket::connect(cluster_.http_address());
  ASSERT_TRUE(half.ok());
  ASSERT_TRUE(half->send("POST " + kOrgs + " HTTP/1.1\r\nHost: t\r\n" + auth() +
                         "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na")
                  .ok());

  expect_still_serving();

  for (auto& s : slow)
    EXPECT_TRUE(s.wait_closed(std::chrono::seconds(15)).ok());
  EXPECT_TRUE(half->wait_closed(std::chrono::seconds(15)).ok());
  expect_still_serving();
}

}  // namespace
}  // namespace kai::testing
