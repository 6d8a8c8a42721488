#include "service/service_runtime.hpp"

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <exception>
#include <mutex>

#include <sys/statvfs.h>

#include "bus/envelope.hpp"
#include "common/log.hpp"
#include "schema/codec.hpp"
#include "schema/unpack.hpp"
#include "schema/validate.hpp"
#include "service/idempotency_record.hpp"
#include "store/runtime.hpp"

namespace kai::svc::detail {

namespace {

constexpr std::size_t kMaxIdempotencyKeyBytes = 256;
// events.since stops adding events once a reply holds this many payload bytes (at least one
// event is always answered), so replies stay far below the bus message limit.
constexpr std::size_t kEventsSinceMaxBytes = 2u << 20;
constexpr std::string_view kEventsSince = "events.since";

// An empty payload is an empty request map: clients of operations without fields may send none.
constexpr std::string_view kEmptyMap("\x80", 1);

RequestMeta meta_of(bus::RequestHeader&& header) {
  return RequestMeta{
      .op = std::move(header.op),
      .request_id = std::move(header.request_id),
      .trace_id = std::move(header.trace_id),
      .principal = std::move(header.principal),
      .idempotency_key = std::move(header.idempotency_key),
      .deadline_ms = header.deadline_ms,
  };
}

std::string exception_text(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

std::int64_t int_field(const msgpack::object& map, std::string_view name, std::int64_t fallback) {
  for (const auto& kv : schema::codec::entries(map)) {
    if (schema::codec::key_of(kv.key) != name) continue;
    if (kv.val.type == msgpack::type::POSITIVE_INTEGER) {
      return static_cast<std::int64_t>(std::min<std::uint64_t>(kv.val.via.u64, INT64_MAX));
    }
    if (kv.val.type == msgpack::type::NEGATIVE_INTEGER) return kv.val.via.i64;
  }
  return fallback;
}

std::int64_t default_of(const schema::MessageDesc& desc, std::string_view field,
                        std::int64_t fallback) {
  const schema::FieldDesc* f = desc.find(field);
  if (f == nullptr || !f->has_default()) return fallback;
  return parse_int64(f->default_json).value_or(fallback);
}

}  // namespace

bool is_retryable(StatusCode code) {
  return code == StatusCode::unavailable || code == StatusCode::aborted ||
         code == StatusCode::resource_exhausted || code == StatusCode::deadline_exceeded;
}

Runtime::Runtime(const ServiceDefinition& def, Config config, bus::Client* client)
    : def_(def), config_(std::move(config)), table_(def.name) {
  services_.service = def_.name;
  services_.clock = def_.clock ? def_.clock : [] { return now_unix_ms(); };
  services_.client = client;
}

Runtime::~Runtime() {
  // Writes still queued complete first: their completions use the invalidator and the sink.
  db_.reset();
  invalidator_.reset();
}

Result<std::unique_ptr<Runtime>> Runtime::create(const ServiceDefinition& def, Config config,
                                                 bus::Client* client) {
  if (def.name.empty()) return invalid_argument("the service definition has no name");
  if (def.schema == nullptr) return invalid_argument("service " + def.name + " has no schema");
  if (!def.setup) return invalid_argument("service " + def.name + " has no setup function");
  std::unique_ptr<Runtime> rt(new Runtime(def, std::move(config), client));
  const Config& cfg = rt->config_;

  auto metrics = ServiceMetrics::create(*def.schema);
  if (!metrics.ok()) return metrics.status();
  rt->metrics_ = std::move(*metrics);

  Status setup;
  try {
    setup = def.setup(rt->table_, cfg);
  } catch (...) {
    setup = internal_error("setup threw: " + exception_text(std::current_exception()));
  }
  if (!setup.ok()) {
    return Status(setup.code(), "setting up " + def.name + ": " + setup.message(), setup.field());
  }
  KAI_RETURN_IF_ERROR(rt->table_.check(*def.schema));
  for (const schema::OperationDesc& op : def.schema->operations) {
    if (!op.write) rt->reads_answered_[&op];  // constructed in place; fixed from here on
  }
  for (const auto& g : rt->table_.gauges()) {
    KAI_RETURN_IF_ERROR(rt->metrics_->add_business_gauge(g.name, g.help));
  }

  rt->idempotency_retention_ = cfg.duration("idempotency-retention");
  store::StoreOptions so;
  so.data_dir = cfg.str("data-dir");
  so.service = def.name;
  so.db_url = cfg.str("db-url");
  so.read_pool_size = static_cast<int>(cfg.integer("db-read-connections"));
  auto db = store::Database::open(so);
  if (!db.ok()) return db.status();
  rt->db_ = std::move(*db);
  KAI_RETURN_IF_ERROR(rt->db_->migrate(def.name, def.migrations));
  std::int64_t head = 0;
  KAI_RETURN_IF_ERROR(rt->db_->read([&](store::Tx& tx) -> Status {
    auto h = store::outbox::head(tx);
    if (!h.ok()) return h.status();
    head = *h;
    return Status::Ok();
  }));
  rt->head_.store(head);

  auto cache_opts = cache::options_from_config(cfg, def.name);
  if (!cache_opts.ok()) return cache_opts.status();
  auto cache = cache::Cache::create(std::move(*cache_opts));
  if (!cache.ok()) return cache.status();
  rt->cache_ = std::move(*cache);
  if (rt->cache_->state() != cache::State::disabled) {
    rt->services_.cache = rt->cache_.get();
    rt->invalidator_ = std::make_unique<Invalidator>(*rt->cache_);
  }
  return rt;
}

Status Runtime::run_start_work() {
  const RequestMeta meta{.request_id = "start"};
  for (const auto& fn : table_.start_work()) {
    Status st = transact(meta, nullptr, fn);
    if (!st.ok()) {
      return Status(st.code(), "start-up work of " + def_.name + " failed: " + st.message(),
                    st.field());
    }
  }
  return Status::Ok();
}

void Runtime::set_event_sink(std::function<void(const std::vector<EmittedEvent>&)> sink) {
  sink_ = std::move(sink);
}

void Runtime::serve(bus::Frames& body, bus::Frames& reply) {
  reply.clear();
  if (body.empty()) {
    reply.push_back(bus::frame(bus::encode_reply_header({0, invalid_argument("empty request")})));
    return;
  }
  auto header = bus::decode_request_header(bus::view(body[0]));
  if (!header.ok()) {
    reply.push_back(bus::frame(bus::encode_reply_header({0, header.status()})));
    return;
  }
  log::ScopedRequest scope(header->request_id, header->trace_id);
  Outcome out;
  if (body.size() > 2) {
    out.status = invalid_argument("a request has a header frame and at most one payload frame");
  } else {
    out = handle(meta_of(std::move(*header)), body.size() > 1 ? bus::view(body[1]) : "");
  }
  reply.push_back(bus::frame(bus::encode_reply_header({header->id, out.status})));
  reply.push_back(bus::frame(out.status.ok() ? std::string_view(out.payload) : std::string_view()));
}

bool Runtime::serve_inline(const bus::Frames& body, bus::Frames& reply) {
  if (body.size() != 2 || cache_ == nullptr) return false;
  auto header = bus::decode_request_header(bus::view(body[0]));
  if (!header.ok()) return false;
  const std::uint64_t id = header->id;
  std::optional<Outcome> out = handle_inline(meta_of(std::move(*header)), bus::view(body[1]));
  if (!out) return false;
  reply.clear();
  reply.push_back(bus::frame(bus::encode_reply_header({id, out->status})));
  reply.push_back(bus::frame(out->payload));
  return true;
}

std::optional<Outcome> Runtime::handle_inline(const RequestMeta& meta, std::string_view payload) {
  if (cache_ == nullptr) return std::nullopt;
  const schema::OperationDesc* op = def_.schema->find_operation(meta.op);
  const OperationEntry* entry = op == nullptr ? nullptr : table_.find(op->name);
  if (entry == nullptr || !entry->cache_key) return std::nullopt;
  if (meta.deadline_ms != 0 && now_unix_ms() >= meta.deadline_ms) return std::nullopt;
  const auto started = SteadyClock::now();
  // Whatever goes wrong from here (an invalid request, a local miss, an entry that does not match
  // the reply schema) is left to handle(), which answers or reports it.
  auto obj = schema::unpack_borrowed(payload.empty() ? kEmptyMap : payload);
  if (!obj.ok() || !schema::validate(obj->get(), *op->request).ok()) return std::nullopt;
  auto key = entry->cache_key(obj->get());
  if (!key.ok()) return std::nullopt;
  std::optional<std::string> cached = cache_->get_local(*key);
  if (!cached || !check_reply(*op, *cached).ok()) return std::nullopt;
  log::ScopedRequest scope(meta.request_id, meta.trace_id);
  metrics_->in_flight().Increment();
  Outcome out{Status::Ok(), std::move(*cached)};
  record(meta.op, started, out);
  return out;
}

Outcome Runtime::handle(const RequestMeta& meta, std::string_view payload) {
  const auto started = SteadyClock::now();
  metrics_->in_flight().Increment();
  Outcome out;
  const schema::OperationDesc* op = def_.schema->find_operation(meta.op);
  if (op == nullptr) {
    out.status = invalid_argument(
        "service " + def_.name + " has no operation '" + meta.op.substr(0, 128) + "'", "op");
  } else if (meta.deadline_ms != 0 && now_unix_ms() >= meta.deadline_ms) {
    out.status = deadline_exceeded("the request's deadline passed before it was served");
  } else {
    auto obj = schema::unpack_borrowed(payload.empty() ? kEmptyMap : payload);
    if (!obj.ok()) {
      out.status = invalid_argument("request of " + meta.op + ": " + obj.status().message());
    } else if (Status v = schema::validate(obj->get(), *op->request); !v.ok()) {
      out.status = v;
    } else {
      out = dispatch(*op, meta, obj->get());
    }
  }
  record(meta.op, started, out);
  return out;
}

void Runtime::record(const std::string& op, SteadyClock::time_point started, const Outcome& out) {
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  ServiceMetrics::OpSeries& series = metrics_->op(op);
  metrics_->requests(series, out.status.code()).Increment();
  series.duration->Observe(seconds);
  metrics_->in_flight().Decrement();
  if (out.status.code() == StatusCode::internal) {
    log::error("request failed").kv("op", op.substr(0, 128)).kv("error", out.status.message());
  } else if (log::enabled(log::Level::debug)) {
    log::debug("request served")
        .kv("op", op.substr(0, 128))
        .kv("code", status_code_name(out.status.code()))
        .kv("ms", seconds * 1000.0);
  }
}

Outcome Runtime::dispatch(const schema::OperationDesc& op, const RequestMeta& meta,
                          const msgpack::object& request) {
  if (op.standard) {
    if (op.name == kEventsSince) return events_since(op, request);
    return {internal_error("standard operation " + std::string(op.name) + " is not implemented")};
  }
  const OperationEntry* entry = table_.find(op.name);
  if (entry == nullptr) {  // the start-up check makes this impossible
    return {internal_error("operation " + std::string(op.name) + " has no handler")};
  }
  return op.write ? handle_write(*entry, meta, request) : handle_read(*entry, meta, request);
}

Outcome Runtime::handle_read(const OperationEntry& entry, const RequestMeta& meta,
                             const msgpack::object& request) {
  Outcome out;
  Status handler_status;
  out.status = db_->read([&](store::Tx& tx) -> Status {
    ContextCore core(services_, meta, tx);
    ReadContext ctx(core);
    try {
      auto r = entry.read(request, ctx);
      if (!r.ok()) {
        handler_status = r.status();
        return handler_status;
      }
      out.payload = std::move(*r);
    } catch (...) {
      handler_status = internal_error("handler of " + meta.op +
                                      " threw: " + exception_text(std::current_exception()));
      return handler_status;
    }
    return Status::Ok();
  });
  if (out.status.ok() && read_reply_check_due(*entry.desc)) {
    out.status = check_reply(*entry.desc, out.payload);
  }
  if (!out.status.ok()) out.payload.clear();
  return out;
}

bool Runtime::read_reply_check_due(const schema::OperationDesc& op) {
  const auto it = reads_answered_.find(&op);
  assert(it != reads_answered_.end());  // create() lists every read of the schema
  const std::uint64_t n = it->second.fetch_add(1, std::memory_order_relaxed);
  return n < kCheckEveryReadReplyUpTo || n % kCheckOneReadReplyIn == 0;
}

Outcome Runtime::handle_write(const OperationEntry& entry, const RequestMeta& meta,
                              const msgpack::object& request) {
  const std::string& key = meta.idempotency_key;
  if (key.empty()) {
    return {
        invalid_argument(meta.op + " is a write and needs an idempotency key", "idempotency_key")};
  }
  if (key.size() > kMaxIdempotencyKeyBytes) {
    return {invalid_argument("the idempotency key is longer than 256 bytes", "idempotency_key")};
  }
  const std::string digest = request_digest(meta.op, request);

  // Looks the key up in a read snapshot; fills `out` when it is known.
  const auto replay_if_known = [&](Outcome& out) -> bool {
    std::optional<store::idempotency::StoredReply> found;
    Status st = db_->read([&](store::Tx& tx) -> Status {
      auto r = store::idempotency::lookup(tx, key);
      if (!r.ok()) return r.status();
      found = std::move(*r);
      return Status::Ok();
    });
    if (!st.ok()) {
      out = {st};
      return true;
    }
    if (!found) return false;
    out = replay(meta, digest, found->op, found->reply);
    return true;
  };

  if (entry.precheck) {
    Outcome known;
    if (replay_if_known(known)) return known;
    Status pre = db_->read([&](store::Tx& tx) -> Status {
      ContextCore core(services_, meta, tx);
      ReadContext ctx(core);
      try {
        auto r = entry.precheck(request, ctx);
        return r.ok() ? Status::Ok() : r.status();
      } catch (...) {
        return internal_error("precheck of " + meta.op +
                              " threw: " + exception_text(std::current_exception()));
      }
    });
    if (!pre.ok()) return {pre};
  }

  Outcome out;
  bool replayed = false;
  bool recording = false;
  Status st = transact(meta, nullptr, [&](WriteContext& ctx) -> Status {
    auto found = store::idempotency::lookup(ctx.tx(), key);
    if (!found.ok()) return found.status();
    if (*found) {
      replayed = true;
      out = replay(meta, digest, (*found)->op, (*found)->reply);
      return out.status;  // a refusal has changed nothing: failing the unit costs nothing
    }
    auto reply = entry.write(request, ctx);
    if (!reply.ok()) return reply.status();
    KAI_RETURN_IF_ERROR(check_reply(*entry.desc, *reply));
    recording = true;
    KAI_RETURN_IF_ERROR(
        store::idempotency::record(ctx.tx(), key, meta.op, encode_stored_reply(digest, *reply)));
    recording = false;
    out.payload = std::move(*reply);
    return Status::Ok();
  });
  if (recording && st.code() == StatusCode::already_exists) {
    // Another replica recorded the same key between our lookup and our record: its write won
    // and ours rolled back. Answer what it answered.
    Outcome known;
    if (replay_if_known(known)) return known;
  }
  if (replayed) {
    if (!st.ok() && out.status.ok()) out = {st};  // the replay's unit itself failed
    return out;
  }
  out.status = st;
  if (!st.ok()) out.payload.clear();
  return out;
}

Outcome Runtime::replay(const RequestMeta& meta, const std::string& digest,
                        const std::string& stored_op, const std::string& stored) {
  if (stored_op != meta.op) {
    return {invalid_argument("the idempotency key was already used for operation " + stored_op,
                             "idempotency_key")};
  }
  auto rec = decode_stored_reply(stored);
  if (!rec.ok()) return {rec.status()};
  if (rec->digest != digest) {
    return {invalid_argument(
        "the idempotency key was already used for a different " + meta.op + " request",
        "idempotency_key")};
  }
  log::debug("idempotent write replayed").kv("op", meta.op);
  return {Status::Ok(), std::move(rec->reply)};
}

Status Runtime::transact(const RequestMeta& meta, const EventMeta* event,
                         const std::function<Status(WriteContext&)>& body) {
  // Shared with the writer thread (and the invalidator). A mutex and condition variable rather
  // than std::atomic::wait, which spins with sched_yield first: with hundreds of handler threads
  // waiting that spinning costs more than the writes.
  struct Pending {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status status;
    std::vector<EmittedEvent> emitted;
    std::vector<std::string> invalidations;
    void finish() {
      std::lock_guard lock(mu);
      done = true;
      cv.notify_one();
    }
  };
  auto pending = std::make_shared<Pending>();
  db_->write_async(
      [&, pending](store::Tx& tx) -> Status {
        ContextCore core(services_, meta, tx, event);
        WriteContext ctx(core);
        Status st;
        try {
          st = body(ctx);
        } catch (...) {
          st = internal_error("handler of " + (meta.op.empty() ? meta.request_id : meta.op) +
                              " threw: " + exception_text(std::current_exception()));
        }
        // Kept even when this unit fails: only a committed unit's effects are acted on.
        pending->emitted = std::move(core.emitted());
        pending->invalidations = std::move(core.invalidations());
        return st;
      },
      [this, pending](Status st) {
        const bool committed = st.ok();
        pending->status = std::move(st);
        if (committed && !pending->emitted.empty()) {
          // Published before the head moves, so a head beacon never announces an event that
          // has not been sent yet.
          if (sink_) sink_(pending->emitted);
          std::int64_t h = head_.load(std::memory_order_relaxed);
          const std::int64_t last = pending->emitted.back().seq;
          while (h < last && !head_.compare_exchange_weak(h, last)) {
          }
        }
        if (committed && !pending->invalidations.empty() && invalidator_ != nullptr) {
          invalidator_->submit(std::move(pending->invalidations), [pending] { pending->finish(); });
        } else {
          pending->finish();
        }
      });
  std::unique_lock lock(pending->mu);
  pending->cv.wait(lock, [&] { return pending->done; });
  return pending->status;
}

Status Runtime::check_reply(const schema::OperationDesc& op, std::string_view reply) {
  auto obj = schema::unpack_borrowed(reply);
  Status st = obj.ok() ? schema::validate(obj->get(), *op.reply) : obj.status();
  if (st.ok()) return st;
  return internal_error("the reply of " + std::string(op.name) +
                        " does not match its schema: " + st.message());
}

Outcome Runtime::events_since(const schema::OperationDesc& op, const msgpack::object& request) {
  const std::int64_t after = int_field(request, "after", 0);
  const auto limit =
      static_cast<int>(int_field(request, "limit", default_of(*op.request, "limit", 100)));
  std::vector<store::outbox::Event> events;
  std::int64_t head = 0;
  Status st = db_->read([&](store::Tx& tx) -> Status {
    auto h = store::outbox::head(tx);
    if (!h.ok()) return h.status();
    head = *h;
    auto e = store::outbox::read_since(tx, after, limit);
    if (!e.ok()) return e.status();
    events = std::move(*e);
    return Status::Ok();
  });
  if (!st.ok()) return {st};
  std::string out;
  schema::StringSink sink(out);
  schema::Packer pk(sink);
  std::size_t count = 0;
  std::size_t bytes = 0;
  for (const auto& e : events) {
    if (count > 0 && bytes + e.payload.size() > kEventsSinceMaxBytes) break;
    bytes += e.payload.size();
    ++count;
  }
  pk.pack_map(2);
  schema::codec::pack_key(pk, "events");
  pk.pack_array(static_cast<std::uint32_t>(count));
  for (std::size_t i = 0; i < count; ++i) {
    const auto& e = events[i];
    pk.pack_map(4);
    schema::codec::pack_key(pk, "seq");
    schema::codec::pack_int(pk, e.seq);
    schema::codec::pack_key(pk, "topic");
    schema::codec::pack_string(pk, e.topic);
    schema::codec::pack_key(pk, "payload");
    schema::codec::pack_bytes(pk, e.payload);
    schema::codec::pack_key(pk, "created_at");
    schema::codec::pack_int(pk, e.created_at);
  }
  schema::codec::pack_key(pk, "head");
  schema::codec::pack_int(pk, head);
  return {check_reply(op, out), std::move(out)};
}

Result<bool> Runtime::apply_event(const EventMeta& event, std::string_view payload) {
  const RequestMeta meta{.request_id =
                             "event:" + event.publisher + ":" + std::to_string(event.seq)};
  log::ScopedRequest scope(meta.request_id, "");
  const auto& subs = table_.subscriptions();
  const auto sub = subs.find(event.topic);
  const SubscriptionEntry* entry = sub == subs.end() ? nullptr : &sub->second;
  std::optional<msgpack::object_handle> obj;
  if (entry != nullptr) {
    auto unpacked = schema::unpack_borrowed(payload);
    Status valid = unpacked.ok() ? schema::validate(unpacked->get(), *entry->desc->message)
                                 : unpacked.status();
    if (valid.ok()) {
      obj = std::move(*unpacked);
    } else {
      log::error("event does not match its schema; skipped")
          .kv("publisher", event.publisher)
          .kv("topic", event.topic)
          .kv("seq", event.seq)
          .kv("error", valid.message());
    }
  }
  bool already = false;
  Status handler_status;
  const auto apply = [&](bool run_handler) {
    return transact(meta, &event, [&](WriteContext& ctx) -> Status {
      auto last = store::subscriptions::last_applied(ctx.tx(), event.publisher);
      if (!last.ok()) return last.status();
      if (*last >= event.seq) {
        already = true;
        return Status::Ok();
      }
      if (run_handler && obj) {
        handler_status = entry->handler(obj->get(), ctx);
        if (!handler_status.ok()) return handler_status;
      }
      return store::subscriptions::set_last_applied(ctx.tx(), event.publisher, event.seq);
    });
  };
  Status st = apply(true);
  if (!st.ok() && !handler_status.ok() && !is_retryable(handler_status.code())) {
    log::error("event handler failed; event skipped")
        .kv("publisher", event.publisher)
        .kv("topic", event.topic)
        .kv("seq", event.seq)
        .kv("error", handler_status.to_string());
    st = apply(false);
  }
  if (!st.ok()) return st;
  if (!already) metrics_->applied(event.publisher).Increment();
  return !already;
}

Result<std::int64_t> Runtime::last_applied(std::string_view publisher) {
  std::int64_t out = 0;
  KAI_RETURN_IF_ERROR(db_->read([&](store::Tx& tx) -> Status {
    auto r = store::subscriptions::last_applied(tx, publisher);
    if (!r.ok()) return r.status();
    out = *r;
    return Status::Ok();
  }));
  return out;
}

Status Runtime::run_job(const JobEntry& job) {
  static std::atomic<std::uint64_t> runs{0};
  const RequestMeta meta{.request_id = "job:" + job.name + ":" + std::to_string(++runs)};
  log::ScopedRequest scope(meta.request_id, "");
  Status st = transact(meta, nullptr, job.fn);
  if (!st.ok()) log::error("periodic job failed").kv("job", job.name).kv("error", st.to_string());
  return st;
}

Status Runtime::refresh_gauges() {
  Status first;
  const RequestMeta meta{.request_id = "gauges"};
  for (const auto& g : table_.gauges()) {
    std::vector<GaugeSample> samples;
    Status st = db_->read([&](store::Tx& tx) -> Status {
      ContextCore core(services_, meta, tx);
      ReadContext ctx(core);
      try {
        if (g.single) {
          auto v = g.single(ctx);
          if (!v.ok()) return v.status();
          samples.push_back(GaugeSample{{}, *v});
        } else {
          auto v = g.family(ctx);
          if (!v.ok()) return v.status();
          samples = std::move(*v);
        }
      } catch (...) {
        return internal_error("gauge threw: " + exception_text(std::current_exception()));
      }
      return Status::Ok();
    });
    if (st.ok()) {
      metrics_->set_business_gauge(g.name, samples);
    } else {
      log::warn("gauge not updated").kv("gauge", g.name).kv("error", st.to_string());
      if (first.ok()) first = st;
    }
  }
  return first;
}

Result<std::int64_t> Runtime::purge_idempotency_keys() {
  const UnixMillis before = now_unix_ms() - idempotency_retention_.count();
  std::int64_t purged = 0;
  KAI_RETURN_IF_ERROR(db_->write([&](store::Tx& tx) -> Status {
    auto n = store::idempotency::purge_older_than(tx, before);
    if (!n.ok()) return n.status();
    purged = *n;
    return Status::Ok();
  }));
  if (purged > 0) log::info("idempotency keys purged").kv("count", purged);
  return purged;
}

void Runtime::update_data_dir_metrics() {
  struct statvfs fs {};
  if (::statvfs(config_.str("data-dir").c_str(), &fs) != 0) return;
  metrics_->data_dir_free().Set(static_cast<double>(fs.f_bavail) *
                                static_cast<double>(fs.f_frsize));
  metrics_->data_dir_size().Set(static_cast<double>(fs.f_blocks) *
                                static_cast<double>(fs.f_frsize));
}

}  // namespace kai::svc::detail
