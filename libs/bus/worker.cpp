#include "bus/worker.hpp"

#include <algorithm>
#include <cassert>

#include <sys/epoll.h>
#include <unistd.h>

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
  bool heard = false;      // heard from the broker since the last (re)connect
  std::uint32_t held = 0;  // requests taken and not yet answered (up to the credit)
  bool disconnect_after_reply = false;
  bool dirty = false;  // queued in dirty_
  int fd = -1;         // the socket's ZMQ_FD while open
};

struct WorkerPool::Metrics {
  prometheus::Counter& reconnects;
  prometheus::Counter& malformed;
  prometheus::Counter& requests;
};

namespace {

// epoll tag of the wakeup eventfd; connections are tagged with their index.
constexpr std::uint64_t kWakeupTag = ~std::uint64_t{0};

WorkerPool::Metrics* make_metrics(const std::string& service) {
  auto& reconnects = prometheus::BuildCounter()
                         .Name("kai_bus_reconnects_total")
                         .Help(
                             "Worker connections re-opened after the broker went silent or "
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

WorkerPool::WorkerPool(zmq::context_t& ctx, WorkerOptions options, WorkerHandler handler,
                       WorkerInlineHandler inline_handler)
    : ctx_(ctx),
      options_(std::move(options)),
      handler_(std::move(handler)),
      inline_handler_(std::move(inline_handler)),
      metrics_(make_metrics(options_.service)) {
  assert(options_.slots > 0 && !options_.brokers.empty());
  assert(options_.credit >= 1 && static_cast<std::uint32_t>(options_.credit) <= mdp::kMaxCredit);
  if (options_.handler_threads < 0) options_.handler_threads = options_.slots * options_.credit;
}

WorkerPool::~WorkerPool() {
  stop();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void WorkerPool::start() {
  assert(!started_);
  started_ = true;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  assert(epoll_fd_ >= 0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeupTag;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wakeup_.fd(), &ev);
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
  for (auto& t : handler_threads_)
    t.join();
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
  c.fd = c.socket->get(zmq::sockopt::fd);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = c.index;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev);
  ++c.generation;
  c.held = 0;
  c.heard = false;
  c.disconnect_after_reply = false;
  c.broker_expiry = now + options_.heartbeat_interval * options_.heartbeat_liveness;
  Frames ready;
  mdp::build_worker_ready(ready, options_.service, static_cast<std::uint32_t>(options_.credit));
  (void)send_frames(*c.socket, ready);  // queued until the connection is up
  c.heartbeat_due = now + options_.heartbeat_interval;
  mark_dirty(c);
}

void WorkerPool::mark_dirty(Conn& c) {
  if (c.dirty || !c.socket) return;
  c.dirty = true;
  dirty_.push_back(c.index);
}

void WorkerPool::close(Conn& c) {
  if (!c.socket) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  c.fd = -1;
  c.socket->close();
  c.socket.reset();
  in_flight_.fetch_sub(c.held, std::memory_order_relaxed);
  c.held = 0;
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
  mark_dirty(c);
}

void WorkerPool::send_reply(Conn& c, zmq::message_t&& client, Frames& reply, TimePoint now) {
  Frames msg;
  msg.reserve(6 + reply.size());
  mdp::build_worker_reply(msg, std::move(client));
  for (auto& f : reply)
    msg.push_back(std::move(f));
  if (send_frames(*c.socket, msg) != SendResult::ok) {
    log::warn("could not send a reply to the broker").kv("broker", c.endpoint);
  }
  c.heartbeat_due = now + options_.heartbeat_interval;
  --c.held;
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  mark_dirty(c);
  if ((c.disconnect_after_reply || stopping_) && c.held == 0) {
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
  if (c.held >= static_cast<std::uint32_t>(options_.credit)) {
    // A broker must not send more requests than the credit we announced; drop it rather than
    // guess.
    metrics->malformed.Increment();
    log::warn("broker sent a request while one was in flight; dropped").kv("broker", c.endpoint);
    return;
  }
  ++c.held;
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  zmq::message_t client = std::move(msg[in.client_address_index]);
  Frames body;
  body.reserve(msg.size() - in.body_index);
  for (std::size_t i = in.body_index; i < msg.size(); ++i)
    body.push_back(std::move(msg[i]));
  if (options_.handler_threads == 0) {
    Frames reply;
    handler_(body, reply);
    send_reply(c, std::move(client), reply, now);
    return;
  }
  if (inline_handler_) {
    Frames reply;
    if (inline_handler_(body, reply)) {
      send_reply(c, std::move(client), reply, now);
      return;
    }
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
    if (!c.socket || c.generation != d.generation || c.held == 0) continue;
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
  for (auto& c : conns_)
    open(*c, now);
  log::info("worker connections opened")
      .kv("service", options_.service)
      .kv("slots", options_.slots)
      .kv("brokers", static_cast<std::uint64_t>(options_.brokers.size()));

  std::vector<epoll_event> events(256);
  std::vector<std::size_t> reading;
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
        if (c->held > 0) {
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

    long timeout_ms = std::chrono::duration_cast<milliseconds>(next - now).count() + 1;
    if (draining) timeout_ms = std::min<long>(timeout_ms, 50);
    if (!dirty_.empty()) timeout_ms = 0;
    const int n_events = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                                    static_cast<int>(std::max(0L, timeout_ms)));
    now = Clock::now();
    for (int e = 0; e < n_events; ++e) {
      const std::uint64_t tag = events[static_cast<std::size_t>(e)].data.u64;
      if (tag == kWakeupTag) {
        wakeup_.drain();
        drain_completions(now);
      } else if (tag < conns_.size()) {
        mark_dirty(*conns_[tag]);
      }
    }
    // Read every connection that may have something; one that still has more after a batch
    // stays queued so a busy connection cannot starve the others.
    reading.swap(dirty_);
    for (const std::size_t index : reading) {
      Conn& c = *conns_[index];
      c.dirty = false;
      int n = 0;
      for (; n < 64 && c.socket; ++n) {
        const RecvResult r = recv_frames(*c.socket, msg);
        if (r == RecvResult::would_block || r == RecvResult::error) break;
        if (r == RecvResult::too_many_frames) {
          metrics.malformed.Increment();
          continue;
        }
        if (draining && c.held == 0) break;
        on_message(c, msg, now);
      }
      if (n == 64) mark_dirty(c);
    }
    reading.clear();
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
