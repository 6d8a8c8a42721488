#include "http/client.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/address.hpp"

namespace kai::http {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxResponseHead = 64 * 1024;
constexpr std::size_t kMaxChunkLine = 4096;

int remaining_ms(Clock::time_point deadline) {
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  return static_cast<int>(std::min<std::int64_t>(
      std::chrono::ceil<std::chrono::milliseconds>(left).count(), 24 * 3600 * 1000));
}

// Waits for `events` on `fd`: ok, deadline_exceeded, or unavailable on a poll error.
Status wait_fd(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc > 0) return Status::Ok();
    if (rc == 0) return deadline_exceeded("timed out");
    if (errno != EINTR) return unavailable(std::string("poll: ") + std::strerror(errno));
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

// ---- RawSocket ----

Result<RawSocket> RawSocket::connect(std::string_view address, std::chrono::milliseconds timeout,
                                     int receive_buffer) {
  auto hp = parse_host_port(address);
  if (!hp.ok()) return hp.status();
  if (hp->port == 0) return invalid_argument("cannot connect to port 0", "address");
  auto addrs = resolve(*hp, false);
  if (!addrs.ok()) return addrs.status();
  const auto deadline = Clock::now() + timeout;
  Status last = unavailable("no address");
  for (const SocketAddress& a : *addrs) {
    const int fd = ::socket(a.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last = unavailable(std::string("socket: ") + std::strerror(errno));
      continue;
    }
    RawSocket s;
    s.fd_ = fd;
    if (receive_buffer > 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, a.get(), a.length) != 0) {
      if (errno != EINPROGRESS) {
        last = unavailable("connect " + std::string(address) + ": " + std::strerror(errno));
        continue;
      }
      Status st = wait_fd(fd, POLLOUT, deadline);
      if (!st.ok()) {
        last = st.code() == StatusCode::deadline_exceeded
                   ? deadline_exceeded("connect " + std::string(address) + ": timed out")
                   : st;
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last = unavailable("connect " + std::string(address) + ": " + std::strerror(err));
        continue;
      }
    }
    return s;
  }
  return last;
}

RawSocket::RawSocket(RawSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      buf_(std::move(other.buf_)),
      received_(other.received_),
      eof_(other.eof_) {}

RawSocket& RawSocket::operator=(RawSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    buf_ = std::move(other.buf_);
    received_ = other.received_;
    eof_ = other.eof_;
  }
  return *this;
}

RawSocket::~RawSocket() {
  close();
}

void RawSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
  eof_ = false;
}

void RawSocket::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

Status RawSocket::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  if (fd_ < 0) return unavailable("socket closed");
  const auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      KAI_RETURN_IF_ERROR(wait_fd(fd_, POLLOUT, deadline));
      continue;
    }
    return unavailable(std::string("send: ") + std::strerror(errno));
  }
  return Status::Ok();
}

Status RawSocket::fill(Deadline deadline) {
  if (fd_ < 0) return unavailable("socket closed");
  if (eof_) return unavailable("connection closed by peer");
  char tmp[16384];
  while (true) {
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<std::size_t>(n));
      received_ += static_cast<std::size_t>(n);
      return Status::Ok();
    }
    if (n == 0) {
      eof_ = true;
      return unavailable("connection closed by peer");
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      KAI_RETURN_IF_ERROR(wait_fd(fd_, POLLIN, deadline));
      continue;
    }
    eof_ = true;
    return unavailable(std::string("recv: ") + std::strerror(errno));
  }
}

Result<std::string> RawSocket::read_some(std::chrono::milliseconds timeout) {
  if (buf_.empty()) KAI_RETURN_IF_ERROR(fill(Clock::now() + timeout));
  return std::exchange(buf_, std::string());
}

Status RawSocket::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    buf_.clear();
    const Status st = fill(deadline);
    if (st.code() == StatusCode::unavailable) return Status::Ok();
    if (!st.ok()) return st;
  }
}

Result<std::string> RawSocket::read_until_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const Status st = fill(deadline);
    if (st.code() == StatusCode::unavailable) return std::exchange(buf_, std::string());
    if (!st.ok()) return st;
  }
}

Result<std::string> RawSocket::read_line(Deadline deadline, std::size_t max_len) {
  std::size_t scanned = 0;
  while (true) {
    const std::size_t nl = buf_.find('\n', scanned);
    if (nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    scanned = buf_.size();
    if (buf_.size() > max_len) return invalid_argument("response line too long");
    KAI_RETURN_IF_ERROR(fill(deadline));
  }
}

Status RawSocket::read_exact(Deadline deadline, std::size_t n, std::string& out) {
  while (buf_.size() < n)
    KAI_RETURN_IF_ERROR(fill(deadline));
  out.append(buf_, 0, n);
  buf_.erase(0, n);
  return Status::Ok();
}

Result<Response> RawSocket::read_response(std::chrono::milliseconds timeout, bool head_request,
                                          std::size_t max_body) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    // Head.
    std::size_t head_end = std::string::npos;
    std::size_t scanned = 0;
    while (true) {
      const std::size_t crlf = buf_.find("\r\n\r\n", scanned);
      const std::size_t lf = buf_.find("\n\n", scanned);
      if (crlf != std::string::npos && (lf == std::string::npos || crlf + 2 <= lf)) {
        head_end = crlf + 4;
      } else if (lf != std::string::npos) {
        head_end = lf + 2;
      }
      if (head_end != std::string::npos) break;
      if (buf_.size() > kMaxResponseHead) return invalid_argument("response head too large");
      scanned = buf_.size() >= 3 ? buf_.size() - 3 : 0;
      KAI_RETURN_IF_ERROR(fill(deadline));
    }
    const std::string head = buf_.substr(0, head_end);
    buf_.erase(0, head_end);

    Response r;
    std::string_view rest = head;
    const std::size_t line_end = rest.find('\n');
    std::string_view status_line = trim(rest.substr(0, line_end));
    rest.remove_prefix(line_end + 1);
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
      return invalid_argument("malformed status line");
    }
    const bool http10 = status_line[7] == '0';
    int status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
      const char c = status_line[i];
      if (c < '0' || c > '9') return invalid_argument("malformed status code");
      status = status * 10 + (c - '0');
    }
    if (status_line.size() > 12) {
      if (status_line[12] != ' ') return invalid_argument("malformed status line");
      r.reason.assign(status_line.substr(13));
    }
    r.status = status;
    while (!rest.empty()) {
      const std::size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) break;
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        return invalid_argument("malformed response header");
      }
      Header h;
      h.name.assign(line.substr(0, colon));
      for (char& c : h.name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      h.value.assign(trim(line.substr(colon + 1)));
      r.headers.push_back(std::move(h));
    }
    if (status >= 100 && status < 200) continue;  // interim response: the real one follows

    const auto connection = r.header("connection");
    r.close = http10 ? !(connection && has_token(*connection, "keep-alive"))
                     : (connection && has_token(*connection, "close"));

    // Body.
    if (head_request || status == 204 || status == 304) return r;
    const auto te = r.header("transfer-encoding");
    const auto cl = r.header("content-length");
    if (te && has_token(*te, "chunked")) {
      while (true) {
        auto line = read_line(deadline, kMaxChunkLine);
        if (!line.ok()) return line.status();
        std::size_t size = 0;
        std::size_t i = 0;
        for (; i < line->size(); ++i) {
          const char c = (*line)[i];
          int d;
          if (c >= '0' && c <= '9') {
            d = c - '0';
          } else if (c >= 'a' && c <= 'f') {
            d = c - 'a' + 10;
          } else if (c >= 'A' && c <= 'F') {
            d = c - 'A' + 10;
          } else {
            break;
          }
          if (i >= 15) return resource_exhausted("chunk too large");
          size = size * 16 + static_cast<std::size_t>(d);
        }
        if (i == 0) return invalid_argument("malformed chunk size");
        if (size == 0) break;
        if (size > max_body - r.body.size()) return resource_exhausted("response body too large");
        KAI_RETURN_IF_ERROR(read_exact(deadline, size, r.body));
        auto crlf = read_line(deadline, 2);
        if (!crlf.ok()) return crlf.status();
        if (!crlf->empty()) return invalid_argument("chunk not followed by CRLF");
      }
      while (true) {  // trailers
        auto line = read_line(deadline, kMaxResponseHead);
        if (!line.ok()) return line.status();
        if (line->empty()) break;
      }
    } else if (cl) {
      std::size_t n = 0;
      if (cl->empty() || cl->size() > 18) return invalid_argument("malformed Content-Length");
      for (const char c : *cl) {
        if (c < '0' || c > '9') return invalid_argument("malformed Content-Length");
        n = n * 10 + static_cast<std::size_t>(c - '0');
      }
      if (n > max_body) return resource_exhausted("response body too large");
      r.body.reserve(n);
      KAI_RETURN_IF_ERROR(read_exact(deadline, n, r.body));
    } else {
      // Delimited by the end of the connection.
      while (true) {
        if (buf_.size() > max_body) return resource_exhausted("response body too large");
        const Status st = fill(deadline);
        if (st.code() == StatusCode::unavailable) break;
        if (!st.ok()) return st;
      }
      r.body = std::exchange(buf_, std::string());
      r.close = true;
    }
    return r;
  }
}

// ---- Client ----

Client::Client(std::string address, ClientOptions options)
    : address_(std::move(address)), options_(options) {}

Result<Response> Client::request(std::string_view method, std::string_view target,
                                 const Headers& headers, std::string_view body,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string wire;
  wire.reserve(128 + body.size());
  wire.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!find_header(headers, "host")) {
    wire.append("Host: ").append(address_).append("\r\n");
  }
  for (const Header& h : headers) {
    if (iequals(h.name, "content-length")) continue;
    wire.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    wire.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  wire.append("\r\n");
  wire.append(body);

  const bool repeatable = method == "GET" || method == "HEAD" || method == "PUT" ||
                          method == "DELETE" || method == "OPTIONS" ||
                          find_header(headers, "idempotency-key").has_value();
  for (int attempt = 0;; ++attempt) {
    const bool reused = conn_.is_open();
    if (!reused) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left <= std::chrono::milliseconds::zero()) return deadline_exceeded("request timed out");
      auto s = RawSocket::connect(address_, std::min(left, options_.connect_timeout));
      if (!s.ok()) return s.status();
      conn_ = std::move(s).value();
    }
    const std::size_t received_before = conn_.bytes_received();
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    Status st = conn_.send(wire, std::max(left, std::chrono::milliseconds(1)));
    if (st.ok()) {
      auto r = conn_.read_response(
          std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                   std::chrono::milliseconds(1)),
          method == "HEAD", options_.max_response_bytes);
      if (r.ok()) {
        if (r->close) conn_.close();
        return r;
      }
      st = r.status();
    }
    const bool nothing_back = conn_.bytes_received() == received_before;
    conn_.close();
    if (reused && attempt == 0 && repeatable && nothing_back &&
        st.code() == StatusCode::unavailable) {
      continue;
    }
    return st;
  }
}

}  // namespace kai::http
