#include "bus/worker.hpp"

#include <poll.h>

#include <algorithm>
#include <cassert>

#include "bus/mdp.hpp"
#include "common/log.hpp"
#include "ops/metrics.hpp"

namespace kai::bus {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::milliseconds;

struct WorkerPool::Conn {
  std::size_t index = 0;
  std::string endpoint;
  std::unique_ptr<zmq::socket_t> socket;  // null while waiting to reconnect
  std::uint64_t generation = 0;
  TimePoint broker_expiry;
  TimePoint heartbeat_due;
  TimePoint reconnect_at;
  milliseconds backoff{0};
  bool heard = false;  // heard from the broker since the last (re)connect
  bool busy = false;
  bool disconnect_after_reply = false;
};

struct WorkerPool::Metrics {
  prometheus::Counter& reconnects;
  prometheus::Counter& malformed;
  prometheus::Counter& requests;
};

namespace {

WorkerPool::Metrics* make_metrics(const std::string& service) {
  auto& reconnects = prometheus::BuildCounter()
                         .Name("kai_bus_reconnects_total")
                         .Help("Worker connections re-opened after the broker went silent or "
                               "sent DISCONNECT")
                         .Register(ops::registry());
  auto& malformed = prometheus::BuildCounter()
                        .Name("kai_bus_malformed_messages_total")
                        .Help("Messages received from a broker that are not valid MDP")
                        .Register(ops::registry());
  auto& requests = prometheus::BuildCounter()
                       .Name("kai_bus_worker_requests_total")
                       .Help("Requests received by this process's worker connections")
                       .Register(ops::registry());
  return new WorkerPool::Metrics{reconnects.Add({{"service", service}}),
                                 malformed.Add({{"service", service}}),
                                 requests.Add({{"service", service}})};
}

}  // namespace

WorkerPool::WorkerPool(zmq::context_t& ctx, WorkerOptions options, WorkerHandler handler)
    : ctx_(ctx),
      options_(std::move(options)),
      handler_(std::move(handler)),
      metrics_(make_metrics(options_.service)) {
  assert(options_.slots > 0 && !options_.brokers.empty());
  if (options_.handler_threads < 0) options_.handler_threads = options_.slots;
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::start() {
  assert(!started_);
  started_ = true;
  for (int s = 0; s < options_.slots; ++s) {
    for (const std::string& endpoint : options_.brokers) {
      auto c = std::make_unique<Conn>();
      c->index = conns_.size();
      c->endpoint = endpoint;
      conns_.push_back(std::move(c));
    }
  }
  for (int i = 0; i < options_.handler_threads; ++i) {
    handler_threads_.emplace_back([this] { handler_loop(); });
  }
  io_thread_ = std::thread([this] { io_loop(); });
}

void WorkerPool::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_ = true;
  wakeup_.notify();
  io_thread_.join();
  {
    std::lock_guard lock(jobs_mu_);
    jobs_closed_ = true;
  }
  jobs_cv_.notify_all();
  for (auto& t : handler_threads_) t.join();
  handler_threads_.clear();
}

void WorkerPool::open(Conn& c, TimePoint now) {
  c.socket = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::dealer);
  c.socket->set(zmq::sockopt::linger, 0);
  c.socket->set(zmq::sockopt::maxmsgsize, options_.max_message_size);
  c.socket->set(zmq::sockopt::rcvhwm, 10'000);
  c.socket->set(zmq::sockopt::sndhwm, 10'000);
  apply_curve_client(*c.socket, options_.curve);
  c.socket->connect(c.endpoint);
  ++c.generation;
  c.busy = false;
  c.heard = false;
  c.disconnect_after_reply = false;
  c.broker_expiry = now + options_.heartbeat_interval * options_.heartbeat_liveness;
  Frames ready;
  mdp::build_worker_ready(ready, options_.service);
  (void)send_frames(*c.socket, ready);  // queued until the connection is up
  c.heartbeat_due = now + options_.heartbeat_interval;
}

void WorkerPool::close(Conn& c) {
  if (!c.socket) return;
  c.socket->close();
  c.socket.reset();
  if (c.busy) in_flight_.fetch_sub(1, std::memory_order_relaxed);
  c.busy = false;
  c.heard = false;
}

void WorkerPool::schedule_reconnect(Conn& c, TimePoint now) {
  close(c);
  c.backoff = c.backoff.count() == 0 ? options_.reconnect_initial
                                     : std::min(c.backoff * 2, options_.reconnect_max);
  c.reconnect_at = now + c.backoff;
}

void WorkerPool::send_command(Conn& c, std::uint8_t command, TimePoint now) {
  Frames msg;
  mdp::build_worker_command(msg, static_cast<mdp::Command>(command));
  (void)send_frames(*c.socket, msg);
  c.heartbeat_due = now + options_.heartbeat_interval;
}

void WorkerPool::send_reply(Conn& c, zmq::message_t&& client, Frames& reply, TimePoint now) {
  Frames msg;
  msg.reserve(6 + reply.size());
  mdp::build_worker_reply(msg, std::move(client));
  for (auto& f : reply) msg.push_back(std::move(f));
  if (send_frames(*c.socket, msg) != SendResult::ok) {
    log::warn("could not send a reply to the broker").kv("broker", c.endpoint);
  }
  c.heartbeat_due = now + options_.heartbeat_interval;
  c.busy = false;
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (c.disconnect_after_reply || stopping_) {
    send_command(c, static_cast<std::uint8_t>(mdp::Command::disconnect), now);
    close(c);
  }
}

void WorkerPool::on_message(Conn& c, Frames& msg, TimePoint now) {
  Metrics* metrics = metrics_.get();
  const mdp::WorkerInbound in = mdp::parse_worker_inbound(msg);
  if (in.kind == mdp::WorkerInbound::Kind::invalid) {
    metrics->malformed.Increment();
    log::warn("malformed message from the broker dropped")
        .kv("broker", c.endpoint)
        .kv("reason", mdp::malformed_name(in.error));
    return;
  }
  if (in.kind == mdp::WorkerInbound::Kind::disconnect) {
    // The broker forgot us (it restarted, or judged us dead) or refuses us: re-register on a new
    // socket, backing off so a broker that keeps refusing is not hammered.
    metrics->reconnects.Increment();
    log::info("broker sent DISCONNECT; re-registering").kv("broker", c.endpoint);
    schedule_reconnect(c, now);
    return;
  }
  c.heard = true;
  c.backoff = milliseconds(0);
  c.broker_expiry = now + options_.heartbeat_interval * options_.heartbeat_liveness;
  switch (in.kind) {
    case mdp::WorkerInbound::Kind::heartbeat:
      return;
    case mdp::WorkerInbound::Kind::disconnect:
      return;
    case mdp::WorkerInbound::Kind::request:
      break;
    case mdp::WorkerInbound::Kind::invalid:
      return;
  }
  metrics->requests.Increment();
  if (c.busy) {
    // A broker must not send a second request before our reply; drop it rather than guess.
    metrics->malformed.Increment();
    log::warn("broker sent a request while one was in flight; dropped").kv("broker", c.endpoint);
    return;
  }
  c.busy = true;
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  zmq::message_t client = std::move(msg[in.client_address_index]);
  Frames body;
  body.reserve(msg.size() - in.body_index);
  for (std::size_t i = in.body_index; i < msg.size(); ++i) body.push_back(std::move(msg[i]));
  if (options_.handler_threads == 0) {
    Frames reply;
    handler_(body, reply);
    send_reply(c, std::move(client), reply, now);
    return;
  }
  {
    std::lock_guard lock(jobs_mu_);
    jobs_.push_back(Job{c.index, c.generation, std::move(client), std::move(body)});
  }
  jobs_cv_.notify_one();
}

void WorkerPool::handler_loop() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(jobs_mu_);
      jobs_cv_.wait(lock, [this] { return !jobs_.empty() || jobs_closed_; });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Frames reply;
    handler_(job.body, reply);
    bool was_empty;
    {
      std::lock_guard lock(done_mu_);
      was_empty = done_.empty();
      done_.push_back(Done{job.conn, job.generation, std::move(job.client), std::move(reply)});
    }
    if (was_empty) wakeup_.notify();
  }
}

void WorkerPool::drain_completions(TimePoint now) {
  std::vector<Done> done;
  {
    std::lock_guard lock(done_mu_);
    done.swap(done_);
  }
  for (Done& d : done) {
    Conn& c = *conns_[d.conn];
    // A reply for a connection that was re-opened since is dropped: the broker forgot that
    // request when it forgot the connection, and the client retries.
    if (!c.socket || c.generation != d.generation || !c.busy) continue;
    send_reply(c, std::move(d.client), d.reply, now);
  }
}

void WorkerPool::update_connected(TimePoint now) {
  bool any = false;
  for (const auto& c : conns_) {
    if (c->socket && c->heard && c->broker_expiry > now) {
      any = true;
      break;
    }
  }
  connected_.store(any, std::memory_order_relaxed);
}

void WorkerPool::io_loop() {
  Metrics& metrics = *metrics_;
  TimePoint now = Clock::now();
  for (auto& c : conns_) open(*c, now);
  log::info("worker connections opened")
      .kv("service", options_.service)
      .kv("slots", options_.slots)
      .kv("brokers", static_cast<std::uint64_t>(options_.brokers.size()));

  std::vector<zmq::pollitem_t> items;
  std::vector<Conn*> item_conn;
  Frames msg;
  TimePoint drain_deadline{};
  bool draining = false;

  while (true) {
    now = Clock::now();
    if (stopping_ && !draining) {
      draining = true;
      drain_deadline = now + options_.drain_timeout;
      for (auto& c : conns_) {
        if (!c->socket) continue;
        if (c->busy) {
          c->disconnect_after_reply = true;
        } else {
          send_command(*c, static_cast<std::uint8_t>(mdp::Command::disconnect), now);
          close(*c);
        }
      }
    }
    if (draining) {
      const bool any_open = std::any_of(conns_.begin(), conns_.end(),
                                        [](const auto& c) { return c->socket != nullptr; });
      if (!any_open || now >= drain_deadline) break;
    }

    // Timers: reconnects, broker silence, heartbeats.
    TimePoint next = now + options_.heartbeat_interval;
    for (auto& cp : conns_) {
      Conn& c = *cp;
      if (!c.socket) {
        if (draining) continue;
        if (c.reconnect_at <= now) {
          open(c, now);
        } else {
          next = std::min(next, c.reconnect_at);
          continue;
        }
      }
      if (c.broker_expiry <= now && !draining) {
        metrics.reconnects.Increment();
        log::warn("broker silent for too long; reconnecting").kv("broker", c.endpoint);
        schedule_reconnect(c, now);
        next = std::min(next, c.reconnect_at);
        continue;
      }
      if (c.heartbeat_due <= now) {
        send_command(c, static_cast<std::uint8_t>(mdp::Command::heartbeat), now);
      }
      next = std::min({next, c.heartbeat_due, c.broker_expiry});
    }
    update_connected(now);

    items.clear();
    item_conn.clear();
    for (auto& c : conns_) {
      if (!c->socket) continue;
      items.push_back({c->socket->handle(), 0, ZMQ_POLLIN, 0});
      item_conn.push_back(c.get());
    }
    items.push_back({nullptr, wakeup_.fd(), ZMQ_POLLIN, 0});
    long timeout_ms =
        std::chrono::duration_cast<milliseconds>(next - now).count() + 1;
    if (draining) timeout_ms = std::min<long>(timeout_ms, 50);
    const int rc = zmq::poll(items.data(), items.size(), milliseconds(std::max(0L, timeout_ms)));
    if (rc <= 0) continue;
    now = Clock::now();
    if (items.back().revents & ZMQ_POLLIN) {
      wakeup_.drain();
      drain_completions(now);
    }
    for (std::size_t i = 0; i + 1 < items.size(); ++i) {
      if (!(items[i].revents & ZMQ_POLLIN)) continue;
      Conn& c = *item_conn[i];
      // Drain what is waiting on this connection (the socket may be closed by a message).
      for (int n = 0; n < 64 && c.socket; ++n) {
        const RecvResult r = recv_frames(*c.socket, msg);
        if (r == RecvResult::would_block || r == RecvResult::error) break;
        if (r == RecvResult::too_many_frames) {
          metrics.malformed.Increment();
          continue;
        }
        if (draining && !c.busy) break;
        on_message(c, msg, now);
      }
    }
  }
  for (auto& c : conns_) {
    if (c->socket) {
      send_command(*c, static_cast<std::uint8_t>(mdp::Command::disconnect), now);
      close(*c);
    }
  }
  connected_ = false;
  log::info("worker connections closed").kv("service", options_.service);
}

}  // namespace kai::bus
