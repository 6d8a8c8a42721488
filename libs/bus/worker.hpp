// The worker side of 7/MDP for a service process. MDP gives one worker connection one request at
// a time, so a process opens `slots` connections to EVERY broker it is given and serves up to
// slots × brokers requests at once. With credit > 1 (a kai extension, see mdp.hpp) each
// connection announces it takes that many requests at once: slots × credit × brokers. One I/O
// thread owns all the sockets (heartbeats, reconnects with backoff, READY/REPLY/DISCONNECT);
// handlers run on a pool of threads, or inline on the I/O thread when handler_threads is 0 (only
// for handlers that never block, like an echo).
//
// Thread safety: start()/stop() from one thread; the handler is called concurrently from the
// handler threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "bus/curve.hpp"
#include "bus/frames.hpp"
#include "bus/wakeup.hpp"

namespace kai::bus {

struct WorkerOptions {
  std::string service;
  std::vector<std::string> brokers;  // "tcp://host:port"
  int slots = 8;
  int credit = 1;            // requests per connection at once; 1 is plain 7/MDP
  int handler_threads = -1;  // -1: one per slot × credit; 0: run the handler on the I/O thread
  std::chrono::milliseconds heartbeat_interval{2500};
  int heartbeat_liveness = 3;
  std::chrono::milliseconds reconnect_initial{100};
  std::chrono::milliseconds reconnect_max{5000};
  std::chrono::milliseconds drain_timeout{10'000};
  std::int64_t max_message_size = 4 << 20;
  CurveConfig curve;
};

// Serves one request: `body` holds the request body frames (opaque to MDP), the handler fills
// `reply` with at least one frame. Must not throw.
using WorkerHandler = std::function<void(Frames& body, Frames& reply)>;
// Tried on the I/O thread before a request goes to the handler threads: answers (fills `reply`,
// returns true) only when it can do so at once, without blocking; otherwise returns false and
// leaves `body` as it was. Saves the hand-off to a handler thread and back.
using WorkerInlineHandler = std::function<bool(const Frames& body, Frames& reply)>;

class WorkerPool {
 public:
  WorkerPool(zmq::context_t& ctx, WorkerOptions options, WorkerHandler handler,
             WorkerInlineHandler inline_handler = {});
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void start();
  // Graceful shutdown: stops taking requests (DISCONNECT on idle connections at once), lets the
  // requests in flight finish and answers them (up to drain_timeout), DISCONNECTs the rest, and
  // joins every thread. Idempotent.
  void stop();

  // True while at least one connection has heard from its broker within the expiry window.
  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

  struct Metrics;  // defined in worker.cpp

 private:
  struct Conn;
  struct Job {
    std::size_t conn;
    std::uint64_t generation;
    zmq::message_t client;
    Frames body;
  };
  struct Done {
    std::size_t conn;
    std::uint64_t generation;
    zmq::message_t client;
    Frames reply;
  };

  void io_loop();
  void handler_loop();
  void open(Conn& c, std::chrono::steady_clock::time_point now);
  void close(Conn& c);
  void schedule_reconnect(Conn& c, std::chrono::steady_clock::time_point now);
  void on_message(Conn& c, Frames& msg, std::chrono::steady_clock::time_point now);
  void send_reply(Conn& c, zmq::message_t&& client, Frames& reply,
                  std::chrono::steady_clock::time_point now);
  void send_command(Conn& c, std::uint8_t command, std::chrono::steady_clock::time_point now);
  void drain_completions(std::chrono::steady_clock::time_point now);
  void update_connected(std::chrono::steady_clock::time_point now);
  // Queues a connection to be read: its ZMQ_FD is edge-triggered, and a send may consume the
  // edge that announced an incoming message, so every send marks the connection too.
  void mark_dirty(Conn& c);

  zmq::context_t& ctx_;
  WorkerOptions options_;
  WorkerHandler handler_;
  WorkerInlineHandler inline_handler_;
  std::unique_ptr<Metrics> metrics_;
  std::vector<std::unique_ptr<Conn>> conns_;
  Wakeup wakeup_;
  int epoll_fd_ = -1;               // the I/O thread waits here on every connection's ZMQ_FD
  std::vector<std::size_t> dirty_;  // connections to read before waiting again
  std::thread io_thread_;
  std::vector<std::thread> handler_threads_;

  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  std::deque<Job> jobs_;
  bool jobs_closed_ = false;

  std::mutex done_mu_;
  std::vector<Done> done_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<std::size_t> in_flight_{0};
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace kai::bus
