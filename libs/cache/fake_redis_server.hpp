// Test helper: a TCP server on 127.0.0.1 that speaks just enough of the Redis protocol to be
// scripted. It parses each command the client sends and answers with whatever bytes the test's
// handler returns — nonsense included — so tests can make a "redis" misbehave on purpose.
// Handlers run on the connection's thread and may block (for example until the test releases
// them); the destructor closes every connection and joins every thread.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kai::cache::testing {

struct FakeReply {
  std::string bytes;  // sent as they are
  bool close_after = false;
};

class FakeRedisServer {
 public:
  using Handler = std::function<FakeReply(const std::vector<std::string>& command)>;

  // `greeting` is sent as soon as a connection is accepted, before any command.
  explicit FakeRedisServer(Handler handler, std::string greeting = {});
  ~FakeRedisServer();
  FakeRedisServer(const FakeRedisServer&) = delete;
  FakeRedisServer& operator=(const FakeRedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }
  int connections_accepted() const { return accepted_.load(); }

 private:
  void accept_loop();
  void serve(int fd);

  Handler handler_;
  std::string greeting_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
};

}  // namespace kai::cache::testing
