// The event bus half of the broker: an XSUB socket publishers connect to and an XPUB socket
// subscribers connect to, relayed on a thread of their own so event traffic never slows request
// routing. Subscriptions flow back from XPUB to XSUB so publishers only send what someone wants.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "broker/broker_metrics.hpp"
#include "bus/curve.hpp"
#include "common/result.hpp"

namespace kai::broker {

class EventProxy {
 public:
  EventProxy(zmq::context_t& ctx, BrokerMetrics& metrics);
  ~EventProxy();
  EventProxy(const EventProxy&) = delete;
  EventProxy& operator=(const EventProxy&) = delete;

  // Binds both sockets (after the ZAP handler is up) and starts relaying.
  Status start(const std::string& xsub_bind, const std::string& xpub_bind,
               const bus::CurveConfig& curve, std::int64_t max_message_size);
  void stop();

 private:
  void run();

  zmq::socket_t xsub_;
  zmq::socket_t xpub_;
  BrokerMetrics& metrics_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace kai::broker
