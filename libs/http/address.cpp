#include "http/address.hpp"

#include <cstring>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

namespace kai::http {

Result<HostPort> parse_host_port(std::string_view address) {
  HostPort hp;
  std::string_view port_text;
  if (!address.empty() && address.front() == '[') {
    const std::size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return invalid_argument("address must be [ipv6]:port", "address");
    }
    hp.host.assign(address.substr(1, close - 1));
    if (hp.host.empty()) return invalid_argument("empty IPv6 address", "address");
    port_text = address.substr(close + 2);
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return invalid_argument("address must be host:port", "address");
    }
    hp.host.assign(address.substr(0, colon));
    port_text = address.substr(colon + 1);
    if (hp.host.find_first_of("[]") != std::string::npos) {
      return invalid_argument("misplaced bracket in address", "address");
    }
  }
  if (port_text.empty() || port_text.size() > 5) {
    return invalid_argument("invalid port in address", "address");
  }
  int port = 0;
  for (const char c : port_text) {
    if (c < '0' || c > '9') return invalid_argument("invalid port in address", "address");
    port = port * 10 + (c - '0');
  }
  if (port > 65535) return invalid_argument("port out of range", "address");
  hp.port = port;
  for (const char c : hp.host) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == '@') {
      return invalid_argument("invalid host in address", "address");
    }
  }
  return hp;
}

std::string format_host_port(std::string_view host, int port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out.push_back('[');
    out.append(host);
    out.push_back(']');
  } else {
    out.append(host);
  }
  out.push_back(':');
  out.append(std::to_string(port));
  return out;
}

Result<std::vector<SocketAddress>> resolve(const HostPort& hp, bool passive) {
  std::vector<SocketAddress> out;
  const std::string host = hp.host.empty() ? (passive ? "0.0.0.0" : "127.0.0.1") : hp.host;

  // Numeric addresses first: no resolver, no surprises.
  SocketAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(hp.port));
    a.length = sizeof(sockaddr_in);
    out.push_back(a);
    return out;
  }
  a = SocketAddress{};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(hp.port));
    a.length = sizeof(sockaddr_in6);
    out.push_back(a);
    return out;
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* res = nullptr;
  const std::string port = std::to_string(hp.port);
  const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    return invalid_argument("cannot resolve host '" + host + "': " + ::gai_strerror(rc), "address");
  }
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    SocketAddress r;
    std::memcpy(&r.storage, ai->ai_addr, ai->ai_addrlen);
    r.length = ai->ai_addrlen;
    out.push_back(r);
  }
  ::freeaddrinfo(res);
  if (out.empty()) return invalid_argument("no address for host '" + host + "'", "address");
  return out;
}

std::string format_socket_address(const sockaddr* addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (addr->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(addr);
    ::inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    return format_host_port(buf, ntohs(v4->sin_port));
  }
  if (addr->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(addr);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      in_addr v4{};
      std::memcpy(&v4, &v6->sin6_addr.s6_addr[12], 4);
      ::inet_ntop(AF_INET, &v4, buf, sizeof buf);
    } else {
      ::inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    }
    return format_host_port(buf, ntohs(v6->sin6_port));
  }
  return "unknown";
}

}  // namespace kai::http
