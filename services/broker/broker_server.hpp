// The kai-broker process around BrokerCore: the ROUTER socket on 5555 for clients and workers,
// CurveZMQ with the ZAP handler started before anything binds, the event proxy, and the loop that
// feeds received messages and timer ticks to the core. Every send is non-blocking: a slow or dead
// peer loses its own messages, it never stalls the others.
#pragma once

#include <memory>
#include <string>

#include <zmq.hpp>

#include "broker/broker_core.hpp"
#include "broker/event_proxy.hpp"
#include "bus/allow_list.hpp"
#include "bus/curve.hpp"
#include "bus/zap_handler.hpp"
#include "common/signals.hpp"

namespace kai::broker {

struct BrokerServerOptions {
  std::string bind = "tcp://*:5555";
  std::string events_xsub_bind = "tcp://*:5556";
  std::string events_xpub_bind = "tcp://*:5557";
  bus::CurveConfig curve;
  std::string allow_file;  // required when curve is on
  std::int64_t max_message_size = 4 << 20;
  BrokerOptions core;
};

class BrokerServer {
 public:
  BrokerServer(zmq::context_t& ctx, BrokerServerOptions options);
  ~BrokerServer();

  // ZAP handler first (when CURVE is on), then every bind. An error leaves nothing listening.
  Status start();
  // Routes until a shutdown signal; SIGHUP reloads the allow-list.
  void run(ShutdownSignals& signals);
  // Re-reads the allow-list file; the old list stays on error.
  Status reload_allow_list();

 private:
  class RouterSink;
  bool authorize(const zmq::message_t& frame, Permission p, std::string_view service);

  zmq::context_t& ctx_;
  BrokerServerOptions options_;
  BrokerMetrics metrics_;
  std::unique_ptr<bus::ZapHandler> zap_;
  zmq::socket_t router_;
  std::unique_ptr<RouterSink> sink_;
  std::unique_ptr<BrokerCore> core_;
  EventProxy events_;
};

}  // namespace kai::broker
