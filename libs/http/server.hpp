// An HTTP/1.1 server on epoll for the platform's ops ports and the API gateway: non-blocking
// sockets, N event-loop threads, keep-alive and pipelining, asynchronous handlers, and the limits
// and timeouts that keep hostile clients (slowloris, oversize heads and bodies, clients that never
// read) from hurting anyone else.
//
//   kai::http::ServerOptions opts;
//   opts.name = "ops";
//   opts.bind = "0.0.0.0:9100";
//   kai::http::Server server(opts, [](kai::http::Request& req, kai::http::Responder r) {
//     r.send(kai::http::Response::json(200, R"({"status":"ok"})"));
//   });
//   if (auto st = server.start(); !st.ok()) ...
//
// Connections: keep-alive by default for HTTP/1.1 (HTTP/1.0 only with "Connection: keep-alive"),
// pipelined requests answered in order, one at a time. A client that closes its side of the
// connection while its request is still with the handler is taken to have gone away: the
// connection is closed and the eventual response dropped.
//
// Threads: one loop thread per ServerOptions::threads. One of them accepts and hands connections
// out round-robin, so load spreads evenly whatever the client's port numbers. The handler runs on
// the loop thread that owns the connection, concurrently with other loops: it must be thread-safe
// and must not block (answer from memory, or hand the work off and complete the Responder later).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.hpp"
#include "http/message.hpp"
#include "http/parser.hpp"

namespace kai::http {

namespace detail {
struct Mailbox;
struct ResponderAccess;
}  // namespace detail

// The right to answer one request. Cheap to move (a shared pointer and three integers); completed
// at most once, from any thread, at any later time. If the connection has gone away in the
// meantime the response is dropped. A Responder destroyed without being completed answers 500, so
// a client is never left hanging by a forgotten request.
class Responder {
 public:
  Responder() = default;  // answers nothing
  Responder(Responder&& other) noexcept;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  // Sends `response`. Later calls (and calls on a default-constructed Responder) do nothing.
  void send(Response response);
  // True until send() has been called.
  bool pending() const { return mailbox_ != nullptr; }

 private:
  friend struct detail::ResponderAccess;
  Responder(std::shared_ptr<detail::Mailbox> mailbox, std::uint32_t slot, std::uint32_t gen,
            std::uint64_t seq)
      : mailbox_(std::move(mailbox)), slot_(slot), gen_(gen), seq_(seq) {}

  std::shared_ptr<detail::Mailbox> mailbox_;
  std::uint32_t slot_ = 0;
  std::uint32_t gen_ = 0;
  std::uint64_t seq_ = 0;
};

// Called once per request on the connection's loop thread. `req` is valid only during the call
// (move out of it whatever an asynchronous completion needs). For HEAD requests the server sends
// the headers of the response, with the body's Content-Length, but not the body.
using Handler = std::function<void(Request& req, Responder responder)>;

struct ServerOptions {
  std::string name = "http";  // the {server="..."} metric label and the "http listening" log field
  // "host:port": 0.0.0.0, 127.0.0.1, ::1, [::], [::1] or a host name; port 0 picks a free port.
  std::string bind = "127.0.0.1:0";
  int threads = 1;  // event-loop threads
  Limits limits;
  std::size_t max_connections = 10000;              // beyond: accepted and closed at once
  std::chrono::milliseconds header_timeout{10000};  // whole head, from its first byte (or accept)
  std::chrono::milliseconds body_timeout{30000};    // whole body, from the end of the head
  std::chrono::milliseconds idle_timeout{60000};    // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{30000};   // output pending without progress
  // After a final response, how long to wait for the client to close before closing ourselves
  // (closing with unread input would reset the connection and could destroy the response).
  std::chrono::milliseconds linger_timeout{2000};
  std::chrono::milliseconds shutdown_grace{5000};  // stop(): time left for in-flight responses
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, starts the loop threads and logs
  // {"msg":"http listening","name":...,"addr":"127.0.0.1:PORT","bind":...}. `addr` is an address
  // a client on this machine can connect to. Fails (invalid_argument for a bad address,
  // unavailable when the port is taken) without starting anything; call at most once.
  Status start();

  // Stops accepting, gives in-flight requests up to shutdown_grace to be answered and written,
  // closes every connection and joins the threads. Idempotent; must not be called from a handler.
  void stop();

  // The bound port (after start()), e.g. the one picked for port 0.
  int port() const;
  // "127.0.0.1:PORT" (or "[::1]:PORT" for an IPv6-only bind): where to connect locally.
  std::string local_address() const;
  const ServerOptions& options() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kai::http
