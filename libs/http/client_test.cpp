#include "http/client.hpp"

#include <mutex>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/server.hpp"
#include "http/test_helpers.hpp"
#include "support/process.hpp"

namespace kai::http {
namespace {

using namespace std::chrono_literals;

struct Reply {
  std::string bytes;  // empty: never answer
  bool close_after = false;
};

// A deliberately dumb server on a loopback port: for each request head it receives it writes the
// next canned reply, byte for byte, so the client can be shown responses a real server would
// not produce. Requests are assumed to have no body.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Reply> replies) : replies_(std::move(replies)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedServer() {
    const std::uint64_t one = 1;
    EXPECT_EQ(::write(stop_fd_, &one, sizeof one), 8);
    thread_.join();
    ::close(listen_fd_);
    ::close(stop_fd_);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int accepted() {
    std::lock_guard<std::mutex> lock(mu_);
    return accepted_;
  }
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_;
  }

 private:
  void run() {
    int conn = -1;
    std::string buf;
    std::size_t next = 0;
    while (true) {
      pollfd fds[3] = {{stop_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}, {conn, POLLIN, 0}};
      if (::poll(fds, conn >= 0 ? 3 : 2, -1) < 0) continue;
      if (fds[0].revents != 0) break;
      if (fds[1].revents != 0) {
        if (conn >= 0) ::close(conn);
        conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        buf.clear();
        std::lock_guard<std::mutex> lock(mu_);
        ++accepted_;
      }
      if (conn >= 0 && fds[2].revents != 0) {
        char tmp[4096];
        const ssize_t n = ::recv(conn, tmp, sizeof tmp, 0);
        if (n <= 0) {
          ::close(conn);
          conn = -1;
          continue;
        }
        buf.append(tmp, static_cast<std::size_t>(n));
        std::size_t end;
        while ((end = buf.find("\r\n\r\n")) != std::string::npos && conn >= 0) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            heads_.push_back(buf.substr(0, end + 4));
          }
          buf.erase(0, end + 4);
          if (next >= replies_.size()) break;
          const Reply& r = replies_[next++];
          if (r.bytes.empty()) continue;
          EXPECT_EQ(::send(conn, r.bytes.data(), r.bytes.size(), MSG_NOSIGNAL),
                    static_cast<ssize_t>(r.bytes.size()));
          if (r.close_after) {
            ::close(conn);
            conn = -1;
          }
        }
      }
    }
    if (conn >= 0) ::close(conn);
  }

  std::vector<Reply> replies_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  int accepted_ = 0;
  std::vector<std::string> heads_;
};

TEST(ClientTest, SendsHostAndContentLength) {
  ScriptedServer srv({{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
                      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}});
  Client c(srv.address());
  ASSERT_TRUE(c.request("POST", "/p", {{"X-A", "1"}, {"Content-Length", "99"}}).ok());
  ASSERT_TRUE(c.get("/g").ok());
  const auto heads = srv.heads();
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_EQ(heads[0], "POST /p HTTP/1.1\r\nHost: " + srv.address() +
                          "\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(heads[1], "GET /g HTTP/1.1\r\nHost: " + srv.address() + "\r\n\r\n");
  EXPECT_EQ(srv.accepted(), 1);
}

TEST(ClientTest, ChunkedResponseKeepsConnection) {
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Y: z\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: v\r\n\r\n";
  ScriptedServer srv({{chunked}, {chunked}});
  Client c(srv.address());
  for (int i = 0; i < 2; ++i) {
    auto r = c.get("/");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->reason, "OK");
    EXPECT_EQ(r->body, "hello world");
    EXPECT_EQ(r->header("X-Y"), "z");
    EXPECT_FALSE(r->close);
  }
  EXPECT_EQ(srv.accepted(), 1);
}

TEST(ClientTest, BodyDelimitedByClose) {
  ScriptedServer srv({{"HTTP/1.1 200 OK\r\n\r\nall of it", true}});
  Client c(srv.address());
  auto r = c.get("/");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->body, "all of it");
  EXPECT_TRUE(r->close);
  EXPECT_FALSE(c.connected());
}

TEST(ClientTest, InterimResponsesAreSkipped) {
  ScriptedServer srv(
      {{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"}});
  Client c(srv.address());
  auto r = c.get("/");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "ok");
}

TEST(ClientTest, Http10ResponseMeansClose) {
  ScriptedServer srv({{"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"}});
  Client c(srv.address());
  auto r = c.get("/");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->close);
  EXPECT_FALSE(c.connected());
}

TEST(ClientTest, MalformedResponses) {
  for (const char* bad :
       {"garbage\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    ScriptedServer srv({{bad}});
    Client c(srv.address());
    auto r = c.get("/", 5s);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::invalid_argument) << bad << r.status().to_string();
  }
}

TEST(ClientTest, ResponseTooLarge) {
  ScriptedServer srv({{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"}});
  ClientOptions o;
  o.max_response_bytes = 10;
  Client c(srv.address(), o);
  auto r = c.get("/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::resource_exhausted);
}

TEST(ClientTest, TimeoutIsDeadlineExceeded) {
  ScriptedServer srv({{""}});
  Client c(srv.address());
  auto r = c.get("/", 200ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::deadline_exceeded);
}

TEST(ClientTest, RefusedIsUnavailable) {
  Client c("127.0.0.1:" + std::to_string(kai::testing::free_port()));
  auto r = c.get("/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::unavailable);
  Client bad("no port");
  EXPECT_EQ(bad.get("/").status().code(), StatusCode::invalid_argument);
}

TEST(ClientTest, ReconnectsAfterServerClosedIdleConnection) {
  ServerOptions opts;
  opts.name = "client_reconnect";
  opts.idle_timeout = 100ms;
  Server server(opts, [](Request& req, Responder r) { r.send(Response::text(200, req.method)); });
  ASSERT_TRUE(server.start().ok());
  const double before = testing::total_connections(opts.name);
  Client c(server.local_address());
  ASSERT_TRUE(c.get("/").ok());
  ASSERT_TRUE(kai::testing::wait_until([&] { return testing::open_connections(opts.name) == 0; }));
  // The connection is stale; a GET is repeated on a fresh one.
  auto again = c.get("/");
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->body, "GET");
  ASSERT_TRUE(kai::testing::wait_until([&] { return testing::open_connections(opts.name) == 0; }));
  // A POST without an idempotency key is not repeated: the caller learns and decides.
  auto post = c.request("POST", "/", {}, "x");
  ASSERT_FALSE(post.ok());
  EXPECT_EQ(post.status().code(), StatusCode::unavailable);
  auto retry = c.request("POST", "/", {}, "x");
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_EQ(retry->body, "POST");
  ASSERT_TRUE(kai::testing::wait_until([&] { return testing::open_connections(opts.name) == 0; }));
  auto keyed = c.request("POST", "/", {{"Idempotency-Key", "k1"}}, "x");
  ASSERT_TRUE(keyed.ok()) << keyed.status().to_string();
  EXPECT_EQ(testing::total_connections(opts.name), before + 4);
}

TEST(RawSocketTest, ReadHelpers) {
  ScriptedServer srv({{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true}});
  auto s = RawSocket::connect(srv.address());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  auto all = s->read_until_closed();
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  EXPECT_EQ(*all, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(s->read_some(100ms).status().code(), StatusCode::unavailable);
  EXPECT_TRUE(s->wait_closed().ok());
}

}  // namespace
}  // namespace kai::http
