// A small blocking HTTP/1.1 client for tests, benchmarks and command-line tools, and the raw
// socket it is built on, which tests use to send bytes no well-behaved client would.
//
// Not for hot paths inside services: every call blocks the calling thread (with a deadline).
// Neither class is thread-safe; use one per thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/status.hpp"
#include "http/message.hpp"

namespace kai::http {

// Errors: unavailable (cannot connect, connection closed or reset), deadline_exceeded (timeout),
// invalid_argument (bad address, malformed response), resource_exhausted (response too large).
class RawSocket {
 public:
  // Connects to "host:port". `receive_buffer` > 0 shrinks SO_RCVBUF before connecting (to make a
  // server's writes block quickly in tests of clients that do not read).
  static Result<RawSocket> connect(std::string_view address,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5),
                                   int receive_buffer = 0);

  RawSocket() = default;
  RawSocket(RawSocket&& other) noexcept;
  RawSocket& operator=(RawSocket&& other) noexcept;
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  ~RawSocket();

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Writes all of `bytes`.
  Status send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Returns what has arrived (at least one byte), first whatever is already buffered. unavailable
  // once the peer has closed and nothing is left.
  Result<std::string> read_some(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads one response: status line, headers (names lower-cased), and a body framed by
  // Content-Length, chunked encoding or the end of the connection. Interim 1xx responses are
  // skipped. `head_request`: the response to a HEAD has no body whatever its headers say.
  // Response::close is set when the server will close the connection after it.
  Result<Response> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                 bool head_request = false,
                                 std::size_t max_body = 64 * 1024 * 1024);
  // Reads and discards until the peer closes (FIN or reset): ok, or deadline_exceeded.
  Status wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Everything until the peer closes (what is buffered included).
  Result<std::string> read_until_closed(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  void shutdown_write();
  void close();
  // Bytes received and not yet returned by a read.
  const std::string& buffered() const { return buf_; }
  // Total bytes ever received on this socket.
  std::size_t bytes_received() const { return received_; }

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  // Appends newly arrived bytes to buf_: ok, unavailable (closed/reset) or deadline_exceeded.
  Status fill(Deadline deadline);
  Result<std::string> read_line(Deadline deadline, std::size_t max_len);
  Status read_exact(Deadline deadline, std::size_t n, std::string& out);

  int fd_ = -1;
  std::string buf_;
  std::size_t received_ = 0;
  bool eof_ = false;
};

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::size_t max_response_bytes = 64 * 1024 * 1024;
};

// Keeps one connection open across requests (keep-alive) and reconnects when the server closed
// it. A request on a reused connection that fails before any response byte arrives (the server
// closed the idle connection meanwhile) is retried once on a fresh one when it is safe to repeat:
// GET, HEAD, PUT, DELETE, OPTIONS, or any request carrying an Idempotency-Key header.
class Client {
 public:
  explicit Client(std::string address, ClientOptions options = {});

  // Sends one request. Adds Host (unless given), Content-Length for a body (or for POST, PUT and
  // PATCH), and lower-cases nothing: `headers` go out as given.
  Result<Response> request(std::string_view method, std::string_view target,
                           const Headers& headers = {}, std::string_view body = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
  Result<Response> get(std::string_view target,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return request("GET", target, {}, {}, timeout);
  }

  void close() { conn_ = RawSocket(); }
  bool connected() const { return conn_.is_open(); }
  const std::string& address() const { return address_; }

 private:
  std::string address_;
  ClientOptions options_;
  RawSocket conn_;
};

}  // namespace kai::http
