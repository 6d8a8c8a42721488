#include "cache/redis_url.hpp"

#include <gtest/gtest.h>

namespace kai::cache {
namespace {

TEST(RedisUrl, HostPortDb) {
  auto ep = parse_redis_url("redis://10.0.0.7:6380/3");
  ASSERT_TRUE(ep.ok()) << ep.status().to_string();
  EXPECT_EQ(ep->host, "10.0.0.7");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->db, 3);
  EXPECT_TRUE(ep->username.empty());
  EXPECT_TRUE(ep->password.empty());
  EXPECT_EQ(ep->redacted(), "redis://10.0.0.7:6380/3");
}

TEST(RedisUrl, Defaults) {
  for (const char* url : {"redis://cache", "redis://cache/", "REDIS://cache"}) {
    auto ep = parse_redis_url(url);
    ASSERT_TRUE(ep.ok()) << url << ": " << ep.status().to_string();
    EXPECT_EQ(ep->host, "cache");
    EXPECT_EQ(ep->port, 6379);
    EXPECT_EQ(ep->db, 0);
  }
}

TEST(RedisUrl, PasswordOnlyAndUserWithPassword) {
  auto a = parse_redis_url("redis://:s3cret@redis.internal:6379/1");
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->username, "");
  EXPECT_EQ(a->password, "s3cret");
  EXPECT_EQ(a->host, "redis.internal");
  EXPECT_EQ(a->db, 1);
  EXPECT_EQ(a->redacted(), "redis://:***@redis.internal:6379/1");

  auto b = parse_redis_url("redis://kai:pw@localhost");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->username, "kai");
  EXPECT_EQ(b->password, "pw");
  EXPECT_EQ(b->redacted(), "redis://kai:***@localhost:6379/0");
}

TEST(RedisUrl, PercentEncodedPasswordMayHoldDelimiters) {
  auto ep = parse_redis_url("redis://:p%40ss%3Aw%2Fd@h:1/0");
  ASSERT_TRUE(ep.ok()) << ep.status().to_string();
  EXPECT_EQ(ep->password, "p@ss:w/d");
  // An unencoded '@' in the password: the last '@' ends the credentials.
  auto raw = parse_redis_url("redis://:a@b@h:1/0");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->password, "a@b");
  EXPECT_EQ(raw->host, "h");
}

TEST(RedisUrl, Ipv6) {
  auto ep = parse_redis_url("redis://[::1]:7000/2");
  ASSERT_TRUE(ep.ok()) << ep.status().to_string();
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 7000);
  EXPECT_EQ(ep->db, 2);
  EXPECT_EQ(ep->redacted(), "redis://[::1]:7000/2");
  auto no_port = parse_redis_url("redis://[fe80::1]");
  ASSERT_TRUE(no_port.ok());
  EXPECT_EQ(no_port->port, 6379);
}

TEST(RedisUrl, MalformedIsInvalidArgumentNamingTheSetting) {
  const char* bad[] = {
      "",
      "127.0.0.1:6379",
      "http://127.0.0.1:6379/0",
      "rediss://127.0.0.1:6379/0",
      "unix:///tmp/redis.sock",
      "redis://",
      "redis://:6379/0",
      "redis://host:/0",
      "redis://host:0/0",
      "redis://host:65536/0",
      "redis://host:12ab/0",
      "redis://host:-1/0",
      "redis://host:6379/x",
      "redis://host:6379/-1",
      "redis://host:6379/1/2",
      "redis://host:6379/99999999999",
      "redis://host:6379/0?timeout=5",
      "redis://host:6379/0#frag",
      "redis://ho st:6379/0",
      "redis://host\n:6379/0",
      "redis://h\xc3\xa9:6379/0",
      "redis://pw@host:6379/0",
      "redis://user:@host:6379/0",
      "redis://:p%4@host/0",
      "redis://:p%zz@host/0",
      "redis://[::1/0",
      "redis://[::1]x/0",
      "redis://[not-v6]:1/0",
  };
  for (const char* url : bad) {
    auto ep = parse_redis_url(url, "redis-url");
    ASSERT_FALSE(ep.ok()) << "accepted: " << url;
    EXPECT_EQ(ep.status().code(), StatusCode::invalid_argument) << url;
    EXPECT_EQ(ep.status().field(), "redis-url") << url;
    EXPECT_NE(ep.status().message().find("KAI_REDIS_URL"), std::string::npos) << url;
  }
}

TEST(RedisUrl, ErrorsNeverEchoThePassword) {
  auto ep = parse_redis_url("redis://:topsecret@host:99999/0");
  ASSERT_FALSE(ep.ok());
  EXPECT_EQ(ep.status().message().find("topsecret"), std::string::npos);
}

}  // namespace
}  // namespace kai::cache
