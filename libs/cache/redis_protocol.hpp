// The Redis wire protocol (RESP2) as far as the cache speaks it: commands out, replies in.
//
// Replies are decoded by hiredis's reader with object callbacks of our own, so no allocation is
// sized by the peer except the growing input buffer, which ReplyReader bounds. Only the reply
// shapes the cache's commands produce are accepted (bulk string, nil, integer, status, error);
// arrays are rejected, so a misbehaving server cannot make us build large trees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

struct redisReader;

namespace kai::cache {

struct Reply {
  enum class Type : std::uint8_t { string, nil, integer, status, error };
  Type type = Type::nil;
  std::string str;  // bulk string, status or error text
  long long integer = 0;
};

// "*<n>\r\n$<len>\r\n<arg>\r\n..." — every argument is binary-safe.
std::string format_command(std::span<const std::string_view> args);

// Incremental reply decoder for one connection. Not thread-safe (one per connection). After any
// error the stream is out of sync and the connection must be dropped.
class ReplyReader {
 public:
  // `max_reply_bytes` bounds the bytes buffered for one reply; more is a protocol error.
  explicit ReplyReader(std::size_t max_reply_bytes);
  ~ReplyReader();
  ReplyReader(const ReplyReader&) = delete;
  ReplyReader& operator=(const ReplyReader&) = delete;

  // Adds bytes received from the server.
  Status feed(std::string_view bytes);
  // The next complete reply; nullopt when more bytes are needed; an error when the bytes are not
  // a reply this client accepts.
  Result<std::optional<Reply>> next();
  // Bytes received but not yet part of a returned reply.
  std::size_t buffered() const;

 private:
  redisReader* reader_;
  std::size_t max_reply_bytes_;
  bool failed_ = false;
};

}  // namespace kai::cache
