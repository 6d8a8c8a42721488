// EventFeed: applies one publisher's events to this service, each exactly once and in order.
//
// Events arrive from the bus subscriber (offer()) and are applied on the feed's own thread. The
// feed starts from the sequence number persisted in this service's database, first catches up
// with events.since, then applies live events: the next sequence is applied, an old one ignored
// (duplicate), a jump (gap) or a head beacon ahead of us triggers another catch-up over
// request/reply. Applying writes the handler's effects and the new position in one transaction
// (Runtime::apply_event), so a crash at any point neither loses nor repeats an event. Failures
// (publisher unreachable, database errors, retryable handler errors) are retried with backoff.
// Internal to libs/service.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "bus/client.hpp"
#include "bus/events.hpp"
#include "service/service_runtime.hpp"

namespace kai::svc::detail {

class EventFeed {
 public:
  EventFeed(Runtime& runtime, std::string publisher, bus::Client& client);
  ~EventFeed();
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  void start();
  // Stops after the event being applied (waits for a bus call in progress, at most its timeout).
  void stop();
  // Hands over an event or head beacon of this publisher (any thread; never blocks for long).
  void offer(bus::Event&& event);

  const std::string& publisher() const { return publisher_; }

 private:
  void run();
  // Fetches and applies everything after the last applied sequence up to the publisher's head.
  Status catch_up();
  // Applies one event, retrying failures; false when stopping.
  bool apply(std::int64_t seq, const std::string& topic, std::string_view payload,
             UnixMillis published_at);
  // Waits `delay` (doubling it, up to a bound) unless stopped; false when stopping.
  bool backoff(std::chrono::milliseconds& delay);
  bool stopping();
  void update_lag();

  Runtime& runtime_;
  std::string publisher_;
  bus::Client& client_;
  const schema::MessageDesc* since_reply_ = nullptr;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<bus::Event> queue_;  // guarded by mu_
  bool overflow_ = false;         // guarded by mu_: events were dropped, catch up
  bool stop_ = false;             // guarded by mu_
  std::thread thread_;

  // Feed thread only.
  bus::SequenceTracker tracker_;
  std::int64_t known_head_ = 0;
};

}  // namespace kai::svc::detail
