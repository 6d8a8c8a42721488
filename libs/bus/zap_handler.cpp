#include "bus/zap_handler.hpp"

#include <unordered_set>

#include <prometheus/counter.h>

#include "bus/curve.hpp"
#include "bus/frames.hpp"
#include "common/log.hpp"
#include "ops/metrics.hpp"

namespace kai::bus {
namespace {

prometheus::Family<prometheus::Counter>& zap_family() {
  static auto& f = prometheus::BuildCounter()
                       .Name("kai_broker_handshakes_total")
                       .Help(
                           "CurveZMQ handshakes decided by the broker's ZAP handler, by domain "
                           "and result")
                       .Register(ops::registry());
  return f;
}

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& ctx, std::shared_ptr<const AllowList> allow)
    : ctx_(ctx), allow_(std::move(allow)), socket_(ctx_, zmq::socket_type::rep) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
  thread_ = std::thread([this] { run(); });
}

ZapHandler::~ZapHandler() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ZapHandler::replace(std::shared_ptr<const AllowList> allow) {
  std::lock_guard lock(mu_);
  allow_ = std::move(allow);
}

std::shared_ptr<const AllowList> ZapHandler::current() const {
  std::lock_guard lock(mu_);
  return allow_;
}

void ZapHandler::run() {
  std::unordered_set<std::string> refused_logged;
  Frames req;
  while (!stop_) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) <= 0) continue;
    if (recv_frames(socket_, req, 16) != RecvResult::ok) continue;
    // Request: version, request id, domain, address, identity, mechanism, credentials...
    std::string status = "400", text = "refused", user_id;
    std::string domain, mechanism;
    if (req.size() >= 6 && view(req[0]) == "1.0") {
      domain = std::string(view(req[2]));
      mechanism = std::string(view(req[5]));
      if (mechanism == "CURVE" && req.size() == 7) {
        const std::string key = z85_from_binary_key(view(req[6]));
        const auto allow = current();
        const Roles* roles = allow ? allow->find(key) : nullptr;
        bool ok = roles != nullptr;
        if (ok && domain == kZapDomainPublish) ok = roles->may_publish();
        if (ok && domain == kZapDomainSubscribe) ok = roles->may_subscribe();
        if (ok) {
          status = "200";
          text = "OK";
          user_id = key;
        } else if (refused_logged.size() < 10'000 && refused_logged.insert(key + domain).second) {
          log::warn(roles == nullptr ? "bus handshake refused: unknown public key"
                                     : "bus handshake refused: key lacks the role for this socket")
              .kv("key", key)
              .kv("domain", domain)
              .kv("address", view(req[3]));
        }
      } else if (mechanism == "NULL") {
        // Only reachable when CURVE is off: the bus is open by configuration.
        status = "200";
        text = "OK";
      }
    }
    zap_family()
        .Add({{"domain", domain.empty() ? "unknown" : domain},
              {"result", status == "200" ? "accepted" : "refused"}})
        .Increment();
    Frames reply;
    reply.push_back(frame("1.0"));
    reply.push_back(req.size() > 1 ? std::move(req[1]) : zmq::message_t());
    reply.push_back(frame(status));
    reply.push_back(frame(text));
    reply.push_back(frame(user_id));
    reply.emplace_back();  // metadata
    // REP sockets are strict: block until the reply is queued (inproc, immediate).
    for (std::size_t i = 0; i < reply.size(); ++i) {
      socket_.send(reply[i],
                   i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
  socket_.close();
}

}  // namespace kai::bus
