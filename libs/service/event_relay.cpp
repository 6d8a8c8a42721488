#include "service/event_relay.hpp"

namespace kai::svc::detail {

void EventRelay::publish(const std::vector<EmittedEvent>& events) {
  for (const auto& e : events) {
    publisher_.publish(bus::Event{
        .topic = e.topic,
        .publisher = runtime_.name(),
        .seq = static_cast<std::uint64_t>(e.seq),
        .time_ms = e.created_at,
        .payload = e.payload,
    });
    runtime_.metrics().published(e.topic).Increment();
  }
}

void EventRelay::beacon() {
  publisher_.publish(bus::Event{
      .topic = bus::head_topic(runtime_.name()),
      .publisher = runtime_.name(),
      .seq = static_cast<std::uint64_t>(runtime_.committed_head()),
      .time_ms = now_unix_ms(),
      .payload = {},
  });
}

}  // namespace kai::svc::detail
