// The Majordomo broker's state machine: workers by service, idle-worker lists, request queues,
// heartbeats and expiry. It owns no socket: messages come in through handle(), go out through a
// Sink, and time is passed in, so the whole protocol is unit-testable without a network.
//
// Routing rules (7/MDP, 8/MMI):
// - A client REQUEST for a service with an idle worker goes to the worker idle the longest
//   (least recently used), so load spreads over every worker of the service.
// - With no idle worker the request waits in the service's bounded queue until a worker is free or
//   its deadline passes (then it is dropped and counted; the client's own deadline and retry take
//   over).
// - A worker's REPLY is relayed only to the client whose request that worker holds; anything else
//   from a worker that is valid MDP but unexpected (second READY, REPLY while idle, HEARTBEAT from
//   an unknown peer) is answered with DISCONNECT and the worker forgotten.
// - Every worker, idle or busy, that has sent nothing for liveness × heartbeat interval is removed.
// - `mmi.service` answers "200"/"404"; any other `mmi.*` answers "501".
// Not thread-safe: the broker drives it from one thread.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "broker/broker_metrics.hpp"
#include "bus/frames.hpp"
#include "bus/mdp.hpp"

namespace kai::broker {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

struct BrokerOptions {
  std::chrono::milliseconds heartbeat_interval{2500};
  int heartbeat_liveness = 3;
  std::size_t queue_limit = 10'000;         // per service
  std::size_t total_queue_limit = 200'000;  // across services
  std::chrono::milliseconds queue_deadline{10'000};
  std::size_t max_services = 1024;
  // A service that never had a worker (a typo, a client asking too early) is forgotten, metrics
  // and all, once nothing has been queued for it this long. Services that had workers stay, so
  // "workers = 0" remains visible to dashboards and alerts.
  std::chrono::milliseconds idle_service_ttl{60'000};
};

// Where the core's outgoing messages go (the ROUTER socket in production).
class Sink {
 public:
  virtual ~Sink() = default;
  // Sends and consumes `msg` (frames[0] is the destination identity) unless it fails; on failure
  // the frames are left as they were.
  virtual bus::SendResult send(bus::Frames& msg) = 0;
};

// What a peer's key allows; checked when CURVE is on. The frame is any frame of the peer's
// message (its metadata carries the authenticated key).
enum class Permission { send_request, register_worker };
using Authorizer =
    std::function<bool(const zmq::message_t& frame, Permission, std::string_view service)>;

class BrokerCore {
 public:
  BrokerCore(BrokerOptions options, Sink& sink, BrokerMetrics& metrics, Authorizer authorizer = {});
  ~BrokerCore();
  BrokerCore(const BrokerCore&) = delete;
  BrokerCore& operator=(const BrokerCore&) = delete;

  // Processes one message received on the ROUTER (frames[0] is the sender). Frames may be moved
  // out.
  void handle(bus::Frames& msg, TimePoint now);
  // Records a message the receiver had to discard (too many frames).
  void discarded(bus::mdp::Malformed why);
  // Heartbeats, worker expiry, queue deadlines. Returns when it next needs to run.
  TimePoint tick(TimePoint now);
  // On shutdown: DISCONNECT every worker so they re-register elsewhere at once.
  void disconnect_all();

  // Introspection (tests, logs).
  std::size_t worker_count(std::string_view service) const;
  std::size_t idle_count(std::string_view service) const;
  std::size_t queue_depth(std::string_view service) const;
  std::size_t total_workers() const { return workers_.size(); }
  std::size_t total_queued() const { return total_queued_; }

 private:
  struct Service;
  struct Worker {
    std::string identity;
    Service* service = nullptr;
    TimePoint expiry;
    TimePoint heartbeat_due;
    std::uint32_t credit = 1;          // requests it takes at once (1 for plain 7/MDP)
    std::vector<std::string> clients;  // whose requests it holds, one entry per request
    Worker* idle_prev = nullptr;
    Worker* idle_next = nullptr;
    bool idle = false;
  };
  struct QueuedRequest {
    zmq::message_t client;
    bus::Frames body;
    TimePoint deadline;
  };
  struct Service {
    std::string name;
    std::deque<QueuedRequest> queue;
    // Workers with room for another request, least recently given one first.
    Worker* idle_head = nullptr;
    Worker* idle_tail = nullptr;
    std::size_t idle_count = 0;
    std::size_t worker_count = 0;
    bool had_workers = false;
    TimePoint last_active;
    ServiceMetrics m;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  void on_client_request(bus::Frames& msg, const bus::mdp::BrokerInbound& in, TimePoint now);
  void on_mmi(bus::Frames& msg, const bus::mdp::BrokerInbound& in);
  void on_ready(bus::Frames& msg, const bus::mdp::BrokerInbound& in, TimePoint now);
  void on_reply(bus::Frames& msg, Worker& w, const bus::mdp::BrokerInbound& in, TimePoint now);
  void on_malformed(std::string_view sender, bus::mdp::Malformed why);

  Service* find_or_create_service(std::string_view name, TimePoint now);
  // Hands the request to an idle worker of `s`; false when none could take it. On false the
  // frames are untouched.
  bool dispatch(Service& s, zmq::message_t& client, bus::Frames& body, std::size_t body_index,
                TimePoint now);
  // A worker has room again: it takes queued requests first, then waits in the idle list.
  void worker_ready(Worker& w, TimePoint now);
  void push_idle(Worker& w);
  void remove_idle(Worker& w);
  void delete_worker(Worker& w, bool send_disconnect);
  void send_command(std::string_view identity, bus::mdp::Command cmd);
  void log_once(std::string_view peer, std::string_view what);

  BrokerOptions options_;
  Sink& sink_;
  BrokerMetrics& metrics_;
  Authorizer authorizer_;
  std::chrono::milliseconds expiry_;
  StringMap<std::unique_ptr<Worker>> workers_;
  StringMap<std::unique_ptr<Service>> services_;
  std::size_t total_queued_ = 0;
  bus::Frames out_;  // reused for every outgoing message
  std::unordered_set<std::string> logged_peers_;
  TimePoint next_housekeeping_{};
};

}  // namespace kai::broker
