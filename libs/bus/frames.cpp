#include "bus/frames.hpp"

#include <cerrno>

namespace kai::bus {

RecvResult recv_frames(zmq::socket_t& socket, Frames& out, std::size_t max_frames) {
  out.clear();
  void* s = socket.handle();
  bool overflow = false;
  while (true) {
    zmq::message_t part;
    if (zmq_msg_recv(part.handle(), s, ZMQ_DONTWAIT) < 0) {
      if (zmq_errno() == EAGAIN && out.empty() && !overflow) return RecvResult::would_block;
      if (zmq_errno() == EINTR) continue;
      // A message is delivered atomically: once its first part arrived the rest is there, so
      // an error mid-message means the socket is being torn down.
      return RecvResult::error;
    }
    const bool more = part.more();
    if (out.size() < max_frames) {
      out.push_back(std::move(part));
    } else {
      overflow = true;
    }
    if (!more) break;
  }
  if (overflow) {
    out.clear();
    return RecvResult::too_many_frames;
  }
  return RecvResult::ok;
}

SendResult send_frames(zmq::socket_t& socket, Frames& msg) {
  void* s = socket.handle();
  const std::size_t n = msg.size();
  for (std::size_t i = 0; i < n; ++i) {
    const int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
    while (zmq_msg_send(msg[i].handle(), s, flags) < 0) {
      const int err = zmq_errno();
      if (err == EINTR) continue;
      if (i != 0) return SendResult::error;  // cannot happen once the first part was accepted
      if (err == EAGAIN) return SendResult::would_block;
      if (err == EHOSTUNREACH) return SendResult::unreachable;
      return SendResult::error;
    }
  }
  return SendResult::ok;
}

}  // namespace kai::bus
