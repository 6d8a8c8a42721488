#include "bus/client.hpp"

#include <atomic>
#include <cassert>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>

#include <sodium.h>

#include "bus/envelope.hpp"
#include "bus/frames.hpp"
#include "bus/mdp.hpp"
#include "bus/wakeup.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "ops/metrics.hpp"

namespace kai::bus {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::milliseconds;

std::string random_id() {
  // Every HTTP request needs one or two of these; a system call each (the OS generator) was a
  // visible share of the gateway's time. So each thread draws one key from the OS and then takes
  // ChaCha20 keystream under a counter nonce: unpredictable and unique without a system call.
  struct Generator {
    unsigned char key[crypto_stream_chacha20_KEYBYTES];
    std::uint64_t counter = 0;
    Generator() {
      [[maybe_unused]] static const bool init = sodium_init() >= 0;
      randombytes_buf(key, sizeof key);
    }
    ~Generator() { sodium_memzero(key, sizeof key); }
  };
  thread_local Generator g;
  unsigned char nonce[crypto_stream_chacha20_NONCEBYTES] = {};
  static_assert(sizeof nonce >= sizeof g.counter);
  std::memcpy(nonce, &g.counter, sizeof g.counter);
  ++g.counter;
  unsigned char bytes[16];
  crypto_stream_chacha20(bytes, sizeof bytes, nonce, g.key);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xF];
  }
  return out;
}

namespace {

struct Submission {
  std::uint64_t id = 0;  // the envelope id (MMI requests: a private id, they carry none)
  bool mmi = false;
  std::string service;
  std::string header;  // encoded envelope header (or the MMI argument)
  std::string payload;
  TimePoint deadline;
  milliseconds attempt_timeout;
  int max_attempts;
  ReplyCallback done;
};

struct Pending {
  Submission sub;
  int attempts = 0;
  bool ever_sent = false;
  TimePoint attempt_deadline;
  std::size_t next_broker = 0;
};

prometheus::Family<prometheus::Counter>& client_family() {
  static auto& f = prometheus::BuildCounter()
                       .Name("kai_bus_client_requests_total")
                       .Help("Bus requests made by this process, by outcome")
                       .Register(ops::registry());
  return f;
}

}  // namespace

class Client::Impl {
 public:
  Impl(zmq::context_t& ctx, ClientOptions options)
      : ctx_(ctx),
        options_(std::move(options)),
        retries_(client_family().Add({{"outcome", "retry"}})),
        timeouts_(client_family().Add({{"outcome", "deadline_exceeded"}})),
        unreachable_(client_family().Add({{"outcome", "unavailable"}})),
        completed_(client_family().Add({{"outcome", "completed"}})) {
    assert(!options_.brokers.empty());
    for (const std::string& endpoint : options_.brokers) {
      auto s = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::dealer);
      s->set(zmq::sockopt::linger, 0);
      s->set(zmq::sockopt::immediate, 1);  // never queue requests for a broker that is down
      s->set(zmq::sockopt::sndhwm, 100'000);
      s->set(zmq::sockopt::rcvhwm, 100'000);
      s->set(zmq::sockopt::maxmsgsize, options_.max_message_size);
      apply_curve_client(*s, options_.curve);
      s->connect(endpoint);
      sockets_.push_back(std::move(s));
      mmi_fifo_.emplace_back();
    }
    thread_ = std::thread([this] { loop(); });
  }

  ~Impl() {
    stopping_ = true;
    wakeup_.notify();
    thread_.join();
  }

  void submit(Submission s) {
    bool was_empty;
    {
      std::lock_guard lock(mu_);
      was_empty = queue_.empty();
      queue_.push_back(std::move(s));
    }
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    if (was_empty) wakeup_.notify();
  }

  std::uint64_t next_id() { return next_id_.fetch_add(1, std::memory_order_relaxed); }
  std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  using TimerEntry = std::pair<TimePoint, std::uint64_t>;

  void loop() {
    std::vector<zmq::pollitem_t> items;
    for (auto& s : sockets_)
      items.push_back({s->handle(), 0, ZMQ_POLLIN, 0});
    items.push_back({nullptr, wakeup_.fd(), ZMQ_POLLIN, 0});
    Frames msg;
    std::deque<Submission> incoming;
    while (!stopping_) {
      TimePoint now = Clock::now();
      run_timers(now);
      long timeout_ms = 1000;
      if (!timers_.empty()) {
        timeout_ms = std::max<long>(
            0, std::chrono::duration_cast<milliseconds>(timers_.top().first - now).count() + 1);
      }
      if (zmq::poll(items.data(), items.size(), milliseconds(timeout_ms)) < 0) continue;
      now = Clock::now();
      if (items.back().revents & ZMQ_POLLIN) {
        wakeup_.drain();
        {
          std::lock_guard lock(mu_);
          incoming.swap(queue_);
        }
        for (Submission& s : incoming)
          start(std::move(s), now);
        incoming.clear();
      }
      for (std::size_t b = 0; b < sockets_.size(); ++b) {
        if (!(items[b].revents & ZMQ_POLLIN)) continue;
        for (int n = 0; n < 1024; ++n) {
          const RecvResult r = recv_frames(*sockets_[b], msg);
          if (r == RecvResult::would_block || r == RecvResult::error) break;
          if (r == RecvResult::ok) on_reply(b, msg);
        }
      }
    }
    // Fail what is left so no caller waits forever.
    for (auto& [id, p] : pending_) {
      finish(p, Reply{unavailable("bus client is shutting down"), {}});
    }
    pending_.clear();
    std::lock_guard lock(mu_);
    for (Submission& s : queue_) {
      s.done(Reply{unavailable("bus client is shutting down"), {}});
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  void start(Submission s, TimePoint now) {
    const std::uint64_t id = s.id;
    Pending p;
    p.sub = std::move(s);
    auto [it, inserted] = pending_.emplace(id, std::move(p));
    assert(inserted);
    send_attempt(id, it->second, now);
  }

 private:
  void send_attempt(std::uint64_t id, Pending& p, TimePoint now) {
    const std::size_t n = sockets_.size();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t b = (p.next_broker + k) % n;
      Frames out;
      out.reserve(5);
      mdp::build_client_request(out, p.sub.service);
      out.push_back(frame(p.sub.header));
      if (!p.sub.mmi) out.push_back(frame(p.sub.payload));
      if (send_frames(*sockets_[b], out) == SendResult::ok) {
        p.next_broker = (b + 1) % n;
        p.ever_sent = true;
        ++p.attempts;
        if (p.attempts > 1) retries_.Increment();
        if (p.sub.mmi) mmi_fifo_[b].push_back(id);
        p.attempt_deadline = std::min(p.sub.deadline, now + p.sub.attempt_timeout);
        timers_.push({p.attempt_deadline, id});
        return;
      }
    }
    // No broker connection right now: try again shortly, without using up an attempt.
    p.attempt_deadline = std::min(p.sub.deadline, now + milliseconds(50));
    timers_.push({p.attempt_deadline, id});
  }

  void run_timers(TimePoint now) {
    while (!timers_.empty() && timers_.top().first <= now) {
      const auto [when, id] = timers_.top();
      timers_.pop();
      auto it = pending_.find(id);
      if (it == pending_.end() || it->second.attempt_deadline != when) continue;  // stale
      Pending& p = it->second;
      if (now >= p.sub.deadline || (p.sub.mmi && p.attempts >= 1) ||
          (p.attempts >= p.sub.max_attempts && p.ever_sent)) {
        // Out of time or attempts. Wait for the last attempt until the overall deadline.
        if (now < p.sub.deadline && !p.sub.mmi) {
          p.attempt_deadline = p.sub.deadline;
          timers_.push({p.attempt_deadline, id});
          continue;
        }
        Status st = p.ever_sent
                        ? deadline_exceeded("no reply from service '" + p.sub.service +
                                            "' before the deadline")
                        : unavailable("no broker reachable for service '" + p.sub.service + "'");
        (p.ever_sent ? timeouts_ : unreachable_).Increment();
        finish(p, Reply{std::move(st), {}});
        pending_.erase(it);
        continue;
      }
      send_attempt(id, p, now);
    }
  }

  void on_reply(std::size_t broker, Frames& msg) {
    const mdp::ClientInbound in = mdp::parse_client_inbound(msg);
    if (!in.valid || msg.size() <= in.body_index) {
      log::warn("malformed reply from the broker dropped")
          .kv("reason", mdp::malformed_name(in.error));
      return;
    }
    if (in.service.starts_with(mdp::kMmiPrefix)) {
      auto& fifo = mmi_fifo_[broker];
      while (!fifo.empty()) {
        const std::uint64_t id = fifo.front();
        fifo.pop_front();
        auto it = pending_.find(id);
        if (it == pending_.end()) continue;  // timed out already
        finish(it->second, Reply{Status::Ok(), std::string(view(msg[in.body_index]))});
        pending_.erase(it);
        break;
      }
      return;
    }
    auto header = decode_reply_header(view(msg[in.body_index]));
    if (!header.ok()) {
      log::warn("reply with an invalid envelope dropped").kv("error", header.status().message());
      return;
    }
    auto it = pending_.find(header->id);
    if (it == pending_.end()) return;  // late reply to a request already answered or expired
    Reply r{header->status, {}};
    if (r.status.ok() && msg.size() > in.body_index + 1) {
      r.payload.assign(view(msg[in.body_index + 1]));
    }
    finish(it->second, std::move(r));
    pending_.erase(it);
  }

  void finish(Pending& p, Reply&& r) {
    completed_.Increment();
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    p.sub.done(std::move(r));
  }

  zmq::context_t& ctx_;
  ClientOptions options_;
  std::vector<std::unique_ptr<zmq::socket_t>> sockets_;
  std::vector<std::deque<std::uint64_t>> mmi_fifo_;
  Wakeup wakeup_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::size_t> in_flight_{0};
  std::mutex mu_;
  std::deque<Submission> queue_;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
  prometheus::Counter& retries_;
  prometheus::Counter& timeouts_;
  prometheus::Counter& unreachable_;
  prometheus::Counter& completed_;
};

}  // namespace kai::bus

namespace kai::bus {

Client::Client(zmq::context_t& ctx, ClientOptions options)
    : impl_(std::make_unique<Impl>(ctx, std::move(options))) {}

Client::~Client() = default;

void Client::call_async(std::string_view service, std::string_view op, std::string payload,
                        CallOptions options, ReplyCallback done) {
  RequestHeader h;
  h.id = impl_->next_id();
  h.op = std::string(op);
  h.deadline_ms = now_unix_ms() + options.timeout.count();
  h.idempotency_key = std::move(options.idempotency_key);
  if (options.write && h.idempotency_key.empty()) h.idempotency_key = random_id();
  h.request_id = std::move(options.request_id);
  h.trace_id = std::move(options.trace_id);
  h.principal = std::move(options.principal);
  const int attempts = std::max(1, options.max_attempts);
  Submission sub;
  sub.id = h.id;
  sub.service = std::string(service);
  sub.header = encode_request_header(h);
  sub.payload = std::move(payload);
  sub.deadline = Clock::now() + options.timeout;
  sub.attempt_timeout = options.attempt_timeout.count() > 0
                            ? options.attempt_timeout
                            : std::max(milliseconds(1), options.timeout / attempts);
  sub.max_attempts = attempts;
  sub.done = std::move(done);
  impl_->submit(std::move(sub));
}

Reply Client::call(std::string_view service, std::string_view op, std::string payload,
                   CallOptions options) {
  auto promise = std::make_shared<std::promise<Reply>>();
  auto future = promise->get_future();
  call_async(service, op, std::move(payload), std::move(options),
             [promise](Reply&& r) { promise->set_value(std::move(r)); });
  return future.get();
}

Result<std::string> Client::mmi(std::string_view mmi_service, std::string_view argument,
                                std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<Reply>>();
  auto future = promise->get_future();
  Submission sub;
  sub.id = impl_->next_id() | (1ULL << 63);
  sub.mmi = true;
  sub.service = std::string(mmi_service);
  sub.header = std::string(argument);
  sub.deadline = Clock::now() + timeout;
  sub.attempt_timeout = timeout;
  sub.max_attempts = 1;
  sub.done = [promise](Reply&& r) { promise->set_value(std::move(r)); };
  impl_->submit(std::move(sub));
  Reply r = future.get();
  if (!r.status.ok()) return r.status;
  return std::move(r.payload);
}

std::size_t Client::in_flight() const {
  return impl_->in_flight();
}

}  // namespace kai::bus
