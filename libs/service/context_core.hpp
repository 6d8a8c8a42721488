// The chassis' side of a handler context (context.hpp): what a ReadContext or WriteContext needs
// to reach the runtime, and what a write collects for after its commit. Internal to libs/service.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "service/context.hpp"
#include "store/tx.hpp"

namespace kai::cache {
class Cache;
}  // namespace kai::cache

namespace kai::bus {
class Client;
}  // namespace kai::bus

namespace kai::svc::detail {

// An event appended to the outbox by a write, published once the write has committed.
struct EmittedEvent {
  std::int64_t seq = 0;
  std::string topic = {};
  std::string payload = {};
  UnixMillis created_at = 0;
};

// What a context needs from the service it runs in; the Runtime provides it.
struct ContextServices {
  std::string service = {};
  std::function<UnixMillis()> clock = {};
  cache::Cache* cache = nullptr;  // null: no cache
  bus::Client* client = nullptr;  // null: no bus (LocalService without brokers)
};

class ContextCore {
 public:
  ContextCore(const ContextServices& services, const RequestMeta& meta, store::Tx& tx,
              const EventMeta* event = nullptr)
      : services_(services), meta_(meta), tx_(tx), event_(event) {}

  const ContextServices& services() const { return services_; }
  const RequestMeta& meta() const { return meta_; }
  store::Tx& tx() { return tx_; }
  const EventMeta* event() const { return event_; }

  // Filled by WriteContext; read by the runtime after the handler returned.
  std::vector<EmittedEvent>& emitted() { return emitted_; }
  std::vector<std::string>& invalidations() { return invalidations_; }

 private:
  const ContextServices& services_;
  const RequestMeta& meta_;
  store::Tx& tx_;
  const EventMeta* event_;
  std::vector<EmittedEvent> emitted_;
  std::vector<std::string> invalidations_;
};

}  // namespace kai::svc::detail
