#include "http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.hpp"
#include "common/time.hpp"
#include "http/address.hpp"
#include "ops/metrics.hpp"

namespace kai::http {
namespace detail {

class Loop;

struct Completion {
  std::uint32_t slot;
  std::uint32_t gen;
  std::uint64_t seq;
  Response response;
};

struct Incoming {
  int fd;
  sockaddr_storage addr;
};

// What a loop shares with other threads: completions posted by Responders, connections handed
// over by the acceptor, and the stop request. Owned jointly by the loop and every Responder, so a
// Responder outliving the loop (or the server) still has something valid to talk to.
struct Mailbox {
  explicit Mailbox(int fd) : event_fd(fd) {}
  ~Mailbox() {
    for (const Incoming& in : incoming)
      ::close(in.fd);
    if (event_fd >= 0) ::close(event_fd);
  }
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Caller holds mu.
  void wake_locked() {
    if (wake_pending) return;
    wake_pending = true;
    const std::uint64_t one = 1;
    // The counter cannot overflow (it is reset on every wake-up), so this write cannot fail
    // except on a broken descriptor, which the loop would notice on its own.
    [[maybe_unused]] const ssize_t n = ::write(event_fd, &one, sizeof one);
  }

  std::mutex mu;
  std::vector<Completion> completions;  // guarded by mu
  std::vector<Incoming> incoming;       // guarded by mu
  bool stop_requested = false;          // guarded by mu
  bool closed = false;                  // guarded by mu: the loop is gone, drop everything
  bool wake_pending = false;            // guarded by mu
  const int event_fd;
  Loop* loop = nullptr;  // set before the loop thread starts; used only on that thread
};

// Set on a loop thread while its loop runs: lets a Responder completed on the connection's own
// thread (the common, synchronous case) skip the queue and the eventfd.
thread_local Mailbox* t_loop_mailbox = nullptr;

struct ResponderAccess {
  static Responder make(std::shared_ptr<Mailbox> mb, std::uint32_t slot, std::uint32_t gen,
                        std::uint64_t seq) {
    return Responder(std::move(mb), slot, gen, seq);
  }
};

void deliver(std::shared_ptr<Mailbox> mb, std::uint32_t slot, std::uint32_t gen, std::uint64_t seq,
             Response&& response);

namespace {

using TimePoint = SteadyClock::time_point;

constexpr std::uint64_t kListenTag = ~std::uint64_t{0};
constexpr std::uint64_t kWakeTag = ~std::uint64_t{0} - 1;
constexpr std::size_t kOutHighWater = 1024 * 1024;  // stop parsing pipelined requests above this
constexpr std::size_t kInitialInBuffer = 4096;
constexpr int kMaxAcceptsPerEvent = 64;
constexpr int kMaxServiceRounds = 16;  // per connection per wake-up, for fairness

enum class ConnState : std::uint8_t {
  head,       // reading (the next) request
  waiting,    // the handler has the request; waiting for its Responder
  closing,    // final response queued; close (or linger) once it is written
  lingering,  // write side shut down; discarding input until the client closes
  closed,
};

enum TimerKind : std::int8_t {
  kHeaderTimer = 0,
  kBodyTimer,
  kIdleTimer,
  kLingerTimer,
  kWriteTimer,
  kTimerKinds,
  kNoTimer = -1,
};

struct Connection;

struct TimerNode {
  Connection* conn = nullptr;
  TimerNode* prev = nullptr;
  TimerNode* next = nullptr;
  TimePoint deadline{};
  std::int8_t list = kNoTimer;
};

// Every timer of one kind has the same duration, so appending at the tail keeps a list sorted by
// deadline: arming, re-arming and cancelling are O(1) and expiry looks only at the heads.
struct TimerList {
  TimerNode* head = nullptr;
  TimerNode* tail = nullptr;
  SteadyClock::duration timeout{};

  void push_back(TimerNode* n) {
    n->prev = tail;
    n->next = nullptr;
    if (tail != nullptr) {
      tail->next = n;
    } else {
      head = n;
    }
    tail = n;
  }
  void remove(TimerNode* n) {
    if (n->prev != nullptr) {
      n->prev->next = n->next;
    } else {
      head = n->next;
    }
    if (n->next != nullptr) {
      n->next->prev = n->prev;
    } else {
      tail = n->prev;
    }
    n->prev = n->next = nullptr;
  }
};

// Input buffer: one allocation, grows to a cap, consumed from the front.
class InBuffer {
 public:
  std::string_view view() const { return {buf_.get() + begin_, end_ - begin_}; }
  std::size_t size() const { return end_ - begin_; }
  void consume(std::size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Room at the end for reading, growing up to `max_total` bytes held; 0 when full.
  std::size_t prepare(std::size_t max_total) {
    if (end_ == cap_ || cap_ == 0) {
      if (begin_ > 0) {
        std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      } else if (cap_ < max_total) {
        const std::size_t cap = std::min(std::max(cap_ * 2, kInitialInBuffer), max_total);
        auto bigger = std::make_unique_for_overwrite<char[]>(cap);
        if (end_ > 0) std::memcpy(bigger.get(), buf_.get(), end_);
        buf_ = std::move(bigger);
        cap_ = cap;
      }
    }
    return std::min(cap_ - end_, max_total - size());
  }
  char* write_ptr() { return buf_.get() + end_; }
  void commit(std::size_t n) { end_ += n; }
  void clear() { begin_ = end_ = 0; }
  // Gives back a buffer that grew for a large request.
  void trim() {
    if (size() == 0 && cap_ > 64 * 1024) {
      buf_.reset();
      cap_ = begin_ = end_ = 0;
    }
  }

 private:
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

struct Connection {
  explicit Connection(const Limits& limits) : parser(limits) {
    phase_timer.conn = this;
    write_timer.conn = this;
  }

  int fd = -1;
  std::uint32_t slot = 0;
  std::uint32_t gen = 0;
  std::uint64_t seq = 0;
  ConnState state = ConnState::closed;
  InBuffer in;
  std::string out;
  std::size_t out_off = 0;
  RequestParser parser;
  Request req;
  std::string peer;
  int version_minor = 1;
  bool keep_alive = true;
  bool head_request = false;
  bool peer_eof = false;
  bool rdhup_seen = false;
  bool read_paused = false;
  bool in_handler = false;
  bool req_dirty = false;
  TimerNode phase_timer;
  TimerNode write_timer;

  std::size_t pending_out() const { return out.size() - out_off; }
};

bool valid_header_name(std::string_view s) {
  if (s.empty()) return false;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool valid_header_value(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  return true;
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// "Tue, 25 Nov 2026 08:00:00 GMT" (RFC 9110 IMF-fixdate), without locale-dependent strftime.
std::string format_http_date(std::time_t t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[96];
  const int n = std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                              kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12],
                              tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return std::string(buf, static_cast<std::size_t>(std::max(n, 0)));
}

constexpr std::array<std::string_view, 13> kBadReasons = {
    "malformed",       "uri_too_long",   "headers_too_large",    "too_many_headers",
    "body_too_large",  "bad_path",       "unsupported_encoding", "version",
    "expectation",     "header_timeout", "body_timeout",         "write_timeout",
    "connection_limit"};

}  // namespace
}  // namespace detail

struct Server::Impl {
  Impl(ServerOptions o, Handler h);
  ~Impl();

  void count_bad(std::string_view reason) {
    for (std::size_t i = 0; i < detail::kBadReasons.size(); ++i) {
      if (detail::kBadReasons[i] == reason) {
        if (bad[i] != nullptr) bad[i]->Increment();
        return;
      }
    }
  }
  void connection_opened() {
    if (open_gauge != nullptr) open_gauge->Increment();
    if (total != nullptr) total->Increment();
  }
  void connection_closed() {
    open_connections.fetch_sub(1, std::memory_order_relaxed);
    if (open_gauge != nullptr) open_gauge->Decrement();
  }

  ServerOptions opts;
  Handler handler;
  std::size_t in_cap = 0;
  std::vector<std::unique_ptr<detail::Loop>> loops;
  int listen_fd = -1;
  int port = 0;
  std::string local_addr;
  std::atomic<std::size_t> open_connections{0};
  std::uint32_t next_loop = 0;  // used by the accepting loop only

  std::mutex lifecycle_mu;
  bool started = false;
  bool stopped = false;

  prometheus::Gauge* open_gauge = nullptr;
  prometheus::Counter* total = nullptr;
  std::array<prometheus::Counter*, detail::kBadReasons.size()> bad{};
};

namespace detail {

class Loop {
 public:
  explicit Loop(Server::Impl& srv) : srv_(srv) {
    timers_[kHeaderTimer].timeout = srv.opts.header_timeout;
    timers_[kBodyTimer].timeout = srv.opts.body_timeout;
    timers_[kIdleTimer].timeout = srv.opts.idle_timeout;
    timers_[kLingerTimer].timeout = srv.opts.linger_timeout;
    timers_[kWriteTimer].timeout = srv.opts.write_timeout;
  }
  ~Loop() {
    if (epfd_ >= 0) ::close(epfd_);
    if (spare_fd_ >= 0) ::close(spare_fd_);
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  Status init(int listen_fd) {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) return internal_error(std::string("epoll_create1: ") + std::strerror(errno));
    const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) return internal_error(std::string("eventfd: ") + std::strerror(errno));
    mb_ = std::make_shared<Mailbox>(efd);
    mb_->loop = this;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, efd, &ev) != 0) {
      return internal_error(std::string("epoll_ctl: ") + std::strerror(errno));
    }
    if (listen_fd >= 0) {
      listen_fd_ = listen_fd;
      ev.events = EPOLLIN;
      ev.data.u64 = kListenTag;
      if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, listen_fd, &ev) != 0) {
        return internal_error(std::string("epoll_ctl: ") + std::strerror(errno));
      }
      spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    return Status::Ok();
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

  void request_stop() {
    std::lock_guard<std::mutex> lock(mb_->mu);
    mb_->stop_requested = true;
    mb_->wake_locked();
  }

  // From the accepting loop's thread.
  void hand_off(int fd, const sockaddr_storage& addr) {
    {
      std::lock_guard<std::mutex> lock(mb_->mu);
      if (!mb_->closed) {
        mb_->incoming.push_back({fd, addr});
        mb_->wake_locked();
        return;
      }
    }
    ::close(fd);
    srv_.connection_closed();
  }

  // On the loop thread: a Responder for (slot, gen, seq) completed.
  void complete_local(std::uint32_t slot, std::uint32_t gen, std::uint64_t seq,
                      Response&& response) {
    Connection* c = lookup(slot, gen);
    if (c == nullptr || c->state != ConnState::waiting || c->seq != seq) return;
    write_response(c, response);
    if (!c->in_handler) schedule(c);
  }

 private:
  void run();
  void drain_mailbox();
  void begin_drain();
  void accept_ready();
  void add_connection(int fd, const sockaddr_storage& addr);
  void on_event(Connection* c, std::uint32_t events);
  void read_some(Connection* c);
  void service(Connection* c);
  void process(Connection* c);
  void dispatch(Connection* c);
  void write_response(Connection* c, Response& r);
  void reject(Connection* c, int http_status, std::string_view reason, const Status& status);
  void flush(Connection* c);
  void finish_close(Connection* c);
  void close_conn(Connection* c);
  void expire_timers();
  int next_timeout_ms() const;
  void schedule(Connection* c);
  void run_ready();
  void update_date();

  Connection* lookup(std::uint32_t slot, std::uint32_t gen) {
    if (slot >= slots_.size()) return nullptr;
    Connection* c = slots_[slot].get();
    if (c->gen != gen || c->state == ConnState::closed) return nullptr;
    return c;
  }

  void set_phase_timer(Connection* c, TimerKind kind) {
    TimerNode& n = c->phase_timer;
    if (n.list == kind) return;
    if (n.list != kNoTimer) timers_[n.list].remove(&n);
    n.list = kind;
    n.deadline = now_ + timers_[kind].timeout;
    timers_[kind].push_back(&n);
  }
  void cancel_phase_timer(Connection* c) {
    TimerNode& n = c->phase_timer;
    if (n.list == kNoTimer) return;
    timers_[n.list].remove(&n);
    n.list = kNoTimer;
  }
  void arm_write_timer(Connection* c) {
    TimerNode& n = c->write_timer;
    if (n.list != kNoTimer) timers_[kWriteTimer].remove(&n);
    n.list = kWriteTimer;
    n.deadline = now_ + timers_[kWriteTimer].timeout;
    timers_[kWriteTimer].push_back(&n);
  }
  void cancel_write_timer(Connection* c) {
    TimerNode& n = c->write_timer;
    if (n.list == kNoTimer) return;
    timers_[kWriteTimer].remove(&n);
    n.list = kNoTimer;
  }

  Server::Impl& srv_;
  int epfd_ = -1;
  int listen_fd_ = -1;
  int spare_fd_ = -1;  // released to accept-and-close when out of descriptors
  std::shared_ptr<Mailbox> mb_;
  std::thread thread_;

  std::vector<std::unique_ptr<Connection>> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t live_ = 0;
  std::array<TimerList, kTimerKinds> timers_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ready_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ready_batch_;
  std::vector<Completion> completions_batch_;
  std::vector<Incoming> incoming_batch_;

  TimePoint now_ = SteadyClock::now();
  std::time_t date_second_ = 0;
  std::string date_;
  bool draining_ = false;
  TimePoint drain_deadline_{};
};

void deliver(std::shared_ptr<Mailbox> mb, std::uint32_t slot, std::uint32_t gen, std::uint64_t seq,
             Response&& response) {
  if (t_loop_mailbox == mb.get()) {
    mb->loop->complete_local(slot, gen, seq, std::move(response));
    return;
  }
  std::lock_guard<std::mutex> lock(mb->mu);
  if (mb->closed) return;
  mb->completions.push_back({slot, gen, seq, std::move(response)});
  mb->wake_locked();
}

void Loop::update_date() {
  const std::time_t t = std::time(nullptr);
  if (t != date_second_) {
    date_second_ = t;
    date_ = format_http_date(t);
  }
}

void Loop::run() {
  t_loop_mailbox = mb_.get();
  update_date();
  std::array<epoll_event, 256> events;
  while (true) {
    const int timeout = ready_.empty() ? next_timeout_ms() : 0;
    const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout);
    now_ = SteadyClock::now();
    update_date();
    if (n < 0 && errno != EINTR) {
      log::error("http epoll_wait failed")
          .kv("name", srv_.opts.name)
          .kv("error", std::strerror(errno));
      break;
    }
    // Nothing here throws on valid states; an exception (allocation failure, a bug) costs the
    // connection it happened on, never the process or the other connections.
    try {
      for (int i = 0; i < n; ++i) {
        const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
        if (tag == kListenTag) {
          accept_ready();
        } else if (tag == kWakeTag) {
          drain_mailbox();
        } else {
          Connection* c =
              lookup(static_cast<std::uint32_t>(tag), static_cast<std::uint32_t>(tag >> 32));
          if (c == nullptr) continue;
          try {
            on_event(c, events[static_cast<std::size_t>(i)].events);
          } catch (const std::exception& e) {
            log::error("http connection failed").kv("name", srv_.opts.name).kv("error", e.what());
            close_conn(c);
          }
        }
      }
      run_ready();
      expire_timers();
    } catch (const std::exception& e) {
      log::error("http loop iteration failed").kv("name", srv_.opts.name).kv("error", e.what());
    }
    if (draining_ && (live_ == 0 || now_ >= drain_deadline_)) break;
  }

  // Close whatever is left and tell every Responder still out there that nobody listens.
  for (auto& c : slots_) {
    if (c->state != ConnState::closed) close_conn(c.get());
  }
  std::vector<Completion> dropped;
  std::vector<Incoming> orphans;
  {
    std::lock_guard<std::mutex> lock(mb_->mu);
    mb_->closed = true;
    dropped.swap(mb_->completions);
    orphans.swap(mb_->incoming);
  }
  for (const Incoming& in : orphans) {
    ::close(in.fd);
    srv_.connection_closed();
  }
  t_loop_mailbox = nullptr;
}

void Loop::drain_mailbox() {
  std::uint64_t counter = 0;
  [[maybe_unused]] const ssize_t r = ::read(mb_->event_fd, &counter, sizeof counter);
  bool stop = false;
  {
    std::lock_guard<std::mutex> lock(mb_->mu);
    mb_->wake_pending = false;
    completions_batch_.swap(mb_->completions);
    incoming_batch_.swap(mb_->incoming);
    stop = mb_->stop_requested;
  }
  for (Completion& comp : completions_batch_) {
    complete_local(comp.slot, comp.gen, comp.seq, std::move(comp.response));
  }
  completions_batch_.clear();
  for (const Incoming& in : incoming_batch_)
    add_connection(in.fd, in.addr);
  incoming_batch_.clear();
  if (stop && !draining_) begin_drain();
}

void Loop::begin_drain() {
  draining_ = true;
  drain_deadline_ = now_ + srv_.opts.shutdown_grace;
  if (listen_fd_ >= 0) {
    // Closed here rather than after the join, so new clients are refused at once instead of
    // waiting in the backlog for the whole grace period.
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
    ::close(listen_fd_);
    listen_fd_ = -1;
    srv_.listen_fd = -1;  // read by Server::stop only after joining this thread
  }
  for (auto& owned : slots_) {
    Connection* c = owned.get();
    switch (c->state) {
      case ConnState::waiting:
        break;  // answered (with Connection: close) when its Responder completes
      case ConnState::head:
        if (c->pending_out() > 0) {
          c->state = ConnState::closing;
        } else {
          close_conn(c);
        }
        break;
      case ConnState::closing:
        break;
      case ConnState::lingering:
        close_conn(c);
        break;
      case ConnState::closed:
        break;
    }
  }
}

void Loop::accept_ready() {
  for (int i = 0; i < kMaxAcceptsPerEvent && listen_fd_ >= 0; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
        // Out of descriptors: accept with the spare one and close at once, so the client is
        // told instead of waiting in the backlog while the listener spins.
        srv_.count_bad("connection_limit");
        ::close(spare_fd_);
        const int victim = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (victim >= 0) ::close(victim);
        spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        continue;
      }
      log::warn("http accept failed").kv("name", srv_.opts.name).kv("error", std::strerror(errno));
      return;
    }
    if (srv_.open_connections.load(std::memory_order_relaxed) >= srv_.opts.max_connections) {
      srv_.count_bad("connection_limit");
      ::close(fd);
      continue;
    }
    srv_.open_connections.fetch_add(1, std::memory_order_relaxed);
    srv_.connection_opened();
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Loop& target = *srv_.loops[srv_.next_loop++ % srv_.loops.size()];
    if (&target == this) {
      add_connection(fd, addr);
    } else {
      target.hand_off(fd, addr);
    }
  }
}

void Loop::add_connection(int fd, const sockaddr_storage& addr) {
  if (draining_) {
    ::close(fd);
    srv_.connection_closed();
    return;
  }
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(std::make_unique<Connection>(srv_.opts.limits));
    slots_.back()->slot = slot;
  }
  Connection* c = slots_[slot].get();
  c->fd = fd;
  c->state = ConnState::head;
  c->out_off = 0;
  c->version_minor = 1;
  c->keep_alive = true;
  c->head_request = false;
  c->peer_eof = c->rdhup_seen = c->read_paused = c->in_handler = c->req_dirty = false;
  c->parser.reset();
  c->req.clear();
  c->peer = format_socket_address(reinterpret_cast<const sockaddr*>(&addr));
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = (static_cast<std::uint64_t>(c->gen) << 32) | slot;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    log::warn("http epoll_ctl failed").kv("name", srv_.opts.name).kv("error", std::strerror(errno));
    ::close(fd);
    c->fd = -1;
    c->state = ConnState::closed;
    ++c->gen;
    free_slots_.push_back(slot);
    srv_.connection_closed();
    return;
  }
  ++live_;
  // A client that connects and sends nothing is held to the header timeout, not the idle one.
  set_phase_timer(c, kHeaderTimer);
}

void Loop::on_event(Connection* c, std::uint32_t events) {
  if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) c->rdhup_seen = true;
  if ((events & EPOLLOUT) != 0 && c->pending_out() > 0) {
    flush(c);
    if (c->state == ConnState::closed) return;
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    read_some(c);
    if (c->state == ConnState::closed) return;
  }
  service(c);
}

void Loop::read_some(Connection* c) {
  if (c->state == ConnState::lingering || c->state == ConnState::closing) {
    // Nothing more will be parsed: read and drop, watching for the client's close.
    char sink[16384];
    while (true) {
      const ssize_t n = ::read(c->fd, sink, sizeof sink);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n == 0) {
        c->peer_eof = true;
        if (c->state == ConnState::lingering) close_conn(c);
        return;
      }
      close_conn(c);
      return;
    }
  }
  while (true) {
    const std::size_t space = c->in.prepare(srv_.in_cap);
    if (space == 0) {
      c->read_paused = true;
      return;
    }
    const ssize_t n = ::read(c->fd, c->in.write_ptr(), space);
    if (n > 0) {
      c->in.commit(static_cast<std::size_t>(n));
      // With edge-triggered epoll a short read means the socket is drained for now; new data
      // raises a new edge. A pending close needs the read that returns 0, though.
      if (static_cast<std::size_t>(n) < space && !c->rdhup_seen) return;
      continue;
    }
    if (n == 0) {
      c->peer_eof = true;
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    close_conn(c);
    return;
  }
}

void Loop::service(Connection* c) {
  for (int round = 0;; ++round) {
    process(c);
    if (c->state == ConnState::closed) return;
    if (c->state == ConnState::waiting && c->peer_eof) {
      // The client went away before its answer: free the connection now; the Responder's
      // completion will find the generation changed and be dropped.
      close_conn(c);
      return;
    }
    if (!c->read_paused || c->in.size() >= srv_.in_cap) return;
    if (c->state != ConnState::head && c->state != ConnState::waiting) return;
    if (round >= kMaxServiceRounds) {
      schedule(c);  // let other connections run; continue on the next iteration
      return;
    }
    c->read_paused = false;
    const std::size_t before = c->in.size();
    const bool eof_before = c->peer_eof;
    read_some(c);
    if (c->state == ConnState::closed) return;
    if (c->in.size() == before && c->peer_eof == eof_before && !c->read_paused) return;
  }
}

void Loop::process(Connection* c) {
  while (c->state == ConnState::head) {
    if (c->pending_out() >= kOutHighWater) {
      flush(c);
      if (c->state != ConnState::head || c->pending_out() >= kOutHighWater) return;
    }
    if (c->req_dirty) {
      c->req.clear();
      c->req_dirty = false;
    }
    std::size_t consumed = 0;
    const RequestParser::State st = c->parser.parse(c->in.view(), consumed, c->req);
    c->in.consume(consumed);
    if (st == RequestParser::State::error) {
      const ParseError& e = c->parser.error();
      reject(c, e.http_status, e.reason, e.status);
      break;
    }
    if (st == RequestParser::State::need_more) {
      if (c->parser.take_continue()) c->out.append("HTTP/1.1 100 Continue\r\n\r\n");
      if (c->in.size() >= srv_.in_cap) {
        // Unreachable with consistent limits (the buffer holds more than any head may); kept so
        // that a full buffer can never stall a connection.
        reject(c, 431, "headers_too_large", resource_exhausted("request head too large"));
        break;
      }
      if (c->parser.in_body()) {
        set_phase_timer(c, kBodyTimer);
      } else if (c->in.size() > 0 && c->phase_timer.list == kIdleTimer) {
        set_phase_timer(c, kHeaderTimer);
      }
      if (c->peer_eof) {
        // The client is gone (or half-closed) with nothing complete left to answer.
        c->state = ConnState::closing;
      }
      break;
    }
    dispatch(c);
  }
  flush(c);
}

void Loop::dispatch(Connection* c) {
  c->state = ConnState::waiting;
  ++c->seq;
  c->req_dirty = true;
  c->head_request = c->req.method == "HEAD";
  c->keep_alive = c->req.keep_alive;
  c->version_minor = c->req.version_minor;
  cancel_phase_timer(c);
  c->req.peer = c->peer;
  c->in_handler = true;
  try {
    srv_.handler(c->req, ResponderAccess::make(mb_, c->slot, c->gen, c->seq));
  } catch (const std::exception& e) {
    log::error("http handler threw").kv("name", srv_.opts.name).kv("error", e.what());
  } catch (...) {
    log::error("http handler threw").kv("name", srv_.opts.name).kv("error", "unknown exception");
  }
  c->in_handler = false;
}

void Loop::write_response(Connection* c, Response& r) {
  bool valid = r.status >= 200 && r.status <= 599 && valid_header_value(r.reason) &&
               r.reason.find_first_of("\r\n") == std::string::npos;
  for (const Header& h : r.headers) {
    if (!valid_header_name(h.name) || !valid_header_value(h.value)) valid = false;
  }
  if (!valid) {
    log::error("http handler produced an invalid response")
        .kv("name", srv_.opts.name)
        .kv("status", r.status);
    r = error_response(internal_error("invalid response from handler"));
  }
  const bool close = !c->keep_alive || r.close || draining_;
  const bool no_body = r.status == 204 || r.status == 304;

  if (c->out_off > 0) {
    c->out.erase(0, c->out_off);
    c->out_off = 0;
  }
  std::string& out = c->out;
  out.append("HTTP/1.1 ");
  append_uint(out, static_cast<std::uint64_t>(r.status));
  out.push_back(' ');
  if (r.reason.empty()) {
    out.append(reason_phrase(r.status));
  } else {
    out.append(r.reason);
  }
  out.append("\r\nDate: ");
  out.append(date_);
  out.append("\r\n");
  for (const Header& h : r.headers) {
    if (iequals(h.name, "content-length") || iequals(h.name, "connection") ||
        iequals(h.name, "transfer-encoding") || iequals(h.name, "date")) {
      continue;
    }
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append("\r\n");
  }
  if (!no_body) {
    out.append("Content-Length: ");
    append_uint(out, r.body.size());
    out.append("\r\n");
  }
  if (close) {
    out.append("Connection: close\r\n");
  } else if (c->version_minor == 0) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  if (!no_body && !c->head_request) out.append(r.body);

  c->parser.reset();
  if (close) {
    c->state = ConnState::closing;
  } else {
    c->state = ConnState::head;
    set_phase_timer(c, c->in.size() > 0 ? kHeaderTimer : kIdleTimer);
  }
}

void Loop::reject(Connection* c, int http_status, std::string_view reason, const Status& status) {
  srv_.count_bad(reason);
  log::debug("http request rejected")
      .kv("name", srv_.opts.name)
      .kv("peer", c->peer)
      .kv("status", http_status)
      .kv("reason", reason);
  Response r = error_response(http_status, status);
  c->keep_alive = false;
  c->head_request = false;
  c->state = ConnState::waiting;  // write_response answers the request being read
  cancel_phase_timer(c);
  write_response(c, r);
  c->in.clear();
}

void Loop::flush(Connection* c) {
  bool progress = false;
  while (c->out_off < c->out.size()) {
    const ssize_t n =
        ::send(c->fd, c->out.data() + c->out_off, c->out.size() - c->out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_off += static_cast<std::size_t>(n);
      progress = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    close_conn(c);
    return;
  }
  if (c->out_off < c->out.size()) {
    if (progress || c->write_timer.list == kNoTimer) arm_write_timer(c);
    return;
  }
  c->out.clear();
  c->out_off = 0;
  cancel_write_timer(c);
  if (c->out.capacity() > 256 * 1024) c->out.shrink_to_fit();
  if (c->state == ConnState::closing) finish_close(c);
}

void Loop::finish_close(Connection* c) {
  if (c->peer_eof || draining_) {
    close_conn(c);
    return;
  }
  // Half-close and wait for the client's FIN: closing with unread input would send a reset that
  // can destroy the response before the client reads it.
  ::shutdown(c->fd, SHUT_WR);
  c->state = ConnState::lingering;
  c->in.clear();
  set_phase_timer(c, kLingerTimer);
  read_some(c);
}

void Loop::close_conn(Connection* c) {
  if (c->state == ConnState::closed) return;
  ::close(c->fd);
  c->fd = -1;
  c->state = ConnState::closed;
  ++c->gen;  // stale Responders and queued events for this slot now miss
  cancel_phase_timer(c);
  cancel_write_timer(c);
  c->in.clear();
  c->in.trim();
  c->out.clear();
  c->out_off = 0;
  if (c->out.capacity() > 64 * 1024) c->out.shrink_to_fit();
  c->req.clear();
  c->parser.reset();
  free_slots_.push_back(c->slot);
  --live_;
  srv_.connection_closed();
}

void Loop::schedule(Connection* c) {
  ready_.emplace_back(c->slot, c->gen);
}

void Loop::run_ready() {
  if (ready_.empty()) return;
  ready_batch_.swap(ready_);
  for (const auto& [slot, gen] : ready_batch_) {
    Connection* c = lookup(slot, gen);
    if (c != nullptr) service(c);
  }
  ready_batch_.clear();
}

void Loop::expire_timers() {
  for (int k = 0; k < kTimerKinds; ++k) {
    TimerList& list = timers_[static_cast<std::size_t>(k)];
    while (list.head != nullptr && list.head->deadline <= now_) {
      Connection* c = list.head->conn;
      list.remove(list.head);
      if (k == kWriteTimer) {
        c->write_timer.list = kNoTimer;
      } else {
        c->phase_timer.list = kNoTimer;
      }
      switch (static_cast<TimerKind>(k)) {
        case kHeaderTimer:
        case kBodyTimer: {
          const bool body = k == kBodyTimer;
          srv_.count_bad(body ? "body_timeout" : "header_timeout");
          if (c->in.size() > 0 || body) {
            // Best effort: tell a slow but real client why, without waiting for it to read.
            Response r = error_response(
                408, deadline_exceeded(body ? "request body timeout" : "request header timeout"));
            c->keep_alive = false;
            c->head_request = false;
            c->state = ConnState::waiting;
            write_response(c, r);
            flush(c);
          }
          close_conn(c);
          break;
        }
        case kWriteTimer:
          srv_.count_bad("write_timeout");
          close_conn(c);
          break;
        case kIdleTimer:
        case kLingerTimer:
          close_conn(c);
          break;
        default:
          break;
      }
    }
  }
}

int Loop::next_timeout_ms() const {
  TimePoint earliest = TimePoint::max();
  for (const TimerList& list : timers_) {
    if (list.head != nullptr) earliest = std::min(earliest, list.head->deadline);
  }
  if (draining_) earliest = std::min(earliest, drain_deadline_);
  if (earliest == TimePoint::max()) return -1;
  const TimePoint now = SteadyClock::now();
  if (earliest <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(earliest - now).count();
  return static_cast<int>(std::min<std::int64_t>(ms, 60 * 60 * 1000));
}

}  // namespace detail

// ---- Responder ----

Responder::Responder(Responder&& other) noexcept
    : mailbox_(std::move(other.mailbox_)), slot_(other.slot_), gen_(other.gen_), seq_(other.seq_) {}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (mailbox_ != nullptr) {
      send(error_response(internal_error("request dropped without an answer")));
    }
    mailbox_ = std::move(other.mailbox_);
    slot_ = other.slot_;
    gen_ = other.gen_;
    seq_ = other.seq_;
  }
  return *this;
}

Responder::~Responder() {
  if (mailbox_ != nullptr) {
    try {
      send(error_response(internal_error("request dropped without an answer")));
    } catch (...) {
      // Out of memory while building the 500: the connection's own timeouts will end it.
    }
  }
}

void Responder::send(Response response) {
  if (mailbox_ == nullptr) return;
  std::shared_ptr<detail::Mailbox> mb = std::move(mailbox_);
  mailbox_.reset();
  detail::deliver(std::move(mb), slot_, gen_, seq_, std::move(response));
}

// ---- Server ----

Server::Impl::Impl(ServerOptions o, Handler h) : opts(std::move(o)), handler(std::move(h)) {
  opts.threads = std::clamp(opts.threads, 1, 64);
  const Limits& l = opts.limits;
  // Room for the longest acceptable head (with leading empty lines) plus a good read size.
  in_cap = 2 * l.max_request_line + l.max_header_bytes + 64 * 1024;
  try {
    auto& reg = ops::registry();
    const prometheus::Labels server_label{{"server", opts.name}};
    open_gauge = &prometheus::BuildGauge()
                      .Name("kai_http_connections_open")
                      .Help("HTTP connections currently open")
                      .Register(reg)
                      .Add(server_label);
    total = &prometheus::BuildCounter()
                 .Name("kai_http_connections_total")
                 .Help("HTTP connections accepted")
                 .Register(reg)
                 .Add(server_label);
    auto& bad_family = prometheus::BuildCounter()
                           .Name("kai_http_bad_requests_total")
                           .Help("HTTP requests and connections refused, by reason")
                           .Register(reg);
    for (std::size_t i = 0; i < detail::kBadReasons.size(); ++i) {
      bad[i] =
          &bad_family.Add({{"server", opts.name}, {"reason", std::string(detail::kBadReasons[i])}});
    }
  } catch (const std::exception& e) {
    log::error("http metrics registration failed").kv("name", opts.name).kv("error", e.what());
    open_gauge = nullptr;
    total = nullptr;
    bad.fill(nullptr);
  }
}

Server::Impl::~Impl() {
  if (listen_fd >= 0) ::close(listen_fd);
}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() {
  stop();
}

const ServerOptions& Server::options() const {
  return impl_->opts;
}
int Server::port() const {
  return impl_->port;
}
std::string Server::local_address() const {
  return impl_->local_addr;
}

namespace {

Result<int> open_listener(const SocketAddress& addr, bool wildcard_v6) {
  const int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return unavailable(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (wildcard_v6) {
    // [::] serves IPv4 too, whatever the system default.
    const int zero = 0;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  }
  if (::bind(fd, addr.get(), addr.length) != 0) {
    const int err = errno;
    ::close(fd);
    return unavailable("cannot bind " + format_socket_address(addr.get()) + ": " +
                       std::strerror(err));
  }
  if (::listen(fd, SOMAXCONN) != 0) {
    const int err = errno;
    ::close(fd);
    return unavailable(std::string("listen: ") + std::strerror(err));
  }
  return fd;
}

}  // namespace

Status Server::start() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.lifecycle_mu);
  if (s.started) return failed_precondition("server already started");
  if (!s.handler) return invalid_argument("server needs a handler");

  auto hp = parse_host_port(s.opts.bind);
  if (!hp.ok()) return hp.status();
  auto addrs = resolve(*hp, true);
  if (!addrs.ok()) return addrs.status();

  Status last = unavailable("no address to bind");
  for (const SocketAddress& a : *addrs) {
    bool wildcard_v6 = false;
    if (a.family() == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a.storage);
      wildcard_v6 = IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr);
    }
    auto fd = open_listener(a, wildcard_v6);
    if (fd.ok()) {
      s.listen_fd = *fd;
      break;
    }
    last = fd.status();
  }
  if (s.listen_fd < 0) return last;

  sockaddr_storage actual{};
  socklen_t len = sizeof actual;
  ::getsockname(s.listen_fd, reinterpret_cast<sockaddr*>(&actual), &len);
  const std::string bound_text = format_socket_address(reinterpret_cast<sockaddr*>(&actual));
  if (actual.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&actual);
    s.port = ntohs(v4->sin_port);
    s.local_addr = v4->sin_addr.s_addr == htonl(INADDR_ANY) ? format_host_port("127.0.0.1", s.port)
                                                            : bound_text;
  } else {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&actual);
    s.port = ntohs(v6->sin6_port);
    s.local_addr = IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr) ? format_host_port("127.0.0.1", s.port)
                                                           : bound_text;
  }

  for (int i = 0; i < s.opts.threads; ++i) {
    auto loop = std::make_unique<detail::Loop>(s);
    Status st = loop->init(i == 0 ? s.listen_fd : -1);
    if (!st.ok()) {
      s.loops.clear();
      ::close(s.listen_fd);
      s.listen_fd = -1;
      return st;
    }
    s.loops.push_back(std::move(loop));
  }
  for (auto& loop : s.loops)
    loop->start();
  s.started = true;
  log::info("http listening")
      .kv("name", s.opts.name)
      .kv("addr", s.local_addr)
      .kv("bind", bound_text)
      .kv("threads", s.opts.threads);
  return Status::Ok();
}

void Server::stop() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.lifecycle_mu);
  if (!s.started || s.stopped) return;
  s.stopped = true;
  for (auto& loop : s.loops)
    loop->request_stop();
  for (auto& loop : s.loops)
    loop->join();
  if (s.listen_fd >= 0) {
    ::close(s.listen_fd);
    s.listen_fd = -1;
  }
  log::info("http stopped").kv("name", s.opts.name);
}

}  // namespace kai::http
