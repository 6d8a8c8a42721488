// A multipart ZeroMQ message as a reusable vector of frames, plus non-blocking send and receive
// helpers. Frames are moved, never copied, between sockets: the broker forwards request and reply
// bodies without touching their bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

namespace kai::bus {

using Frames = std::vector<zmq::message_t>;

inline std::string_view view(const zmq::message_t& m) {
  return {static_cast<const char*>(m.data()), m.size()};
}

inline zmq::message_t frame(std::string_view s) {
  return zmq::message_t(s.data(), s.size());
}

enum class RecvResult { ok, would_block, too_many_frames, error };

// Receives one whole multipart message into `out` (cleared first) without blocking. A message
// with more than `max_frames` parts is drained and discarded (too_many_frames), so a hostile peer
// cannot make us hold an unbounded number of frames.
RecvResult recv_frames(zmq::socket_t& socket, Frames& out, std::size_t max_frames = 64);

enum class SendResult { ok, would_block, unreachable, error };

// Sends every frame of `msg` (moved out; `msg` is left with empty frames) without blocking.
// On ROUTER sockets with ZMQ_ROUTER_MANDATORY an unknown peer is `unreachable` and a full pipe is
// `would_block`; in both cases nothing was sent.
SendResult send_frames(zmq::socket_t& socket, Frames& msg);

}  // namespace kai::bus
