#include "cache/fake_redis_server.hpp"

#include <cerrno>
#include <optional>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kai::cache::testing {
namespace {

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Parses one "*N\r\n$len\r\narg\r\n..." command from the front of `buf`; nullopt if incomplete.
// The client under test only sends well-formed commands.
std::optional<std::vector<std::string>> take_command(std::string& buf) {
  std::size_t pos = 0;
  const auto line = [&]() -> std::optional<std::string> {
    const std::size_t end = buf.find("\r\n", pos);
    if (end == std::string::npos) return std::nullopt;
    std::string l = buf.substr(pos, end - pos);
    pos = end + 2;
    return l;
  };
  auto head = line();
  if (!head || head->empty() || (*head)[0] != '*') return std::nullopt;
  const long n = std::stol(head->substr(1));
  std::vector<std::string> args;
  for (long i = 0; i < n; ++i) {
    auto len_line = line();
    if (!len_line) return std::nullopt;
    const std::size_t len = std::stoul(len_line->substr(1));
    if (buf.size() < pos + len + 2) return std::nullopt;
    args.push_back(buf.substr(pos, len));
    pos += len + 2;
  }
  buf.erase(0, pos);
  return args;
}

}  // namespace

FakeRedisServer::FakeRedisServer(Handler handler, std::string greeting)
    : handler_(std::move(handler)), greeting_(std::move(greeting)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;  // the kernel picks a free port
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("bind/listen failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeRedisServer::~FakeRedisServer() {
  stopping_.store(true);
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    for (const int fd : fds_)
      ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers)
    t.join();
}

void FakeRedisServer::accept_loop() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++accepted_;
    std::lock_guard lock(mu_);
    if (stopping_.load()) {
      ::close(fd);
      return;
    }
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void FakeRedisServer::serve(int fd) {
  bool open = greeting_.empty() || send_all(fd, greeting_);
  std::string buf;
  char chunk[4096];
  while (open && !stopping_.load()) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<std::size_t>(n));
    while (open) {
      auto command = take_command(buf);
      if (!command) break;
      const FakeReply reply = handler_(*command);
      if (!send_all(fd, reply.bytes) || reply.close_after) open = false;
    }
  }
  // Closed under the lock as it leaves the list, so the destructor never shuts down a descriptor
  // number that has been reused meanwhile.
  std::lock_guard lock(mu_);
  for (auto& f : fds_) {
    if (f == fd) {
      ::close(fd);
      f = fds_.back();
      fds_.pop_back();
      break;
    }
  }
}

}  // namespace kai::cache::testing
