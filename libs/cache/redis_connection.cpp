#include "cache/redis_connection.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kai::cache {
namespace {

std::string errno_text(int err) {
  return std::strerror(err);
}

// Waits for `events` on `fd` until `deadline`. ok: ready; deadline_exceeded: time is up.
Status wait_fd(int fd, short events, RedisConnection::Deadline deadline) {
  while (true) {
    const auto left = deadline - SteadyClock::now();
    if (left <= SteadyClock::duration::zero()) {
      return deadline_exceeded("no answer from redis before the deadline");
    }
    // Round up so that a sub-millisecond remainder still waits instead of spinning.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(ms, 60'000)));
    if (r > 0) return Status::Ok();
    if (r < 0 && errno != EINTR) return unavailable("poll failed: " + errno_text(errno));
  }
}

struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const { ::freeaddrinfo(ai); }
};

Result<int> connect_one(const addrinfo* ai, RedisConnection::Deadline deadline) {
  const int fd =
      ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return unavailable("socket failed: " + errno_text(errno));
  int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
  if (rc != 0 && errno != EINPROGRESS && errno != EINTR) {
    const int err = errno;
    ::close(fd);
    return unavailable("connect failed: " + errno_text(err));
  }
  if (rc != 0) {
    Status waited = wait_fd(fd, POLLOUT, deadline);
    if (!waited.ok()) {
      ::close(fd);
      if (waited.code() == StatusCode::deadline_exceeded) {
        return deadline_exceeded("connect timed out");
      }
      return waited;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      ::close(fd);
      return unavailable("connect failed: " + errno_text(err));
    }
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

RedisConnection::RedisConnection(int fd, std::size_t max_reply_bytes)
    : fd_(fd), reader_(max_reply_bytes) {}

RedisConnection::~RedisConnection() {
  ::close(fd_);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisEndpoint& endpoint,
                                                               Deadline deadline,
                                                               std::size_t max_reply_bytes) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const std::string port = std::to_string(endpoint.port);
  const int gai = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &raw);
  if (gai != 0) {
    return unavailable("cannot resolve redis host " + endpoint.host + ": " + ::gai_strerror(gai));
  }
  std::unique_ptr<addrinfo, AddrInfoDeleter> addrs(raw);

  Status last = unavailable("no address for redis host " + endpoint.host);
  int fd = -1;
  for (const addrinfo* ai = addrs.get(); ai != nullptr && fd < 0; ai = ai->ai_next) {
    auto r = connect_one(ai, deadline);
    if (r.ok()) {
      fd = *r;
    } else {
      last = r.status();
    }
  }
  if (fd < 0) return last;
  std::unique_ptr<RedisConnection> conn(new RedisConnection(fd, max_reply_bytes));

  if (!endpoint.password.empty()) {
    std::vector<std::string_view> args{"AUTH"};
    if (!endpoint.username.empty()) args.emplace_back(endpoint.username);
    args.emplace_back(endpoint.password);
    auto r = conn->call(args, deadline);
    if (!r.ok()) return Status(r.status().code(), "AUTH: " + r.status().message());
    if (r->type == Reply::Type::error) return unavailable("redis refused AUTH: " + r->str);
    if (r->type != Reply::Type::status) return unavailable("unexpected reply to AUTH");
  }
  if (endpoint.db != 0) {
    const std::string db = std::to_string(endpoint.db);
    const std::string_view args[] = {"SELECT", db};
    auto r = conn->call(args, deadline);
    if (!r.ok()) return Status(r.status().code(), "SELECT: " + r.status().message());
    if (r->type == Reply::Type::error)
      return unavailable("redis refused SELECT " + db + ": " + r->str);
    if (r->type != Reply::Type::status) return unavailable("unexpected reply to SELECT");
  }
  return conn;
}

Result<Reply> RedisConnection::fail(Status status) {
  broken_ = true;
  return status;
}

bool RedisConnection::stale_while_idle() {
  if (broken_) return true;
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, 0);
  // Readable while idle means EOF, an error or unsolicited bytes: all end the connection.
  if (r != 0) broken_ = true;
  return broken_;
}

Result<Reply> RedisConnection::call(std::span<const std::string_view> args, Deadline deadline) {
  if (broken_) return unavailable("redis connection is broken");
  const std::string request = format_command(args);
  std::string_view out = request;
  while (!out.empty()) {
    const ssize_t n = ::send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Status waited = wait_fd(fd_, POLLOUT, deadline);
      if (!waited.ok()) return fail(waited);
      continue;
    }
    return fail(unavailable("write to redis failed: " + errno_text(errno)));
  }

  char buf[16 * 1024];
  while (true) {
    auto next = reader_.next();
    if (!next.ok()) return fail(next.status());
    if (next->has_value()) {
      // Bytes beyond the reply were not asked for: the stream cannot be trusted any more.
      if (reader_.buffered() != 0) {
        return fail(unavailable("redis sent bytes beyond the reply"));
      }
      return std::move(**next);
    }
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      Status fed = reader_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
      if (!fed.ok()) return fail(fed);
      continue;
    }
    if (n == 0) return fail(unavailable("redis closed the connection"));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      Status waited = wait_fd(fd_, POLLIN, deadline);
      if (!waited.ok()) return fail(waited);
      continue;
    }
    return fail(unavailable("read from redis failed: " + errno_text(errno)));
  }
}

}  // namespace kai::cache
