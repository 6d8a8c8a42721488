// "host:port" addresses as written in settings (KAI_OPS_ADDR, KAI_HTTP_ADDR) and their resolution
// to socket addresses, shared by the server (bind) and the client (connect).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include "common/result.hpp"

namespace kai::http {

struct HostPort {
  std::string host;  // without brackets; empty means "any" (server) or loopback (client)
  int port = 0;
};

// Accepts "127.0.0.1:8080", "0.0.0.0:0", "[::1]:9100", "[::]:0", "localhost:80", ":8080" and, for
// convenience, an unbracketed IPv6 address whose last ':' separates the port ("::1:8080").
// invalid_argument for anything else (missing port, port outside 0..65535, stray brackets).
Result<HostPort> parse_host_port(std::string_view address);

// "127.0.0.1:8080" or "[::1]:8080".
std::string format_host_port(std::string_view host, int port);

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// Resolves `hp` (numeric addresses without DNS; names through getaddrinfo, which may block).
// `passive`: for bind(), an empty host is the IPv4 wildcard. Otherwise an empty host is 127.0.0.1.
Result<std::vector<SocketAddress>> resolve(const HostPort& hp, bool passive);

// "1.2.3.4:5" / "[::1]:5" for a connected or bound socket address; IPv4-mapped IPv6 addresses are
// shown as IPv4.
std::string format_socket_address(const sockaddr* addr);

}  // namespace kai::http
