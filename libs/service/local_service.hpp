// LocalService: a service built from its ServiceDefinition and run in-process, without the bus,
// for tests of domain logic. Requests go through exactly the path the real process uses (envelope
// checks, schema validation, idempotency, the same transaction handling, events to the outbox,
// cache invalidation) against a real database (SQLite in a folder the test owns) and, when
// `redis_url` is set, a real Redis.
//
//   kai::test::TempDir dir;
//   auto svc = kai::svc::LocalService::start(membership_definition(), {.data_dir = dir.path()});
//   auto org = (*svc)->call<msg::OrganizationCreate>({.name = "Kaixuan", ...});
//   EXPECT_EQ((*svc)->published().size(), 1u);
//
// Thread safety: call(), call_raw(), deliver() and run_job() may be used from several threads at
// once (like the real worker slots); start() and destruction from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bus/client.hpp"
#include "common/result.hpp"
#include "service/service.hpp"
#include "store/database.hpp"
#include "store/runtime.hpp"

namespace kai::svc {

namespace detail {
struct LocalState;
}  // namespace detail

struct LocalOptions {
  // Folder of the SQLite database (KAI_DATA_DIR); required unless db_url is set.
  std::string data_dir = {};
  std::string db_url = {};
  // Empty: no cache (every cached() call loads).
  std::string redis_url = {};
  // Brokers for ReadContext::call(); empty: such calls answer unavailable.
  std::vector<std::string> brokers = {};
  // Values of the definition's own settings (and standard ones), by setting name, as if given on
  // the command line: {"term-years", "3"}.
  std::map<std::string, std::string> settings = {};
  // Run at start what run() runs at start: the on_start work, the purge of idempotency keys older
  // than the idempotency-retention setting, and each periodic job's first run (jobs never repeat
  // on their own in a LocalService; use run_job()).
  bool run_start_work = true;
};

// Per-call metadata (what the envelope would carry).
struct CallMeta {
  std::string idempotency_key = {};  // writes: empty makes up a fresh key
  std::string request_id = {};
  std::string trace_id = {};
  std::string principal = {};
  UnixMillis deadline_ms = 0;
};

class LocalService {
 public:
  // Builds the service as run() would (settings, migrations, setup, the handler check, start-up
  // work). Errors: whatever run() would stop on, as a Status.
  static Result<std::unique_ptr<LocalService>> start(const ServiceDefinition& def,
                                                     LocalOptions options);
  ~LocalService();
  LocalService(const LocalService&) = delete;
  LocalService& operator=(const LocalService&) = delete;

  // Calls one of the service's operations with a typed request.
  template <class Op>
  Result<typename Op::Reply> call(const typename Op::Request& request, CallMeta meta = {}) {
    auto bytes = call_raw(Op::name, encode(request), std::move(meta));
    if (!bytes.ok()) return bytes.status();
    return decode_reply<typename Op::Reply>(*bytes);
  }

  // Calls an operation with raw MessagePack, as it arrives from the bus: unknown operations,
  // invalid payloads and so on are answered like the real process answers them. Returns the
  // reply payload or the error status.
  Result<std::string> call_raw(std::string_view op, std::string payload, CallMeta meta = {});

  // The fast lane the real process tries first, on the bus I/O thread, for every request: the
  // reply when the request is a cached_read whose entry is in this process's local copy of the
  // cache (Registrar::cached_read), nullopt when the request would go on to a handler thread.
  std::optional<std::string> call_inline(std::string_view op, std::string payload,
                                         CallMeta meta = {});

  // Delivers another service's event as the subscriber would receive it from the bus (publisher,
  // sequence, topic, MessagePack payload). Duplicates are ignored; a gap is answered
  // failed_precondition (a LocalService cannot fetch missed events), so deliver in order.
  Status deliver(std::string_view publisher, std::int64_t seq, std::string_view topic,
                 std::string payload);
  template <class Event>
  Status deliver(std::int64_t seq, const Event& event) {
    return deliver(Event::event().service, seq, Event::topic, encode(event));
  }

  // Runs a periodic job (Registrar::every) now, by name.
  Status run_job(std::string_view name);
  // Recomputes the business gauges now.
  Status refresh_gauges();

  // Events this service committed to its outbox, in sequence order.
  Result<std::vector<store::outbox::Event>> published();
  // The last sequence applied from a publisher.
  Result<std::int64_t> last_applied(std::string_view publisher);

  store::Database& database();
  const Config& config() const;

 private:
  explicit LocalService(std::unique_ptr<detail::LocalState> state);
  template <class T>
  static Result<T> decode_reply(const std::string& bytes);
  static Result<msgpack::object_handle> unpack_reply(const std::string& bytes,
                                                     const schema::MessageDesc& desc);

  std::unique_ptr<detail::LocalState> state_;
};

template <class T>
Result<T> LocalService::decode_reply(const std::string& bytes) {
  auto obj = unpack_reply(bytes, T::desc());
  if (!obj.ok()) return obj.status();
  T out;
  KAI_RETURN_IF_ERROR(decode(obj->get(), out));
  return out;
}

}  // namespace kai::svc
