// What a handler of a service built on the chassis (service.hpp) gets besides its request: the
// request's metadata, the transaction to work in, the clock, the cache, and (for writes) the
// outbox and cache invalidations that commit with the transaction.
//
// A context lives for one handler call and belongs to the thread running it: do not keep it, or
// anything taken from it (tx() in particular), after the handler returns, and do not share it
// between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <msgpack.hpp>

#include "common/result.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "schema/descriptor.hpp"
#include "store/tx.hpp"

namespace kai::svc {

namespace detail {
class ContextCore;  // the chassis' side of a context (context.cpp)
}  // namespace detail

// Who asked, why and until when. Filled from the bus envelope for requests; for events, periodic
// jobs and start-up work the chassis makes up a request id ("event:<publisher>:<seq>",
// "job:<name>:<n>", "start") and leaves the rest empty.
struct RequestMeta {
  std::string op = {};          // operation name ("organization.create"); empty outside requests
  std::string request_id = {};  // as given by the caller (the gateway sets one per HTTP request)
  std::string trace_id = {};    // propagated to every bus call made while serving the request
  std::string principal = {};   // the authenticated caller, set by the gateway; may be empty
  std::string idempotency_key = {};  // writes only
  UnixMillis deadline_ms = 0;        // absolute; 0 = none
};

// The event being applied, for subscription handlers (WriteContext::event()).
struct EventMeta {
  std::string publisher = {};  // the publishing service ("membership")
  std::string topic = {};      // "membership.organization.changed"
  std::int64_t seq = 0;        // the publisher's sequence number
  UnixMillis published_at = 0;
};

// Base of both contexts: what reads and writes share.
class Context {
 public:
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const RequestMeta& meta() const;
  // The current transaction: a read snapshot in a ReadContext, the group-commit savepoint of the
  // writer thread in a WriteContext. Statement errors fail the handler's whole unit (store/tx.hpp).
  store::Tx& tx();
  // The service's clock (wall clock unless ServiceDefinition::clock replaces it), Unix ms UTC.
  UnixMillis now() const;
  // The service name ("membership").
  const std::string& service() const;

 protected:
  explicit Context(detail::ContextCore& core) : core_(core) {}
  ~Context() = default;
  detail::ContextCore& core_;
};

// The context of a read operation (Registrar::read), of a gauge computation and of a write's
// precheck. Reads run in a read-only snapshot on a pooled connection, concurrently with each other
// and with the writer.
class ReadContext : public Context {
 public:
  explicit ReadContext(detail::ContextCore& core) : Context(core) {}

  // Cache-aside through Redis (libs/cache): the value cached under `key` (the chassis prefixes it
  // with "kai:<service>:"), else `load()`'s value, which is stored for `ttl`. Concurrent misses of
  // one key in this process share one load. T is a generated message type (it has desc(), and
  // encode()/decode() found by argument-dependent lookup); cached bytes that do not validate
  // against T are treated as a miss. When Redis is down, slow or disabled, load() is simply called:
  // the answer never depends on Redis. Errors of load() are returned and never cached.
  // Invalidate the key from a WriteContext (own writes) or an event handler (others' writes).
  template <class T, class Load>
  Result<T> cached(std::string_view key, std::chrono::milliseconds ttl, Load&& load) {
    std::optional<T> fresh;
    auto bytes = cached_bytes(key, ttl, T::desc(), [&]() -> Result<std::string> {
      Result<T> v = load();
      if (!v.ok()) return v.status();
      std::string encoded = encode(*v);
      fresh.emplace(std::move(*v));
      return encoded;
    });
    if (fresh) return std::move(*fresh);  // loaded here: no need to decode what we just encoded
    if (!bytes.ok()) return bytes.status();
    T out;
    KAI_RETURN_IF_ERROR(decode(bytes->get(), out));
    return out;
  }

  // Calls operation Op of another service over the bus (through the broker), passing on this
  // request's trace id, request id, principal and the remaining time to the deadline (or
  // `timeout`, whichever is shorter). Reads only: writes to another service are made by the
  // caller of this service, or happen through events. unavailable when the bus is not configured
  // (LocalService without brokers). Blocks this handler thread until the reply or the deadline.
  template <class Op>
  Result<typename Op::Reply> call(const typename Op::Request& request,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    static_assert(!Op::write, "ReadContext::call is for read operations of other services");
    auto bytes = call_bytes(Op::service, Op::name, encode(request), *Op::desc().reply, timeout);
    if (!bytes.ok()) return bytes.status();
    typename Op::Reply out;
    KAI_RETURN_IF_ERROR(decode(bytes->get(), out));
    return out;
  }

 private:
  // A validated MessagePack object of `desc`, from the cache or from `load`.
  Result<msgpack::object_handle> cached_bytes(std::string_view key, std::chrono::milliseconds ttl,
                                              const schema::MessageDesc& desc,
                                              const std::function<Result<std::string>()>& load);
  Result<msgpack::object_handle> call_bytes(std::string_view service, std::string_view op,
                                            std::string payload,
                                            const schema::MessageDesc& reply_desc,
                                            std::chrono::milliseconds timeout);
};

// The context of a write operation (Registrar::write), an event handler (Registrar::subscribe), a
// periodic job (Registrar::every) and start-up work (Registrar::on_start). It runs ON THE DATABASE
// WRITER THREAD inside the group-commit savepoint: keep it short and never block on anything but
// the database (no bus calls, no Redis, no sleeping). Everything it does commits together with the
// idempotency record (requests) or the subscription position (events), or not at all.
class WriteContext : public Context {
 public:
  explicit WriteContext(detail::ContextCore& core) : Context(core) {}

  // Appends a domain event of this service to the outbox in the current transaction. After the
  // commit the chassis publishes it on the bus with its sequence number; subscribers that miss it
  // fetch it with events.since. Event is a generated event type of this service (it has `topic`,
  // event() and desc()); an event that does not validate against its schema, or that belongs to
  // another service, fails the unit with internal (a bug in the handler).
  template <class Event>
  Status emit(const Event& event) {
    return emit_bytes(Event::event(), encode(event));
  }

  // Deletes cache keys (same naming as ReadContext::cached) once the transaction has committed;
  // nothing happens if it rolls back.
  template <class... Keys>
  void invalidate(const Keys&... keys) {
    (invalidate_key(std::string(std::string_view(keys))), ...);
  }

  // The event being applied, inside a subscription handler; nullptr elsewhere.
  const EventMeta* event() const;

 private:
  Status emit_bytes(const schema::EventDesc& event, std::string payload);
  void invalidate_key(std::string key);
};

}  // namespace kai::svc
