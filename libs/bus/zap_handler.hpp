// The ZAP (ZMQ RFC 27) handler of the broker: authenticates every CURVE handshake against the
// allow-list before a connection is accepted. Start it before binding any socket, so that nothing
// is ever accepted unauthenticated.
//
// Decisions by ZAP domain:
//   kai-bus               any listed key (what it may do is checked per command by the broker)
//   kai-events-publish    keys that may publish
//   kai-events-subscribe  keys that may subscribe
// The accepted key (Z85) becomes the connection's User-Id, which the broker reads from each
// message's metadata. Refusals are logged once per key and counted.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include <zmq.hpp>

#include "bus/allow_list.hpp"

namespace kai::bus {

class ZapHandler {
 public:
  ZapHandler(zmq::context_t& ctx, std::shared_ptr<const AllowList> allow);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // Swaps the allow-list (SIGHUP reload); new handshakes use the new list.
  void replace(std::shared_ptr<const AllowList> allow);
  std::shared_ptr<const AllowList> current() const;

 private:
  void run();

  zmq::context_t& ctx_;
  mutable std::mutex mu_;
  std::shared_ptr<const AllowList> allow_;
  std::atomic<bool> stop_{false};
  zmq::socket_t socket_;  // bound in the constructor, used only by the thread
  std::thread thread_;
};

}  // namespace kai::bus
