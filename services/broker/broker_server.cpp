#include "broker/broker_server.hpp"

#include <poll.h>

#include "common/log.hpp"
#include "common/signals.hpp"
#include "ops/metrics.hpp"

namespace kai::broker {

class BrokerServer::RouterSink : public Sink {
 public:
  explicit RouterSink(zmq::socket_t& s) : s_(s) {}
  bus::SendResult send(bus::Frames& msg) override { return bus::send_frames(s_, msg); }

 private:
  zmq::socket_t& s_;
};

BrokerServer::BrokerServer(zmq::context_t& ctx, BrokerServerOptions options)
    : ctx_(ctx),
      options_(std::move(options)),
      metrics_(ops::registry()),
      router_(ctx, zmq::socket_type::router),
      events_(ctx, metrics_) {}

BrokerServer::~BrokerServer() = default;

bool BrokerServer::authorize(const zmq::message_t& frame, Permission p, std::string_view service) {
  const char* key = zmq_msg_gets(const_cast<zmq_msg_t*>(frame.handle()), "User-Id");
  if (key == nullptr) return false;
  const auto allow = zap_->current();
  const bus::Roles* roles = allow->find(key);
  if (roles == nullptr) return false;
  return p == Permission::send_request ? roles->may_request() : roles->may_serve(service);
}

Status BrokerServer::start() {
  Authorizer authorizer;
  if (options_.curve.enabled()) {
    auto allow = bus::AllowList::load(options_.allow_file);
    if (!allow.ok()) return allow.status();
    log::info("CurveZMQ on").kv("allowed_keys", static_cast<std::uint64_t>(allow->size()));
    zap_ = std::make_unique<bus::ZapHandler>(
        ctx_, std::make_shared<const bus::AllowList>(std::move(allow).value()));
    authorizer = [this](const zmq::message_t& f, Permission p, std::string_view s) {
      return authorize(f, p, s);
    };
  } else {
    log::warn("CurveZMQ off: the bus is neither authenticated nor encrypted");
  }
  router_.set(zmq::sockopt::linger, 0);
  router_.set(zmq::sockopt::router_mandatory, 1);
  router_.set(zmq::sockopt::maxmsgsize, options_.max_message_size);
  router_.set(zmq::sockopt::sndhwm, 100'000);
  router_.set(zmq::sockopt::rcvhwm, 100'000);
  bus::apply_curve_server(router_, options_.curve, bus::kZapDomainBus);
  try {
    router_.bind(options_.bind);
  } catch (const zmq::error_t& e) {
    return unavailable("cannot bind " + options_.bind + ": " + e.what());
  }
  log::info("broker listening").kv("endpoint", router_.get(zmq::sockopt::last_endpoint));
  KAI_RETURN_IF_ERROR(events_.start(options_.events_xsub_bind, options_.events_xpub_bind,
                                    options_.curve, options_.max_message_size));
  sink_ = std::make_unique<RouterSink>(router_);
  core_ = std::make_unique<BrokerCore>(options_.core, *sink_, metrics_, std::move(authorizer));
  return Status::Ok();
}

Status BrokerServer::reload_allow_list() {
  if (!zap_) return Status::Ok();
  auto allow = bus::AllowList::load(options_.allow_file);
  if (!allow.ok()) {
    log::error("allow-list reload failed; keeping the old one")
        .kv("error", allow.status().message());
    return allow.status();
  }
  log::info("allow-list reloaded").kv("allowed_keys", static_cast<std::uint64_t>(allow->size()));
  zap_->replace(std::make_shared<const bus::AllowList>(std::move(allow).value()));
  return Status::Ok();
}

void BrokerServer::run(ShutdownSignals& signals) {
  zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                             {nullptr, signals.fd(), ZMQ_POLLIN, 0}};
  bus::Frames msg;
  msg.reserve(16);
  TimePoint next_tick = Clock::now();
  while (true) {
    TimePoint now = Clock::now();
    if (now >= next_tick) next_tick = core_->tick(now);
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - now).count() + 1;
    if (zmq::poll(items, 2, std::chrono::milliseconds(wait)) < 0) continue;
    if (items[1].revents & ZMQ_POLLIN) {
      const auto e = signals.read();
      if (e == ShutdownSignals::Event::shutdown) break;
      if (e == ShutdownSignals::Event::reload) (void)reload_allow_list();
    }
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    // Drain a batch before looking at timers again; bounded so ticks stay timely under load.
    for (int n = 0; n < 4096; ++n) {
      const bus::RecvResult r = bus::recv_frames(router_, msg);
      if (r == bus::RecvResult::would_block || r == bus::RecvResult::error) break;
      if (r == bus::RecvResult::too_many_frames) {
        core_->discarded(bus::mdp::Malformed::too_many_frames);
        continue;
      }
      core_->handle(msg, (n & 63) == 0 ? (now = Clock::now()) : now);
    }
  }
  log::info("broker shutting down: disconnecting workers");
  core_->disconnect_all();
  events_.stop();
  router_.close();
}

}  // namespace kai::broker
