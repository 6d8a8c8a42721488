// Runtime: one service assembled from its ServiceDefinition — database, cache, handlers, metrics —
// and the request, event and job paths run() and LocalService share. It knows nothing of sockets:
// run() feeds it bus requests and events and relays what it commits. Internal to libs/service.
//
// Thread safety: after create(), every method may be called from any thread at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bus/frames.hpp"
#include "cache/cache.hpp"
#include "common/config.hpp"
#include "common/result.hpp"
#include "service/context_core.hpp"
#include "service/handler_table.hpp"
#include "service/invalidator.hpp"
#include "service/service.hpp"
#include "service/service_metrics.hpp"
#include "store/database.hpp"

namespace kai::svc::detail {

// A request's answer: a status and, when ok, the reply payload (MessagePack).
struct Outcome {
  Status status = {};
  std::string payload = {};
};

// The status codes after which applying an event is retried rather than skipped.
bool is_retryable(StatusCode code);

class Runtime {
 public:
  // Validates the definition, runs setup() and the handler check, opens and migrates the
  // database, creates the cache. Errors name what is wrong; nothing is left running.
  static Result<std::unique_ptr<Runtime>> create(const ServiceDefinition& def, Config config,
                                                 bus::Client* client);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Runs the on_start work, each in its own write transaction.
  Status run_start_work();

  // Where committed events go, in commit order, on the database writer thread (non-blocking).
  // Set before serving; not changed afterwards.
  void set_event_sink(std::function<void(const std::vector<EmittedEvent>&)> sink);

  // The request path (see service.hpp): lookup, deadline, validation, dispatch, metrics, logs.
  Outcome handle(const RequestMeta& meta, std::string_view payload);
  // Its fast lane: answers as handle() would, but only when that takes no waiting at all (no
  // handler thread, no snapshot, no Redis): a valid request of a cached_read whose entry is in the
  // cache's local copy. nullopt otherwise, having changed nothing: pass the request to handle().
  std::optional<Outcome> handle_inline(const RequestMeta& meta, std::string_view payload);
  // The same from bus body frames [header, payload] to reply frames [header, payload].
  void serve(bus::Frames& body, bus::Frames& reply);
  // handle_inline() from bus body frames, for the bus I/O thread: true when it answered into
  // `reply`; false (and `body` untouched) to pass the request on to serve().
  bool serve_inline(const bus::Frames& body, bus::Frames& reply);

  // Applies another service's event unless its sequence was applied already. Returns whether it
  // was applied now. Errors: the handler's retryable errors, or a database failure.
  Result<bool> apply_event(const EventMeta& event, std::string_view payload);
  Result<std::int64_t> last_applied(std::string_view publisher);

  Status run_job(const JobEntry& job);
  Status refresh_gauges();
  // Forgets idempotency keys older than the retention; returns how many.
  Result<std::int64_t> purge_idempotency_keys();
  void update_data_dir_metrics();

  // The highest outbox sequence number committed (read at start, then tracked).
  std::int64_t committed_head() const { return head_.load(std::memory_order_acquire); }

  const ServiceDefinition& definition() const { return def_; }
  const schema::ServiceDesc& schema() const { return *def_.schema; }
  const Config& config() const { return config_; }
  const HandlerTable& table() const { return table_; }
  store::Database& database() { return *db_; }
  cache::Cache& cache() { return *cache_; }
  ServiceMetrics& metrics() { return *metrics_; }
  const std::string& name() const { return def_.name; }

 private:
  Runtime(const ServiceDefinition& def, Config config, bus::Client* client);

  Outcome dispatch(const schema::OperationDesc& op, const RequestMeta& meta,
                   const msgpack::object& request);
  Outcome handle_read(const OperationEntry& entry, const RequestMeta& meta,
                      const msgpack::object& request);
  Outcome handle_write(const OperationEntry& entry, const RequestMeta& meta,
                       const msgpack::object& request);
  Outcome events_since(const schema::OperationDesc& op, const msgpack::object& request);
  // The stored reply for `key`, replayed, or the refusal of a reused key.
  Outcome replay(const RequestMeta& meta, const std::string& digest, const std::string& stored_op,
                 const std::string& stored);
  // Runs `body` in a write transaction, then publishes its events and applies its invalidations.
  Status transact(const RequestMeta& meta, const EventMeta* event,
                  const std::function<Status(WriteContext&)>& body);
  // Whether to check the reply a read handler just built against its schema (check_reply).
  //
  // Writes check every reply, and values taken from the cache are checked on every use (they come
  // from outside). A read handler's reply is checked for the first kCheckEveryReadReplyUpTo of its
  // operation in this process, then one in kCheckOneReadReplyIn. Handlers build replies from
  // generated types, so types, required fields and enum values are right by construction; what a
  // check can still catch (a length, a range, a pattern broken by handler code) is a bug that shows
  // on the first replies, and every test, starting its own process, sees only first replies.
  // Checking every reply cost a list page of 50 a sixth of its time in the service.
  bool read_reply_check_due(const schema::OperationDesc& op);
  // Counts a served request in the metrics and logs it (errors, or every request at debug).
  void record(const std::string& op, SteadyClock::time_point started, const Outcome& out);
  // Ok when `reply` is a valid `desc` message (internal otherwise: a handler bug).
  Status check_reply(const schema::OperationDesc& op, std::string_view reply);

  ServiceDefinition def_;
  Config config_;
  HandlerTable table_;
  ContextServices services_;
  std::unique_ptr<ServiceMetrics> metrics_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<cache::Cache> cache_;
  std::unique_ptr<Invalidator> invalidator_;  // null without a cache; stops before cache_
  std::function<void(const std::vector<EmittedEvent>&)> sink_;
  std::atomic<std::int64_t> head_{0};
  std::chrono::milliseconds idempotency_retention_{0};
  static constexpr std::uint64_t kCheckEveryReadReplyUpTo = 1000;
  static constexpr std::uint64_t kCheckOneReadReplyIn = 64;
  // Replies built by each read operation's handler, for read_reply_check_due().
  std::unordered_map<const schema::OperationDesc*, std::atomic<std::uint64_t>> reads_answered_;
};

}  // namespace kai::svc::detail
