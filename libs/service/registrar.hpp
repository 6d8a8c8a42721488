// Registrar: how a service tells the chassis what it does. ServiceDefinition::setup receives one
// and registers a handler for every operation of the service's schema, its event subscriptions,
// business gauges, periodic jobs and start-up work. Registration happens once, on the main thread,
// before the service takes any work; the Registrar must not be kept after setup returns.
//
//   Status setup(svc::Registrar& r, const Config& cfg) {
//     r.write<msg::OrganizationCreate>(
//         [](const msg::OrganizationCreateRequest& req, svc::WriteContext& ctx)
//             -> Result<msg::Organization> { ... ctx.emit(event); ctx.invalidate("org:list"); });
//     r.read<msg::OrganizationGet>(
//         [](const msg::OrganizationGetRequest& req, svc::ReadContext& ctx)
//             -> Result<msg::Organization> { return ctx.cached<msg::Organization>(...); });
//     r.subscribe<clubs_msg::EventCompletedEvent>(
//         [](const clubs_msg::EventCompletedEvent& e, svc::WriteContext& ctx) -> Status { ... });
//     r.gauge("kai_membership_terms_active", "Terms in force.",
//             [](svc::ReadContext& ctx) -> Result<double> { ... });
//     r.every(std::chrono::hours(1), "expire-terms", [](svc::WriteContext& ctx) { ... });
//     return Status::Ok();
//   }
//
// Registration mistakes (an operation of another service, a read registered as a write, the same
// operation twice, an event of the service itself) are collected and make the service refuse to
// start with a message naming the operation, as does any operation of the schema left without a
// handler. The standard operations every service answers (events.since) are the chassis' own: do
// not register them.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "common/result.hpp"
#include "common/status.hpp"
#include "schema/descriptor.hpp"
#include "service/context.hpp"

namespace kai::svc {

// Type-erased handlers, as the chassis stores them. Payloads are validated against the
// operation's request descriptor before these run; they decode, call the typed handler and
// encode its reply.
using ErasedRead = std::function<Result<std::string>(const msgpack::object&, ReadContext&)>;
using ErasedWrite = std::function<Result<std::string>(const msgpack::object&, WriteContext&)>;
using ErasedEvent = std::function<Status(const msgpack::object&, WriteContext&)>;
// The cache key of a cached_read request (already validated against the request descriptor).
using ErasedCacheKey = std::function<Result<std::string>(const msgpack::object&)>;

// One series of a labelled business gauge: labels (name → value) and its value.
struct GaugeSample {
  std::map<std::string, std::string> labels = {};
  double value = 0;
};

class Registrar {
 public:
  template <class Op>
  using ReadHandler =
      std::function<Result<typename Op::Reply>(const typename Op::Request&, ReadContext&)>;
  template <class Op>
  using WriteHandler =
      std::function<Result<typename Op::Reply>(const typename Op::Request&, WriteContext&)>;
  template <class Op>
  using Precheck = std::function<Status(const typename Op::Request&, ReadContext&)>;
  template <class Event>
  using EventHandler = std::function<Status(const Event&, WriteContext&)>;

  virtual ~Registrar() = default;

  // A read operation (Op::write == false): runs in a read snapshot, concurrently with others.
  template <class Op>
  void read(ReadHandler<Op> handler) {
    static_assert(!Op::write, "read<Op>() needs a read operation; use write<Op>()");
    read_encoded<Op>([h = std::move(handler)](const typename Op::Request& req,
                                              ReadContext& ctx) -> Result<std::string> {
      Result<typename Op::Reply> reply = h(req, ctx);
      if (!reply.ok()) return reply.status();
      return encode(*reply);
    });
  }

  // A read whose handler writes the reply's MessagePack itself instead of returning the generated
  // type: a list page packed straight from its rows (RowPacker, the stores' run_packed). The
  // chassis treats the bytes as it treats every read reply, checks against the reply schema
  // included.
  template <class Op>
  void read_encoded(
      std::function<Result<std::string>(const typename Op::Request&, ReadContext&)> handler) {
    static_assert(!Op::write, "read_encoded<Op>() needs a read operation");
    add_read(Op::desc(),
             [h = std::move(handler)](const msgpack::object& obj,
                                      ReadContext& ctx) -> Result<std::string> {
               typename Op::Request req;
               KAI_RETURN_IF_ERROR(decode(obj, req));
               return h(req, ctx);
             });
  }

  // A read whose reply is cached (ReadContext::cached): `key` names the entry of a request, and on
  // a miss `load` computes the reply in a read snapshot, as a read<Op> handler would, and it is
  // kept for `ttl`. A request whose entry is in this process's local copy of the cache is answered
  // straight from the bus I/O thread, without a handler thread or a snapshot: the cheapest answer
  // the chassis has. Invalidate the key from writes and event handlers as for cached().
  template <class Op>
  void cached_read(std::function<std::string(const typename Op::Request&)> key,
                   std::chrono::milliseconds ttl, ReadHandler<Op> load) {
    static_assert(!Op::write, "cached_read<Op>() needs a read operation");
    ErasedCacheKey erased_key = [key](const msgpack::object& obj) -> Result<std::string> {
      typename Op::Request req;
      KAI_RETURN_IF_ERROR(decode(obj, req));
      return key(req);
    };
    read<Op>([key = std::move(key), ttl, load = std::move(load)](const typename Op::Request& req,
                                                                 ReadContext& ctx) {
      return ctx.cached<typename Op::Reply>(key(req), ttl, [&] { return load(req, ctx); });
    });
    add_cache_key(Op::desc(), std::move(erased_key));
  }

  // A write operation (Op::write == true). The chassis requires an idempotency key, replays the
  // stored reply when the key was processed already, and otherwise runs the handler on the writer
  // thread in one transaction with the key's record, the outbox events it emits and, after the
  // commit, its cache invalidations. A handler error rolls all of that back and is answered as is
  // (errors are not recorded: a retry with the same key runs the handler again).
  template <class Op>
  void write(WriteHandler<Op> handler) {
    write<Op>(Precheck<Op>{}, std::move(handler));
  }

  // The same with a precheck that runs first, in a read snapshot off the writer thread: the
  // place for slow work a write depends on, such as asking another service over the bus
  // (ReadContext::call) whether a referenced record exists. A precheck error is answered without
  // running the write. The write handler must still check what can change in between.
  template <class Op>
  void write(Precheck<Op> precheck, WriteHandler<Op> handler) {
    static_assert(Op::write, "write<Op>() needs a write operation; use read<Op>()");
    ErasedRead erased_precheck;
    if (precheck) {
      erased_precheck = [p = std::move(precheck)](const msgpack::object& obj,
                                                  ReadContext& ctx) -> Result<std::string> {
        typename Op::Request req;
        KAI_RETURN_IF_ERROR(decode(obj, req));
        KAI_RETURN_IF_ERROR(p(req, ctx));
        return std::string();
      };
    }
    add_write(Op::desc(), std::move(erased_precheck),
              [h = std::move(handler)](const msgpack::object& obj,
                                       WriteContext& ctx) -> Result<std::string> {
                typename Op::Request req;
                KAI_RETURN_IF_ERROR(decode(obj, req));
                Result<typename Op::Reply> reply = h(req, ctx);
                if (!reply.ok()) return reply.status();
                return encode(*reply);
              });
  }

  // Applies another service's events of type Event (a generated event type; its publisher is
  // Event::event().service). The chassis subscribes to the publisher's feed, keeps the last
  // sequence applied in this service's database in the same transaction as the handler's effects,
  // fetches missed events with events.since (at start and on every gap), and ignores duplicates,
  // so each event is applied exactly once, in the publisher's order. Events are validated against
  // their schema first. A handler error that may pass (unavailable, aborted, resource_exhausted,
  // deadline_exceeded) is retried with backoff, holding back later events of that publisher; any
  // other error is logged and the event is skipped, so one bad event cannot stop the feed.
  template <class Event>
  void subscribe(EventHandler<Event> handler) {
    add_subscription(
        Event::event(),
        [h = std::move(handler)](const msgpack::object& obj, WriteContext& ctx) -> Status {
          Event e;
          KAI_RETURN_IF_ERROR(decode(obj, e));
          return h(e, ctx);
        });
  }
  // The same, naming the publisher explicitly; it must be Event's publisher.
  template <class Event>
  void subscribe(std::string_view publisher, EventHandler<Event> handler) {
    if (publisher != Event::event().service) {
      note_error("subscribe<" + std::string(Event::topic) + ">: publisher '" +
                 std::string(publisher) + "' does not publish it");
      return;
    }
    subscribe<Event>(std::move(handler));
  }

  // A business gauge without labels (kai_<service>_<what>), recomputed from a read snapshot at
  // start and every gauge-interval (KAI_GAUGE_INTERVAL). An error leaves the last value and is
  // logged.
  virtual void gauge(std::string name, std::string help,
                     std::function<Result<double>(ReadContext&)> compute) = 0;
  // A labelled business gauge: each computation sets every series it returns; series it no
  // longer returns are removed (return 0 explicitly for a value that should show as zero).
  virtual void gauge_family(
      std::string name, std::string help,
      std::function<Result<std::vector<GaugeSample>>(ReadContext&)> compute) = 0;

  // A periodic write job (term expiry, reminders): runs once right after start-up and then every
  // `interval`, in its own write transaction (it may emit events and invalidate keys). `name`
  // labels its log lines. An error is logged and the job runs again at the next interval. With
  // several replicas every replica runs it: make it idempotent.
  virtual void every(std::chrono::milliseconds interval, std::string name,
                     std::function<Status(WriteContext&)> job) = 0;

  // Work done once at start-up after the migrations and before the service takes requests (for
  // example loading demo data), in one write transaction; an error stops the service.
  virtual void on_start(std::function<Status(WriteContext&)> fn) = 0;

  // The service being set up ("membership").
  virtual const std::string& service() const = 0;

 protected:
  virtual void add_read(const schema::OperationDesc& op, ErasedRead handler) = 0;
  virtual void add_write(const schema::OperationDesc& op, ErasedRead precheck,
                         ErasedWrite handler) = 0;
  virtual void add_subscription(const schema::EventDesc& event, ErasedEvent handler) = 0;
  // Marks the read `op`, registered just before, as a cached_read keyed by `key`.
  virtual void add_cache_key(const schema::OperationDesc& op, ErasedCacheKey key) = 0;
  virtual void note_error(std::string problem) = 0;
};

}  // namespace kai::svc
