#include "cache/redis_url.hpp"

#include <cstdint>
#include <optional>

#include "common/config.hpp"

namespace kai::cache {
namespace {

constexpr std::string_view kScheme = "redis://";

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// Decimal digits only, no sign, within [0, max].
std::optional<std::int64_t> parse_bounded(std::string_view s, std::int64_t max) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (const char c : h) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool valid_ipv6(std::string_view h) {
  if (h.empty() || h.find(':') == std::string_view::npos) return false;
  for (const char c : h) {
    if (hex_value(c) < 0 && c != ':' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::string RedisEndpoint::redacted() const {
  std::string out(kScheme);
  if (!username.empty() || !password.empty()) {
    out += username;
    out += password.empty() ? "@" : ":***@";
  }
  if (host.find(':') != std::string::npos) {
    out += "[" + host + "]";
  } else {
    out += host;
  }
  out += ":" + std::to_string(port) + "/" + std::to_string(db);
  return out;
}

Result<RedisEndpoint> parse_redis_url(std::string_view url, std::string_view setting) {
  const std::string field(setting);
  const std::string name = env_name_for(setting) + " / --" + field;
  const auto bad = [&](std::string_view why) {
    return invalid_argument(
        name + ": " + std::string(why) + " (expected redis://[[user]:password@]host[:port][/db])",
        field);
  };

  if (iequals_prefix(url, "rediss://")) return bad("TLS (rediss://) is not supported");
  if (!iequals_prefix(url, kScheme)) return bad("the URL must start with redis://");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad("query and fragment parts are not supported");
  }
  for (const char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return bad("the URL contains spaces or control characters");
    }
  }

  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);

  RedisEndpoint ep;
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const std::size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      return bad("credentials must be written ':password@' or 'user:password@'");
    }
    auto user = percent_decode(userinfo.substr(0, colon));
    auto pass = percent_decode(userinfo.substr(colon + 1));
    if (!user || !pass) return bad("bad percent-encoding in the credentials");
    if (pass->empty()) return bad("the password after ':' is empty");
    ep.username = std::move(*user);
    ep.password = std::move(*pass);
  }

  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated '[' in the host");
    const std::string_view v6 = authority.substr(1, close - 1);
    if (!valid_ipv6(v6)) return bad("bad IPv6 address in the host");
    ep.host = std::string(v6);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected characters after the IPv6 address");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const std::size_t colon = authority.find(':');
    const std::string_view host = authority.substr(0, colon);
    if (host.empty()) return bad("the host is missing");
    if (!valid_hostname(host)) return bad("the host contains characters a host name cannot have");
    ep.host = std::string(host);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (has_port) {
    const auto port = parse_bounded(port_text, 65535);
    if (!port || *port == 0) return bad("the port must be a number from 1 to 65535");
    ep.port = static_cast<int>(*port);
  }

  if (!path.empty()) {
    const auto db = parse_bounded(path, INT32_MAX);
    if (!db) return bad("the database after '/' must be a non-negative number");
    ep.db = static_cast<int>(*db);
  }
  return ep;
}

}  // namespace kai::cache
