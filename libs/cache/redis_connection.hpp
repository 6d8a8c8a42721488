// One synchronous connection to Redis with hard deadlines.
//
// The socket is non-blocking and every wait goes through poll() against an absolute deadline, so a
// call returns by its deadline however the server behaves (silent, trickling bytes, stopped with
// SIGSTOP). Writes never raise SIGPIPE. Replies are bounded in size (see ReplyReader).
//
// Not thread-safe: one thread uses a connection at a time (the cache's pool hands them out).
// After any failed call the connection is broken() and must be discarded: a late reply would
// otherwise be taken for the answer to the next command.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "cache/redis_protocol.hpp"
#include "cache/redis_url.hpp"
#include "common/result.hpp"
#include "common/time.hpp"

namespace kai::cache {

class RedisConnection {
 public:
  using Deadline = SteadyClock::time_point;

  // Resolves the host, connects, then authenticates and selects the database when the endpoint
  // asks for it, all before `deadline`. Host name resolution (getaddrinfo) is the one step the
  // deadline cannot interrupt; IP literals skip it.
  static Result<std::unique_ptr<RedisConnection>> open(const RedisEndpoint& endpoint,
                                                       Deadline deadline,
                                                       std::size_t max_reply_bytes);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command and reads its reply. A non-ok result means the connection failed (I/O
  // error, peer closed, deadline passed, protocol violation) and is now broken(). An error *reply*
  // ("-ERR ...") is a successful call returning a Reply of type error.
  Result<Reply> call(std::span<const std::string_view> args, Deadline deadline);

  bool broken() const { return broken_; }
  // True when the idle connection can no longer be trusted: the server closed it or sent bytes
  // nobody asked for. Costs one poll() with a zero timeout.
  bool stale_while_idle();

 private:
  RedisConnection(int fd, std::size_t max_reply_bytes);
  Result<Reply> fail(Status status);

  int fd_;
  ReplyReader reader_;
  bool broken_ = false;
};

}  // namespace kai::cache
