#include "http/server.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "http/client.hpp"
#include "http/test_helpers.hpp"
#include "support/process.hpp"

namespace kai::http {
namespace {

using namespace std::chrono_literals;
using kai::testing::wait_until;
using testing::bad_requests;
using testing::open_connections;
using testing::total_connections;

// A thread that completes Responders handed to it, as the gateway's bus client does.
class Completer {
 public:
  Completer() : thread_([this] { run(); }) {}
  ~Completer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void post(Responder r, Response resp) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.emplace_back(std::move(r), std::move(resp));
    }
    cv_.notify_one();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto item = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      item.first.send(std::move(item.second));
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Responder, Response>> queue_;
  bool done_ = false;
  std::thread thread_;
};

// Holds Responders the test completes (or drops) itself.
class Parked {
 public:
  void park(Responder r) {
    std::lock_guard<std::mutex> lock(mu_);
    responders_.push_back(std::move(r));
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return responders_.size();
  }
  Responder take() {
    std::lock_guard<std::mutex> lock(mu_);
    Responder r = std::move(responders_.front());
    responders_.pop_front();
    return r;
  }

 private:
  std::mutex mu_;
  std::deque<Responder> responders_;
};

Response echo(Request& req) {
  Response r = Response::text(200, req.method + " " + req.path + "?" + req.query + "|" + req.body);
  r.headers.push_back({"X-Peer", req.peer});
  return r;
}

class ServerTest : public ::testing::Test {
 protected:
  // A metrics label unique to this test run, so counters can be compared exactly.
  std::string name() const {
    static std::atomic<int> counter{0};
    if (name_.empty()) {
      name_ = std::string("t_") + ::testing::UnitTest::GetInstance()->current_test_info()->name() +
              "_" + std::to_string(counter++);
    }
    return name_;
  }

  void start(Handler handler, ServerOptions opts = {}) {
    opts.name = name();
    server_ = std::make_unique<Server>(opts, std::move(handler));
    const Status st = server_->start();
    ASSERT_TRUE(st.ok()) << st.to_string();
    addr_ = server_->local_address();
  }

  void start_echo(ServerOptions opts = {}) {
    start([](Request& req, Responder r) { r.send(echo(req)); }, std::move(opts));
  }

  RawSocket raw(int receive_buffer = 0) {
    auto s = RawSocket::connect(addr_, 5s, receive_buffer);
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    return s.ok() ? std::move(s).value() : RawSocket();
  }

  // A server that answers /ok still works for a fresh client.
  void expect_serving() {
    Client c(addr_);
    auto r = c.get("/ok");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->status, 200);
  }

  mutable std::string name_;
  std::unique_ptr<Server> server_;
  std::string addr_;
};

// ---- basics ----

TEST_F(ServerTest, PassesRequestAndResponseThrough) {
  std::mutex mu;
  Request seen;
  start([&](Request& req, Responder r) {
    {
      std::lock_guard<std::mutex> lock(mu);
      seen = req;
    }
    Response resp = Response::text(201, "created");
    resp.headers.push_back({"X-Test", "yes"});
    resp.headers.push_back({"Content-Length", "999"});  // the server's own framing wins
    r.send(std::move(resp));
  });
  Client c(addr_);
  auto r = c.request("POST", "/a%20b/%E5%87%AF?x=1&y=%20", {{"X-Custom", "v1"}, {"x-custom", "v2"}},
                     "payload");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->reason, "Created");
  EXPECT_EQ(r->body, "created");
  EXPECT_EQ(r->header("x-test"), "yes");
  EXPECT_EQ(r->header("content-length"), "7");
  EXPECT_EQ(r->header("content-type"), "text/plain; charset=utf-8");
  EXPECT_TRUE(r->header("date").has_value());
  EXPECT_FALSE(r->close);

  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/a%20b/%E5%87%AF?x=1&y=%20");
  EXPECT_EQ(seen.path, "/a b/凯");
  EXPECT_EQ(seen.query, "x=1&y=%20");
  EXPECT_EQ(seen.body, "payload");
  EXPECT_EQ(seen.header("x-custom"), "v1");
  ASSERT_GE(seen.headers.size(), 3u);
  EXPECT_EQ(seen.headers[0].name, "host");
  EXPECT_EQ(seen.peer.rfind("127.0.0.1:", 0), 0u) << seen.peer;
  EXPECT_TRUE(seen.keep_alive);
}

TEST_F(ServerTest, LogsListeningLine) {
  ::testing::internal::CaptureStdout();
  start_echo();
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("\"msg\":\"http listening\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"name\":\"" + name() + "\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"addr\":\"127.0.0.1:" + std::to_string(server_->port()) + "\""),
            std::string::npos)
      << out;
  EXPECT_GT(server_->port(), 0);
}

TEST_F(ServerTest, KeepAliveReusesOneConnection) {
  start_echo();
  Client c(addr_);
  std::set<std::string> peers;
  for (int i = 0; i < 5; ++i) {
    auto r = c.get("/k");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->body, "GET /k?|");
    peers.insert(std::string(r->header("x-peer").value_or("")));
  }
  EXPECT_EQ(peers.size(), 1u);
  EXPECT_EQ(total_connections(name()), 1);
  EXPECT_EQ(open_connections(name()), 1);
  c.close();
  EXPECT_TRUE(wait_until([&] { return open_connections(name()) == 0; }));
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  start_echo();
  RawSocket s = raw();
  ASSERT_TRUE(s.send("GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").ok());
  auto r = s.read_response();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(r->close);
  EXPECT_TRUE(s.wait_closed().ok());
}

TEST_F(ServerTest, Http10ClosesUnlessKeepAlive) {
  start_echo();
  {
    RawSocket s = raw();
    ASSERT_TRUE(s.send("GET /old HTTP/1.0\r\n\r\n").ok());
    auto r = s.read_response();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->body, "GET /old?|");
    EXPECT_TRUE(r->close);
    EXPECT_TRUE(s.wait_closed().ok());
  }
  {
    RawSocket s = raw();
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(s.send("GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").ok());
      auto r = s.read_response();
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      EXPECT_EQ(r->header("connection"), "keep-alive");
      EXPECT_FALSE(r->close);
    }
  }
}

TEST_F(ServerTest, HeadSendsHeadersWithoutBody) {
  start([](Request&, Responder r) { r.send(Response::text(200, "0123456789")); });
  RawSocket s = raw();
  // If the HEAD response carried a body, the GET response would not parse.
  ASSERT_TRUE(s.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /h HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  auto head = s.read_response(10s, true);
  ASSERT_TRUE(head.ok()) << head.status().to_string();
  EXPECT_EQ(head->header("content-length"), "10");
  EXPECT_TRUE(head->body.empty());
  auto get = s.read_response();
  ASSERT_TRUE(get.ok()) << get.status().to_string();
  EXPECT_EQ(get->body, "0123456789");
}

TEST_F(ServerTest, NoContentHasNoBodyOrLength) {
  start([](Request& req, Responder r) {
    Response resp = Response::text(req.path == "/204" ? 204 : 304, "ignored");
    r.send(std::move(resp));
  });
  RawSocket s = raw();
  ASSERT_TRUE(
      s.send("GET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  auto a = s.read_response();
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->status, 204);
  EXPECT_FALSE(a->header("content-length").has_value());
  auto b = s.read_response();
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->status, 304);
  EXPECT_TRUE(b->body.empty());
  EXPECT_TRUE(s.buffered().empty());
}

TEST_F(ServerTest, ResponseCloseFlagClosesConnection) {
  start([](Request&, Responder r) {
    Response resp = Response::text(200, "bye");
    resp.close = true;
    r.send(std::move(resp));
  });
  RawSocket s = raw();
  ASSERT_TRUE(s.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  auto r = s.read_response();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->close);
  EXPECT_TRUE(s.wait_closed().ok());
}

TEST_F(ServerTest, InvalidResponseFromHandlerBecomes500) {
  start([](Request& req, Responder r) {
    Response resp = Response::text(200, "x");
    if (req.path == "/header") resp.headers.push_back({"X-Bad", "a\r\nInjected: yes"});
    if (req.path == "/status") resp.status = 42;
    if (req.path == "/name") resp.headers.push_back({"Bad Name", "v"});
    r.send(std::move(resp));
  });
  Client c(addr_);
  for (const char* path : {"/header", "/status", "/name"}) {
    auto r = c.get(path);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->status, 500) << path;
    EXPECT_FALSE(r->header("injected").has_value());
    EXPECT_NE(r->body.find("\"code\":\"internal\""), std::string::npos);
  }
}

// ---- asynchronous completion ----

TEST_F(ServerTest, PipelinedRequestsAnsweredInOrderOneAtATime) {
  Parked parked;
  std::atomic<int> calls{0};
  start([&](Request& req, Responder r) {
    calls.fetch_add(1);
    if (req.path == "/1") {
      parked.park(std::move(r));  // answered later by the test thread
      return;
    }
    r.send(Response::text(200, req.path.substr(1)));
  });
  RawSocket s = raw();
  ASSERT_TRUE(s.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n")
                  .ok());
  ASSERT_TRUE(wait_until([&] { return parked.size() == 1; }));
  // The second request waits for the first to be answered.
  EXPECT_EQ(calls.load(), 1);
  parked.take().send(Response::text(200, "1"));
  for (const char* want : {"1", "2", "3"}) {
    auto r = s.read_response();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->body, want);
  }
  EXPECT_EQ(calls.load(), 3);
}

TEST_F(ServerTest, CompletesFromAnotherThread) {
  Completer completer;
  std::atomic<std::thread::id> handler_thread{};
  start(
      [&](Request& req, Responder r) {
        handler_thread = std::this_thread::get_id();
        completer.post(std::move(r), echo(req));
      },
      [] {
        ServerOptions o;
        o.threads = 2;
        return o;
      }());
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      Client c(addr_);
      for (int i = 0; i < 50; ++i) {
        const std::string body = std::to_string(t) + "-" + std::to_string(i);
        auto r = c.request("POST", "/async", {}, body);
        if (r.ok() && r->status == 200 && r->body == "POST /async?|" + body) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_NE(handler_thread.load(), std::this_thread::get_id());
}

TEST_F(ServerTest, CompletionAfterClientDisconnectedIsDropped) {
  Parked parked;
  start([&](Request& req, Responder r) {
    if (req.path == "/park") {
      parked.park(std::move(r));
      return;
    }
    r.send(echo(req));
  });
  {
    RawSocket s = raw();
    ASSERT_TRUE(s.send("GET /park HTTP/1.1\r\nHost: x\r\n\r\n").ok());
    ASSERT_TRUE(wait_until([&] { return parked.size() == 1; }));
  }  // the client goes away before the answer
  ASSERT_TRUE(wait_until([&] { return open_connections(name()) == 0; }));
  // A new connection may now reuse the slot: the stale answer must not reach it.
  RawSocket other = raw();
  ASSERT_TRUE(other.send("GET /park HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  ASSERT_TRUE(wait_until([&] { return parked.size() == 2; }));
  parked.take().send(Response::text(200, "stale"));
  parked.take().send(Response::text(200, "fresh"));
  auto r = other.read_response();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->body, "fresh");
  expect_serving();
}

TEST_F(ServerTest, ResponderOutlivingServerIsHarmless) {
  Parked parked;
  ServerOptions opts;
  opts.shutdown_grace = 50ms;
  start([&](Request&, Responder r) { parked.park(std::move(r)); }, opts);
  RawSocket s = raw();
  ASSERT_TRUE(
      s.send("GET /park HTTP/1.1\r\nHost: x\r\n\r\nGET /park HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  ASSERT_TRUE(wait_until([&] { return parked.size() == 1; }));
  server_.reset();  // grace expires: the connection is closed unanswered
  EXPECT_TRUE(s.wait_closed().ok());
  parked.take().send(Response::text(200, "too late"));  // must not touch freed memory
}

TEST_F(ServerTest, DroppedResponderAnswers500) {
  start([&](Request& req, Responder r) {
    if (req.path == "/drop") return;  // r destroyed here, unanswered
    if (req.path == "/throw") throw std::runtime_error("handler bug");
    if (req.path == "/drop-elsewhere") {
      std::thread([moved = std::move(r)]() mutable { Responder gone = std::move(moved); }).join();
      return;
    }
    r.send(echo(req));
  });
  Client c(addr_);
  for (const char* path : {"/drop", "/throw", "/drop-elsewhere"}) {
    auto r = c.get(path);
    ASSERT_TRUE(r.ok()) << path << ": " << r.status().to_string();
    EXPECT_EQ(r->status, 500) << path;
    EXPECT_NE(r->body.find("\"code\":\"internal\""), std::string::npos) << r->body;
  }
  auto after = c.get("/fine");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
}

TEST_F(ServerTest, SecondSendIsIgnored) {
  start([](Request&, Responder r) {
    r.send(Response::text(200, "first"));
    r.send(Response::text(200, "second"));
    EXPECT_FALSE(r.pending());
  });
  RawSocket s = raw();
  ASSERT_TRUE(s.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  for (int i = 0; i < 2; ++i) {
    auto r = s.read_response();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->body, "first");
  }
}

// ---- refusals ----

struct BadCase {
  const char* label;
  std::string request;
  int status;
  const char* reason;  // metric label
  const char* code;    // JSON error code
};

TEST_F(ServerTest, EveryLimitAndMalformationHasItsStatus) {
  ServerOptions opts;
  opts.limits.max_body_bytes = 1000;
  start_echo(opts);
  std::string many_headers = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 100; ++i)
    many_headers += "X-H" + std::to_string(i) + ": v\r\n";
  std::string big_headers = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20; ++i)
    big_headers += "X-H" + std::to_string(i) + ": " + std::string(1000, 'v') + "\r\n";
  const std::vector<BadCase> cases = {
      {"long line", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414,
       "uri_too_long", "resource_exhausted"},
      {"no newline", std::string(9000, 'G'), 414, "uri_too_long", "resource_exhausted"},
      {"big headers", big_headers + "\r\n", 431, "headers_too_large", "resource_exhausted"},
      {"many headers", many_headers + "\r\n", 431, "too_many_headers", "resource_exhausted"},
      {"body too large", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n", 413,
       "body_too_large", "resource_exhausted"},
      {"chunked too large",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n" +
           std::string(512, 'a') + "\r\n200\r\n",
       413, "body_too_large", "resource_exhausted"},
      {"gzip", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
       "unsupported_encoding", "invalid_argument"},
      {"cl and te",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "malformed", "invalid_argument"},
      {"conflicting cl",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400,
       "malformed", "invalid_argument"},
      {"bad escape", "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_path", "invalid_argument"},
      {"nul", "GET /a%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_path", "invalid_argument"},
      {"no host", "GET / HTTP/1.1\r\n\r\n", 400, "malformed", "invalid_argument"},
      {"http2", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "version", "invalid_argument"},
      {"expect", "POST / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", 417, "expectation",
       "invalid_argument"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.label);
    const double before = bad_requests(name(), c.reason);
    RawSocket s = raw();
    ASSERT_TRUE(s.send(c.request).ok());
    auto r = s.read_response();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->status, c.status);
    EXPECT_EQ(r->header("content-type"), "application/json");
    EXPECT_NE(r->body.find(std::string("{\"error\":{\"code\":\"") + c.code + "\",\"message\":"),
              std::string::npos)
        << r->body;
    EXPECT_TRUE(r->close);
    EXPECT_TRUE(s.wait_closed().ok());
    EXPECT_EQ(bad_requests(name(), c.reason), before + 1);
  }
  expect_serving();
}

TEST_F(ServerTest, BodyLimitAnsweredBeforeTheBodyIsSent) {
  start_echo();  // default limit: 1 MiB
  RawSocket s = raw();
  ASSERT_TRUE(s.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n").ok());
  auto r = s.read_response();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 413);
}

TEST_F(ServerTest, GarbageNeverHurtsTheServer) {
  start_echo();
  std::mt19937 rng(7);
  for (int i = 0; i < 40; ++i) {
    std::string junk(1 + rng() % 4000, '\0');
    for (char& ch : junk)
      ch = static_cast<char>(rng() % 256);
    if (i % 2 == 0) junk += "\r\n\r\n";
    RawSocket s = raw();
    (void)s.send(junk);  // the server may answer and close before taking all of it
    s.shutdown_write();
    // Either a 4xx/5xx answer or a plain close; never a hang, never a crash.
    auto r = s.read_response(10s);
    if (r.ok()) {
      EXPECT_GE(r->status, 400) << i;
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::unavailable) << r.status().to_string();
    }
  }
  expect_serving();
}

// ---- bodies ----

TEST_F(ServerTest, ChunkedBodyIsDecoded) {
  start_echo();
  RawSocket s = raw();
  ASSERT_TRUE(s.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n").ok());
  ASSERT_TRUE(s.send("4\r\nWiki\r\n").ok());
  ASSERT_TRUE(s.send("7;ext=1\r\npedia i\r\nB\r\nn \r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n").ok());
  auto r = s.read_response();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->body, "POST /c?|Wikipedia in \r\nchunks.");
}

TEST_F(ServerTest, ExpectContinueGetsInterimResponse) {
  start_echo();
  RawSocket s = raw();
  ASSERT_TRUE(
      s.send("PUT /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
          .ok());
  std::string got;
  while (got.find("\r\n\r\n") == std::string::npos) {
    auto part = s.read_some();
    ASSERT_TRUE(part.ok()) << part.status().to_string();
    got += *part;
  }
  EXPECT_EQ(got, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(s.send("hello").ok());
  auto r = s.read_response();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->body, "PUT /e?|hello");
}

TEST_F(ServerTest, LargeBodyWithinLimit) {
  start_echo();
  std::string body(900 * 1024, 'x');
  for (std::size_t i = 0; i < body.size(); i += 1000)
    body[i] = static_cast<char>('a' + i % 26);
  Client c(addr_);
  auto r = c.request("POST", "/big", {}, body);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->body, "POST /big?|" + body);
}

// ---- timeouts ----

TEST_F(ServerTest, PartialHeadGets408AfterHeaderTimeout) {
  ServerOptions opts;
  opts.header_timeout = 200ms;
  start_echo(opts);
  RawSocket s = raw();
  ASSERT_TRUE(s.send("GET / HTTP/1.1\r\nHost: x\r\n").ok());
  auto r = s.read_response();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(s.wait_closed().ok());
  EXPECT_EQ(bad_requests(name(), "header_timeout"), 1);
}

TEST_F(ServerTest, SilentConnectionClosedByHeaderTimeout) {
  ServerOptions opts;
  opts.header_timeout = 200ms;
  start_echo(opts);
  RawSocket s = raw();
  EXPECT_TRUE(s.wait_closed().ok());
  EXPECT_EQ(s.bytes_received(), 0u);
}

TEST_F(ServerTest, SlowlorisIsCutOffWhileOthersAreServed) {
  ServerOptions opts;
  opts.header_timeout = 300ms;  // the whole head, however steadily it trickles
  opts.idle_timeout = 60s;
  start_echo(opts);
  RawSocket slow = raw();
  ASSERT_TRUE(slow.send("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ").ok());
  std::atomic<bool> cut{false};
  std::thread dribbler([&] {
    // One byte every 5 ms: far faster than any idle timeout, never finishing the head.
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < give_up) {
      if (!slow.send("a", 1s).ok()) {
        cut = true;
        return;
      }
      std::this_thread::sleep_for(5ms);
    }
  });
  Client c(addr_);
  int served = 0;
  while (!cut.load() && served < 100000) {
    auto r = c.get("/other");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->status, 200);
    ++served;
  }
  dribbler.join();
  EXPECT_TRUE(cut.load());
  EXPECT_GT(served, 0);
  EXPECT_GE(bad_requests(name(), "header_timeout"), 1);
}

TEST_F(ServerTest, SlowBodyGets408) {
  ServerOptions opts;
  opts.body_timeout = 200ms;
  start_echo(opts);
  RawSocket s = raw();
  ASSERT_TRUE(s.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc").ok());
  auto r = s.read_response();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(s.wait_closed().ok());
  EXPECT_EQ(bad_requests(name(), "body_timeout"), 1);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions opts;
  opts.idle_timeout = 200ms;
  start_echo(opts);
  RawSocket s = raw();
  ASSERT_TRUE(s.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  auto r = s.read_response();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->close);
  EXPECT_TRUE(s.wait_closed().ok());
  EXPECT_EQ(bad_requests(name(), "header_timeout"), 0);
}

TEST_F(ServerTest, ClientThatNeverReadsIsCutOff) {
  ServerOptions opts;
  opts.write_timeout = 300ms;
  start(
      [](Request& req, Responder r) {
        r.send(Response::text(200, req.path == "/big" ? std::string(8 << 20, 'b') : "small"));
      },
      opts);
  RawSocket lazy = raw(4096);
  std::string pipelined;
  for (int i = 0; i < 4; ++i)
    pipelined += "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(lazy.send(pipelined).ok());
  // Others are served while the lazy client's responses are stuck.
  Client c(addr_);
  for (int i = 0; i < 20; ++i) {
    auto r = c.get("/small");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->body, "small");
  }
  ASSERT_TRUE(wait_until([&] { return bad_requests(name(), "write_timeout") >= 1; }, 30s));
  EXPECT_TRUE(lazy.wait_closed(30s).ok());
  // Far less than the four responses asked for: the rest was never produced.
  EXPECT_LT(lazy.bytes_received(), 4u * (8u << 20));
  expect_serving();
}

// ---- scale and limits on connections ----

TEST_F(ServerTest, ManyConcurrentConnectionsSpreadOverLoops) {
  std::mutex mu;
  std::set<std::thread::id> threads;
  ServerOptions opts;
  opts.threads = 2;
  start(
      [&](Request& req, Responder r) {
        {
          std::lock_guard<std::mutex> lock(mu);
          threads.insert(std::this_thread::get_id());
        }
        r.send(echo(req));
      },
      opts);
  std::vector<RawSocket> socks;
  for (int i = 0; i < 300; ++i)
    socks.push_back(raw());
  for (std::size_t i = 0; i < socks.size(); ++i) {
    ASSERT_TRUE(socks[i].send("GET /c" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  }
  for (std::size_t i = 0; i < socks.size(); ++i) {
    auto r = socks[i].read_response();
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().to_string();
    EXPECT_EQ(r->body, "GET /c" + std::to_string(i) + "?|");
  }
  EXPECT_EQ(open_connections(name()), 300);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(threads.size(), 2u);
  }
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      Client c(addr_);
      for (int i = 0; i < 200; ++i) {
        auto r = c.get("/x");
        if (r.ok() && r->status == 200) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(ok.load(), 1600);
  socks.clear();
  EXPECT_TRUE(wait_until([&] { return open_connections(name()) == 0; }));
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitAreClosed) {
  ServerOptions opts;
  opts.max_connections = 2;
  start_echo(opts);
  RawSocket a = raw();
  RawSocket b = raw();
  for (RawSocket* s : {&a, &b}) {
    ASSERT_TRUE(s->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").ok());
    ASSERT_TRUE(s->read_response().ok());
  }
  RawSocket c = raw();
  EXPECT_TRUE(c.wait_closed().ok());
  EXPECT_EQ(c.bytes_received(), 0u);
  EXPECT_EQ(bad_requests(name(), "connection_limit"), 1);
  for (RawSocket* s : {&a, &b}) {
    ASSERT_TRUE(s->send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n").ok());
    auto r = s->read_response();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->body, "GET /again?|");
  }
  a.close();
  ASSERT_TRUE(wait_until([&] { return open_connections(name()) == 1; }));
  expect_serving();
}

// ---- addresses ----

TEST_F(ServerTest, WildcardBindIsReachableOnLoopback) {
  ServerOptions opts;
  opts.bind = "0.0.0.0:0";
  start_echo(opts);
  EXPECT_EQ(addr_, "127.0.0.1:" + std::to_string(server_->port()));
  expect_serving();
}

TEST_F(ServerTest, Ipv6Loopback) {
  ServerOptions opts;
  opts.name = name();
  opts.bind = "[::1]:0";
  server_ = std::make_unique<Server>(opts, [](Request& req, Responder r) { r.send(echo(req)); });
  const Status st = server_->start();
  if (!st.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << st.to_string();
  addr_ = server_->local_address();
  EXPECT_EQ(addr_, "[::1]:" + std::to_string(server_->port()));
  Client c(addr_);
  auto r = c.get("/v6");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->header("x-peer").value_or("").rfind("[::1]:", 0), 0u);
}

TEST_F(ServerTest, DualStackWildcardServesIpv4) {
  ServerOptions opts;
  opts.name = name();
  opts.bind = "[::]:0";
  server_ = std::make_unique<Server>(opts, [](Request& req, Responder r) { r.send(echo(req)); });
  const Status st = server_->start();
  if (!st.ok()) GTEST_SKIP() << "no IPv6 here: " << st.to_string();
  addr_ = server_->local_address();
  Client c("127.0.0.1:" + std::to_string(server_->port()));
  auto r = c.get("/v4");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->header("x-peer").value_or("").rfind("127.0.0.1:", 0), 0u);
}

TEST_F(ServerTest, BadAddressesAreRefused) {
  ServerOptions bad;
  bad.bind = "nonsense";
  Server s(bad, [](Request&, Responder) {});
  EXPECT_EQ(s.start().code(), StatusCode::invalid_argument);

  start_echo();
  ServerOptions taken;
  taken.bind = addr_;
  Server t(taken, [](Request&, Responder) {});
  EXPECT_EQ(t.start().code(), StatusCode::unavailable);
  expect_serving();
}

// ---- shutdown ----

TEST_F(ServerTest, StopLetsInFlightResponsesFinish) {
  Parked parked;
  ServerOptions opts;
  opts.shutdown_grace = 30s;
  start([&](Request&, Responder r) { parked.park(std::move(r)); }, opts);
  RawSocket busy = raw();
  RawSocket idle = raw();
  ASSERT_TRUE(busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  ASSERT_TRUE(wait_until([&] { return parked.size() == 1; }));
  std::thread stopper([&] { server_->stop(); });
  // Stopping: new connections are refused and idle ones closed at once...
  EXPECT_TRUE(idle.wait_closed().ok());
  EXPECT_TRUE(wait_until([&] { return !RawSocket::connect(addr_, 1s).ok(); }));
  // ...while the request in flight still gets its answer.
  parked.take().send(Response::text(200, "done"));
  auto r = busy.read_response();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->body, "done");
  EXPECT_TRUE(r->close);
  stopper.join();
  EXPECT_TRUE(busy.wait_closed().ok());
  server_->stop();  // twice is fine
}

TEST_F(ServerTest, StopGivesUpAfterGrace) {
  Parked parked;
  ServerOptions opts;
  opts.shutdown_grace = 100ms;
  start([&](Request&, Responder r) { parked.park(std::move(r)); }, opts);
  RawSocket s = raw();
  ASSERT_TRUE(s.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  ASSERT_TRUE(wait_until([&] { return parked.size() == 1; }));
  server_->stop();
  EXPECT_TRUE(s.wait_closed().ok());
  EXPECT_EQ(s.bytes_received(), 0u);
  EXPECT_EQ(open_connections(name()), 0);
  parked.take().send(Response::text(200, "late"));
}

TEST_F(ServerTest, StopWithoutStartAndTwice) {
  Server never({}, [](Request&, Responder) {});
  never.stop();
  start_echo();
  server_->stop();
  server_->stop();
  EXPECT_FALSE(RawSocket::connect(addr_, 1s).ok());
}

}  // namespace
}  // namespace kai::http
