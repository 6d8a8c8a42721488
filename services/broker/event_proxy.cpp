#include "broker/event_proxy.hpp"

#include "bus/frames.hpp"
#include "common/log.hpp"

namespace kai::broker {

EventProxy::EventProxy(zmq::context_t& ctx, BrokerMetrics& metrics)
    : xsub_(ctx, zmq::socket_type::xsub), xpub_(ctx, zmq::socket_type::xpub), metrics_(metrics) {}

EventProxy::~EventProxy() {
  stop();
}

Status EventProxy::start(const std::string& xsub_bind, const std::string& xpub_bind,
                         const bus::CurveConfig& curve, std::int64_t max_message_size) {
  for (zmq::socket_t* s : {&xsub_, &xpub_}) {
    s->set(zmq::sockopt::linger, 0);
    s->set(zmq::sockopt::maxmsgsize, max_message_size);
    s->set(zmq::sockopt::sndhwm, 100'000);
    s->set(zmq::sockopt::rcvhwm, 100'000);
  }
  bus::apply_curve_server(xsub_, curve, bus::kZapDomainPublish);
  bus::apply_curve_server(xpub_, curve, bus::kZapDomainSubscribe);
  try {
    xsub_.bind(xsub_bind);
    xpub_.bind(xpub_bind);
  } catch (const zmq::error_t& e) {
    return unavailable(std::string("cannot bind the event bus: ") + e.what());
  }
  log::info("event bus listening")
      .kv("xsub", xsub_.get(zmq::sockopt::last_endpoint))
      .kv("xpub", xpub_.get(zmq::sockopt::last_endpoint));
  thread_ = std::thread([this] { run(); });
  return Status::Ok();
}

void EventProxy::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void EventProxy::run() {
  bus::Frames msg;
  zmq::pollitem_t items[] = {{xsub_.handle(), 0, ZMQ_POLLIN, 0},
                             {xpub_.handle(), 0, ZMQ_POLLIN, 0}};
  while (!stop_) {
    if (zmq::poll(items, 2, std::chrono::milliseconds(100)) <= 0) continue;
    if (items[0].revents & ZMQ_POLLIN) {
      for (int n = 0; n < 1024; ++n) {
        const auto r = bus::recv_frames(xsub_, msg, 8);
        if (r == bus::RecvResult::would_block || r == bus::RecvResult::error) break;
        if (r == bus::RecvResult::too_many_frames) {
          metrics_.malformed(bus::mdp::Malformed::too_many_frames);
          continue;
        }
        if (bus::send_frames(xpub_, msg) == bus::SendResult::ok)
          metrics_.events_relayed().Increment();
      }
    }
    if (items[1].revents & ZMQ_POLLIN) {
      // Subscription changes from subscribers, passed up to publishers.
      for (int n = 0; n < 1024; ++n) {
        const auto r = bus::recv_frames(xpub_, msg, 2);
        if (r == bus::RecvResult::would_block || r == bus::RecvResult::error) break;
        if (r == bus::RecvResult::ok) (void)bus::send_frames(xsub_, msg);
      }
    }
  }
  xsub_.close();
  xpub_.close();
}

}  // namespace kai::broker
