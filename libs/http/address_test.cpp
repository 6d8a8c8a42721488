#include "http/address.hpp"

#include <cstring>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

namespace kai::http {
namespace {

TEST(ParseHostPortTest, AcceptedForms) {
  struct Case {
    const char* in;
    const char* host;
    int port;
  };
  for (const Case& c : {Case{"127.0.0.1:8080", "127.0.0.1", 8080}, Case{"0.0.0.0:0", "0.0.0.0", 0},
                        Case{"[::1]:9100", "::1", 9100}, Case{"[::]:0", "::", 0},
                        Case{"localhost:80", "localhost", 80}, Case{":8080", "", 8080},
                        Case{"::1:8080", "::1", 8080}, Case{"host:65535", "host", 65535}}) {
    auto r = parse_host_port(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().to_string();
    EXPECT_EQ(r->host, c.host) << c.in;
    EXPECT_EQ(r->port, c.port) << c.in;
  }
}

TEST(ParseHostPortTest, RejectedForms) {
  for (const char* bad :
       {"", "8080", "host", "host:", "host:65536", "host:-1", "host:80a", "[::1]", "[::1]8080",
        "[]:80", "[::1:80", "a]:80", "host:123456", "a b:80", "user@host:80"}) {
    auto r = parse_host_port(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::invalid_argument) << bad;
    }
  }
}

TEST(FormatHostPortTest, BracketsIpv6) {
  EXPECT_EQ(format_host_port("127.0.0.1", 80), "127.0.0.1:80");
  EXPECT_EQ(format_host_port("::1", 80), "[::1]:80");
}

TEST(ResolveTest, NumericAddresses) {
  auto v4 = resolve({"127.0.0.1", 1234}, false);
  ASSERT_TRUE(v4.ok());
  ASSERT_EQ(v4->size(), 1u);
  EXPECT_EQ((*v4)[0].family(), AF_INET);
  EXPECT_EQ(format_socket_address((*v4)[0].get()), "127.0.0.1:1234");

  auto v6 = resolve({"::1", 99}, false);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ((*v6)[0].family(), AF_INET6);
  EXPECT_EQ(format_socket_address((*v6)[0].get()), "[::1]:99");

  auto any = resolve({"", 5}, true);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(format_socket_address((*any)[0].get()), "0.0.0.0:5");
  auto loop = resolve({"", 5}, false);
  ASSERT_TRUE(loop.ok());
  EXPECT_EQ(format_socket_address((*loop)[0].get()), "127.0.0.1:5");
}

TEST(ResolveTest, UnresolvableNameIsInvalidArgument) {
  auto r = resolve({"no-such-host.invalid", 80}, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::invalid_argument);
}

TEST(FormatSocketAddressTest, MappedIpv4ShownAsIpv4) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(4321);
  ASSERT_EQ(::inet_pton(AF_INET6, "::ffff:10.1.2.3", &a.sin6_addr), 1);
  EXPECT_EQ(format_socket_address(reinterpret_cast<sockaddr*>(&a)), "10.1.2.3:4321");
}

}  // namespace
}  // namespace kai::http
