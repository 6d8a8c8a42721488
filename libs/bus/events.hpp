// Domain events on the bus. Publishers connect PUB sockets to the broker's XSUB port (5556);
// subscribers connect SUB sockets to its XPUB port (5557) and subscribe by topic prefix.
//
// Wire format, three frames:
//   [topic]   "<service>.<entity>.<what>", e.g. "membership.organization.changed"
//   [header]  MessagePack map {"pub": publisher, "seq": uint, "ts": Unix ms}
//   [payload] the event message (MessagePack, described in proto-schemas)
// Each publisher numbers its events 1, 2, 3, … (the outbox sequence in its own database), so a
// subscriber can tell a duplicate (seq already applied) from a gap (seq beyond the next). Every
// publisher also sends a head beacon, topic "<service>._head", carrying its latest seq, so a lost
// last event is noticed too. Pub/sub itself may drop messages (slow joiners, restarts): the
// publisher's outbox and the "events.since" operation make up for it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "bus/curve.hpp"
#include "common/result.hpp"

namespace kai::bus {

struct Event {
  std::string topic;
  std::string publisher;
  std::uint64_t seq = 0;
  std::int64_t time_ms = 0;
  std::string payload;
};

std::string head_topic(std::string_view publisher);
bool is_head_beacon(std::string_view topic);

std::string encode_event_header(std::string_view publisher, std::uint64_t seq,
                                std::int64_t time_ms);
// Parses the header frame into `out` (publisher, seq, time).
Status decode_event_header(std::string_view bytes, Event& out);

// Pure bookkeeping of the last sequence applied per publisher.
class SequenceTracker {
 public:
  enum class Verdict { apply, duplicate, gap };
  struct Observation {
    Verdict verdict;
    std::uint64_t first_missing = 0;  // gap: events first_missing .. seq-1 are missing
  };

  // Starts from what the subscriber has persisted.
  void set_last_applied(std::string_view publisher, std::uint64_t seq);
  std::uint64_t last_applied(std::string_view publisher) const;
  // For an event: apply (it is the next one), duplicate (seq already applied) or gap.
  Observation observe(std::string_view publisher, std::uint64_t seq) const;
  // For a head beacon: gap when the publisher is ahead of us, else duplicate (nothing to do).
  Observation observe_head(std::string_view publisher, std::uint64_t head) const;

 private:
  std::unordered_map<std::string, std::uint64_t> last_;
};

// Thread-safe publisher; send never blocks (PUB drops when a pipe is full: the outbox covers it).
class EventPublisher {
 public:
  // `linger`: how long closing the publisher may wait for queued events to go out (0: drop them).
  EventPublisher(zmq::context_t& ctx, const std::vector<std::string>& endpoints,
                 const CurveConfig& curve,
                 std::chrono::milliseconds linger = std::chrono::milliseconds(0));
  void publish(const Event& e);

 private:
  std::mutex mu_;
  zmq::socket_t socket_;
};

// Receives events on its own thread and hands each to the callback (on that thread).
class EventSubscriber {
 public:
  using Callback = std::function<void(Event&&)>;
  EventSubscriber(zmq::context_t& ctx, const std::vector<std::string>& endpoints,
                  const std::vector<std::string>& prefixes, const CurveConfig& curve,
                  Callback on_event);
  ~EventSubscriber();
  EventSubscriber(const EventSubscriber&) = delete;
  EventSubscriber& operator=(const EventSubscriber&) = delete;
  void stop();

 private:
  void run();

  zmq::socket_t socket_;
  Callback on_event_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace kai::bus
