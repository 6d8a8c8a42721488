// EventRelay: sends a service's committed outbox events to the event bus with their sequence
// numbers, and the head beacon ("<service>._head", seq = latest committed sequence) that lets
// subscribers notice a lost last event. Events are handed over on the database writer thread in
// commit order (Runtime::set_event_sink), so subscribers normally see them in sequence; anything
// the bus drops is fetched by subscribers with events.since. Internal to libs/service.
#pragma once

#include <vector>

#include "bus/events.hpp"
#include "service/context_core.hpp"
#include "service/service_metrics.hpp"
#include "service/service_runtime.hpp"

namespace kai::svc::detail {

class EventRelay {
 public:
  EventRelay(Runtime& runtime, bus::EventPublisher& publisher)
      : runtime_(runtime), publisher_(publisher) {}

  // Publishes committed events (never blocks: the bus socket drops rather than waits).
  void publish(const std::vector<EmittedEvent>& events);
  // Publishes the head beacon.
  void beacon();

 private:
  Runtime& runtime_;
  bus::EventPublisher& publisher_;
};

}  // namespace kai::svc::detail
