#include "broker/broker_core.hpp"

#include <algorithm>
#include <cassert>

#include "common/log.hpp"

namespace kai::broker {

using bus::frame;
using bus::Frames;
using bus::SendResult;
using bus::view;
namespace mdp = bus::mdp;
using Kind = mdp::BrokerInbound::Kind;

namespace {
constexpr std::size_t kMaxLoggedPeers = 10'000;
}  // namespace

BrokerCore::BrokerCore(BrokerOptions options, Sink& sink, BrokerMetrics& metrics,
                       Authorizer authorizer)
    : options_(options),
      sink_(sink),
      metrics_(metrics),
      authorizer_(std::move(authorizer)),
      expiry_(options.heartbeat_interval * options.heartbeat_liveness) {
  out_.reserve(16);
}

BrokerCore::~BrokerCore() = default;

void BrokerCore::handle(Frames& msg, TimePoint now) {
  const mdp::BrokerInbound in = mdp::parse_broker_inbound(msg);
  switch (in.kind) {
    case Kind::invalid:
      on_malformed(in.sender, in.error);
      return;
    case Kind::client_request:
      if (in.service.starts_with(mdp::kMmiPrefix)) {
        on_mmi(msg, in);
      } else {
        on_client_request(msg, in, now);
      }
      return;
    case Kind::worker_ready:
      on_ready(msg, in, now);
      return;
    default:
      break;
  }
  // The rest needs a registered worker.
  auto it = workers_.find(in.sender);
  if (it == workers_.end()) {
    if (in.kind == Kind::worker_disconnect) return;  // already gone: nothing to say
    metrics_.protocol_error("unknown_worker");
    log_once(in.sender, "command from a worker that is not registered; sent DISCONNECT");
    send_command(in.sender, mdp::Command::disconnect);
    return;
  }
  Worker& w = *it->second;
  w.expiry = now + expiry_;  // any command is a heartbeat
  switch (in.kind) {
    case Kind::worker_reply:
      on_reply(msg, w, in, now);
      return;
    case Kind::worker_heartbeat:
      return;
    case Kind::worker_disconnect:
      delete_worker(w, false);
      return;
    default:
      assert(false && "all kinds handled above");
  }
}

void BrokerCore::discarded(mdp::Malformed why) {
  metrics_.malformed(why);
}

void BrokerCore::on_malformed(std::string_view sender, mdp::Malformed why) {
  metrics_.malformed(why);
  log_once(sender,
           std::string("malformed message dropped: ") + std::string(mdp::malformed_name(why)));
  // A worker that sends garbage is no longer trusted with requests (7/MDP: "treat that peer as
  // invalid").
  auto it = workers_.find(sender);
  if (it != workers_.end()) delete_worker(*it->second, true);
}

void BrokerCore::log_once(std::string_view peer, std::string_view what) {
  if (logged_peers_.size() >= kMaxLoggedPeers) logged_peers_.clear();
  if (!logged_peers_.emplace(peer).second) return;
  log::warn(what).kv("peer", log::hex(peer));
}

BrokerCore::Service* BrokerCore::find_or_create_service(std::string_view name, TimePoint now) {
  auto it = services_.find(name);
  if (it != services_.end()) return it->second.get();
  if (services_.size() >= options_.max_services) return nullptr;
  auto s = std::make_unique<Service>();
  s->name = std::string(name);
  s->last_active = now;
  s->m = metrics_.for_service(s->name);
  Service* raw = s.get();
  services_.emplace(s->name, std::move(s));
  metrics_.services().Set(static_cast<double>(services_.size()));
  return raw;
}

void BrokerCore::on_mmi(Frames& msg, const mdp::BrokerInbound& in) {
  metrics_.mmi().Increment();
  std::string_view answer = mdp::kMmiNotImplemented;
  if (in.service == mdp::kMmiService) {
    auto it = services_.find(view(msg[in.body_index]));
    answer = (it != services_.end() && it->second->worker_count > 0) ? mdp::kMmiFound
                                                                     : mdp::kMmiNotFound;
  }
  out_.clear();
  out_.push_back(std::move(msg[0]));
  out_.emplace_back();
  out_.push_back(frame(mdp::kClientHeader));
  out_.push_back(std::move(msg[3]));
  out_.push_back(frame(answer));
  if (sink_.send(out_) != SendResult::ok) metrics_.undeliverable("client_gone");
}

void BrokerCore::on_client_request(Frames& msg, const mdp::BrokerInbound& in, TimePoint now) {
  if (authorizer_ && !authorizer_(msg[2], Permission::send_request, in.service)) {
    metrics_.denied("request");
    log_once(in.sender, "request refused: the peer's key may not send requests");
    return;
  }
  Service* s = find_or_create_service(in.service, now);
  if (s == nullptr) {
    metrics_.undeliverable("too_many_services");
    log_once(in.sender, "request for a new service refused: service table full");
    return;
  }
  s->last_active = now;
  if (s->queue.empty() && dispatch(*s, msg[0], msg, in.body_index, now)) return;
  if (s->queue.size() >= options_.queue_limit || total_queued_ >= options_.total_queue_limit) {
    s->m.dropped_queue_full->Increment();
    return;
  }
  QueuedRequest q;
  q.client = std::move(msg[0]);
  q.body.reserve(msg.size() - in.body_index);
  for (std::size_t i = in.body_index; i < msg.size(); ++i)
    q.body.push_back(std::move(msg[i]));
  q.deadline = now + options_.queue_deadline;
  s->queue.push_back(std::move(q));
  ++total_queued_;
  s->m.queue_depth->Set(static_cast<double>(s->queue.size()));
}

bool BrokerCore::dispatch(Service& s, zmq::message_t& client, Frames& body, std::size_t body_index,
                          TimePoint now) {
  while (s.idle_head != nullptr) {
    Worker& w = *s.idle_head;
    out_.clear();
    out_.push_back(frame(w.identity));
    out_.emplace_back();
    out_.push_back(frame(mdp::kWorkerHeader));
    static constexpr char kRequest = static_cast<char>(mdp::Command::request);
    out_.push_back(frame(std::string_view(&kRequest, 1)));
    out_.push_back(frame(view(client)));
    out_.emplace_back();
    for (std::size_t i = body_index; i < body.size(); ++i)
      out_.push_back(std::move(body[i]));
    const SendResult r = sink_.send(out_);
    if (r == SendResult::ok) {
      remove_idle(w);
      w.clients.emplace_back(view(client));
      // Room left: back of the line, so requests rotate over every worker of the service.
      if (w.clients.size() < w.credit) push_idle(w);
      w.heartbeat_due = now + options_.heartbeat_interval;
      s.m.routed->Increment();
      return true;
    }
    // Give the body back untouched and forget the worker: it is gone or wedged.
    for (std::size_t i = body_index, k = 6; i < body.size(); ++i, ++k) {
      body[i] = std::move(out_[k]);
    }
    metrics_.undeliverable(r == SendResult::would_block ? "worker_full" : "worker_gone");
    delete_worker(w, false);
  }
  return false;
}

void BrokerCore::on_ready(Frames& msg, const mdp::BrokerInbound& in, TimePoint now) {
  if (workers_.count(in.sender) != 0) {
    metrics_.protocol_error("duplicate_ready");
    log_once(in.sender, "second READY from a worker; sent DISCONNECT");
    delete_worker(*workers_.find(in.sender)->second, true);
    return;
  }
  if (in.service.starts_with(mdp::kMmiPrefix)) {
    metrics_.protocol_error("ready_for_mmi");
    log_once(in.sender, "worker tried to register an mmi.* service; sent DISCONNECT");
    send_command(in.sender, mdp::Command::disconnect);
    return;
  }
  if (authorizer_ && !authorizer_(msg[2], Permission::register_worker, in.service)) {
    metrics_.denied("ready");
    log::warn("worker registration refused: its key is not allowed to serve this service")
        .kv("peer", log::hex(in.sender))
        .kv("service", in.service);
    send_command(in.sender, mdp::Command::disconnect);
    return;
  }
  Service* s = find_or_create_service(in.service, now);
  if (s == nullptr) {
    metrics_.undeliverable("too_many_services");
    send_command(in.sender, mdp::Command::disconnect);
    return;
  }
  auto w = std::make_unique<Worker>();
  w->identity = std::string(in.sender);
  w->service = s;
  w->credit = in.credit;
  w->clients.reserve(in.credit);
  w->expiry = now + expiry_;
  w->heartbeat_due = now + options_.heartbeat_interval;
  Worker& ref = *w;
  workers_.emplace(w->identity, std::move(w));
  ++s->worker_count;
  s->had_workers = true;
  s->m.workers->Set(static_cast<double>(s->worker_count));
  s->last_active = now;
  log::info("worker registered")
      .kv("service", s->name)
      .kv("peer", log::hex(in.sender))
      .kv("credit", static_cast<std::uint64_t>(in.credit));
  worker_ready(ref, now);
}

void BrokerCore::on_reply(Frames& msg, Worker& w, const mdp::BrokerInbound& in, TimePoint now) {
  const auto held = std::find(w.clients.begin(), w.clients.end(), in.client_address);
  if (held == w.clients.end()) {
    metrics_.protocol_error(w.clients.empty() ? "reply_while_idle" : "reply_to_wrong_client");
    log_once(in.sender, "unexpected REPLY from a worker; sent DISCONNECT");
    delete_worker(w, true);
    return;
  }
  Service& s = *w.service;
  out_.clear();
  out_.push_back(std::move(msg[4]));
  out_.emplace_back();
  out_.push_back(frame(mdp::kClientHeader));
  out_.push_back(frame(s.name));
  for (std::size_t i = in.body_index; i < msg.size(); ++i)
    out_.push_back(std::move(msg[i]));
  const SendResult r = sink_.send(out_);
  if (r == SendResult::ok) {
    s.m.replies->Increment();
  } else {
    metrics_.undeliverable(r == SendResult::would_block ? "client_full" : "client_gone");
  }
  *held = std::move(w.clients.back());
  w.clients.pop_back();
  if (!w.idle) worker_ready(w, now);
}

void BrokerCore::worker_ready(Worker& w, TimePoint now) {
  Service& s = *w.service;
  push_idle(w);
  // Queued requests go out while some worker has room (the queue is only ever non-empty when
  // none had).
  while (!s.queue.empty() && s.idle_head != nullptr) {
    QueuedRequest& q = s.queue.front();
    if (q.deadline <= now) {
      s.m.dropped_deadline->Increment();
    } else if (!dispatch(s, q.client, q.body, 0, now)) {
      break;  // every idle worker was gone; the request stays queued
    }
    s.queue.pop_front();
    --total_queued_;
  }
  s.m.queue_depth->Set(static_cast<double>(s.queue.size()));
}

void BrokerCore::push_idle(Worker& w) {
  assert(!w.idle);
  Service& s = *w.service;
  w.idle = true;
  w.idle_prev = s.idle_tail;
  w.idle_next = nullptr;
  if (s.idle_tail != nullptr) {
    s.idle_tail->idle_next = &w;
  } else {
    s.idle_head = &w;
  }
  s.idle_tail = &w;
  ++s.idle_count;
}

void BrokerCore::remove_idle(Worker& w) {
  if (!w.idle) return;
  Service& s = *w.service;
  if (w.idle_prev != nullptr) {
    w.idle_prev->idle_next = w.idle_next;
  } else {
    s.idle_head = w.idle_next;
  }
  if (w.idle_next != nullptr) {
    w.idle_next->idle_prev = w.idle_prev;
  } else {
    s.idle_tail = w.idle_prev;
  }
  w.idle = false;
  w.idle_prev = w.idle_next = nullptr;
  --s.idle_count;
}

void BrokerCore::delete_worker(Worker& w, bool send_disconnect) {
  if (send_disconnect) send_command(w.identity, mdp::Command::disconnect);
  remove_idle(w);
  Service& s = *w.service;
  --s.worker_count;
  s.m.workers->Set(static_cast<double>(s.worker_count));
  auto it = workers_.find(w.identity);
  assert(it != workers_.end());
  workers_.erase(it);  // destroys w
}

void BrokerCore::send_command(std::string_view identity, mdp::Command cmd) {
  mdp::build_worker_command(out_, cmd);
  out_.insert(out_.begin(), frame(identity));
  (void)sink_.send(out_);  // best effort: the peer may be gone already
}

TimePoint BrokerCore::tick(TimePoint now) {
  // Expire every dead worker, busy or idle, and heartbeat the living ones that have heard
  // nothing from us for an interval.
  std::vector<Worker*> dead;
  for (auto& [id, w] : workers_) {
    if (w->expiry <= now) {
      dead.push_back(w.get());
    } else if (w->heartbeat_due <= now) {
      send_command(w->identity, mdp::Command::heartbeat);
      w->heartbeat_due = now + options_.heartbeat_interval;
    }
  }
  for (Worker* w : dead) {
    w->service->m.expired_workers->Increment();
    log::warn("worker expired: no heartbeat")
        .kv("service", w->service->name)
        .kv("peer", log::hex(w->identity))
        .kv("requests_held", static_cast<std::uint64_t>(w->clients.size()));
    delete_worker(*w, false);
  }
  // Queues are FIFO with one deadline length, so expired requests are at the front.
  for (auto it = services_.begin(); it != services_.end();) {
    Service& s = *it->second;
    std::size_t dropped = 0;
    while (!s.queue.empty() && s.queue.front().deadline <= now) {
      s.queue.pop_front();
      ++dropped;
    }
    if (dropped > 0) {
      total_queued_ -= dropped;
      s.m.dropped_deadline->Increment(static_cast<double>(dropped));
      s.m.queue_depth->Set(static_cast<double>(s.queue.size()));
    }
    if (!s.had_workers && s.queue.empty() && now - s.last_active > options_.idle_service_ttl) {
      metrics_.release(s.m);
      it = services_.erase(it);
      metrics_.services().Set(static_cast<double>(services_.size()));
    } else {
      ++it;
    }
  }
  // Run again when the next heartbeat could be due, but at least ten times per interval so
  // queue deadlines are honoured closely.
  return now + std::min<std::chrono::milliseconds>(options_.heartbeat_interval / 10,
                                                   std::chrono::milliseconds(100));
}

void BrokerCore::disconnect_all() {
  while (!workers_.empty())
    delete_worker(*workers_.begin()->second, true);
}

std::size_t BrokerCore::worker_count(std::string_view service) const {
  auto it = services_.find(service);
  return it == services_.end() ? 0 : it->second->worker_count;
}

std::size_t BrokerCore::idle_count(std::string_view service) const {
  auto it = services_.find(service);
  return it == services_.end() ? 0 : it->second->idle_count;
}

std::size_t BrokerCore::queue_depth(std::string_view service) const {
  auto it = services_.find(service);
  return it == services_.end() ? 0 : it->second->queue.size();
}

}  // namespace kai::broker
