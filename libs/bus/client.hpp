// The asynchronous bus client: many requests in flight over one DEALER per broker, replies matched
// to requests by the id in the envelope header, a deadline per request, and retries.
//
// Retries resend the same request (same id) to the next broker after attempt_timeout. That is
// safe for reads, and for writes because a write always carries an idempotency key (the client
// makes one up when the caller has none): the service applies a key once and replays its stored
// reply to repeats.
//
// Thread safety: call_async/call may be used from any thread. Callbacks run on the client's I/O
// thread and must be quick (hand the reply to your own thread if there is real work to do).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "bus/curve.hpp"
#include "common/result.hpp"

namespace kai::bus {

struct ClientOptions {
  std::vector<std::string> brokers;  // "tcp://host:port"; requests are spread over them
  CurveConfig curve;
  std::int64_t max_message_size = 4 << 20;
};

struct CallOptions {
  std::chrono::milliseconds timeout{5000};  // overall deadline, sent to the service too
  // Time to wait for a reply before resending; 0 = timeout / max_attempts.
  std::chrono::milliseconds attempt_timeout{0};
  int max_attempts = 3;
  bool write = false;  // a write gets an idempotency key if it has none, so retries are safe
  std::string idempotency_key;
  std::string request_id;
  std::string trace_id;
  std::string principal;
};

struct Reply {
  Status status;        // the service's status, or deadline_exceeded / unavailable from here
  std::string payload;  // the reply message (MessagePack) when status is ok
};

using ReplyCallback = std::function<void(Reply&&)>;

class Client {
 public:
  Client(zmq::context_t& ctx, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void call_async(std::string_view service, std::string_view op, std::string payload,
                  CallOptions options, ReplyCallback done);
  // Blocking convenience wrapper.
  Reply call(std::string_view service, std::string_view op, std::string payload,
             CallOptions options = {});
  // 8/MMI query to the broker, e.g. mmi("mmi.service", "membership") -> "200" or "404".
  Result<std::string> mmi(std::string_view mmi_service, std::string_view argument,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

  std::size_t in_flight() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// A random 128-bit identifier in hex, for idempotency keys, request ids and trace ids (not for
// secrets such as tokens or keys: use the OS generator for those).
std::string random_id();

}  // namespace kai::bus
