// Where the cache's Redis lives, parsed from a URL such as KAI_REDIS_URL:
//
//   redis://host[:port][/db]
//   redis://:password@host[:port][/db]        (AUTH password)
//   redis://user:password@host[:port][/db]    (AUTH user password, Redis 6 ACL)
//
// `host` is a name, an IPv4 address or a bracketed IPv6 address ("[::1]"). Credentials may be
// percent-encoded ("%40" for '@'). Port defaults to 6379, db to 0. TLS (rediss://), Unix sockets
// and query options are not supported and are rejected rather than silently ignored.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace kai::cache {

struct RedisEndpoint {
  std::string host;  // IPv6 addresses without brackets
  int port = 6379;
  int db = 0;
  std::string username;  // empty: AUTH with the password alone
  std::string password;  // empty: no AUTH

  // "redis://user:***@host:port/db": safe for logs, metrics and error messages (never the
  // password itself).
  std::string redacted() const;
};

// Parses `url`. A malformed URL is invalid_argument whose field is `setting` (the configuration
// setting the URL came from) and whose message explains the problem without repeating the URL,
// which may carry a password.
Result<RedisEndpoint> parse_redis_url(std::string_view url, std::string_view setting = "redis-url");

}  // namespace kai::cache
