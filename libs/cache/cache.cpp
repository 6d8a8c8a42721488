#include "cache/cache.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <unordered_map>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include "cache/local_cache.hpp"
#include "cache/redis_connection.hpp"
#include "cache/redis_url.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "ops/metrics.hpp"

namespace kai::cache {
namespace {

using std::chrono::milliseconds;

// Invalidation fences are striped by key hash: a del() of one key also fences loads of the keys
// sharing its stripe, which costs those loads one skipped SET at worst and keeps memory fixed.
constexpr std::size_t kFenceStripes = 1024;
constexpr std::size_t kFlightShards = 16;
constexpr std::size_t kMaxPendingInvalidations = 10'000;
constexpr std::size_t kDelBatch = 256;
// Room for the RESP framing around a value ("$<len>\r\n...\r\n").
constexpr std::size_t kReplyOverhead = 64;

struct Families {
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Gauge>& degraded;
  prometheus::Family<prometheus::Counter>& reconnects;
  prometheus::Family<prometheus::Counter>& sets;
  prometheus::Family<prometheus::Counter>& invalidations;
  prometheus::Family<prometheus::Counter>& coalesced;
  prometheus::Family<prometheus::Counter>& stale_sets;
  prometheus::Family<prometheus::Counter>& local_hits;
};

// Registered once per process; prometheus-cpp may throw here, so only create() calls it.
const Families& families() {
  static const Families f = [] {
    auto& r = ops::registry();
    return Families{
        prometheus::BuildCounter()
            .Name("kai_cache_requests_total")
            .Help("Cache reads by result (hit, miss, error); failed writes count as error")
            .Register(r),
        prometheus::BuildGauge()
            .Name("kai_cache_degraded")
            .Help("1 while Redis is failing and the cache is bypassed, else 0")
            .Register(r),
        prometheus::BuildCounter()
            .Name("kai_cache_reconnects_total")
            .Help("Recoveries of the cache after Redis failed")
            .Register(r),
        prometheus::BuildCounter()
            .Name("kai_cache_sets_total")
            .Help("Values stored in the cache")
            .Register(r),
        prometheus::BuildCounter()
            .Name("kai_cache_invalidations_total")
            .Help("Keys invalidated")
            .Register(r),
        prometheus::BuildCounter()
            .Name("kai_cache_coalesced_total")
            .Help("Cache misses that waited for a concurrent load of the same key")
            .Register(r),
        prometheus::BuildCounter()
            .Name("kai_cache_stale_sets_total")
            .Help("Loaded values not kept because their key was invalidated during the load")
            .Register(r),
        prometheus::BuildCounter()
            .Name("kai_cache_local_hits_total")
            .Help("Cache hits answered from the process's local copy, without a Redis round trip "
                  "(also counted as result=\"hit\" in kai_cache_requests_total)")
            .Register(r),
    };
  }();
  return f;
}

struct Metrics {
  prometheus::Counter* hits;
  prometheus::Counter* misses;
  prometheus::Counter* errors;
  prometheus::Gauge* degraded;
  prometheus::Counter* reconnects;
  prometheus::Counter* sets;
  prometheus::Counter* invalidations;
  prometheus::Counter* coalesced;
  prometheus::Counter* stale_sets;
  prometheus::Counter* local_hits;
};

Metrics metrics_for(const std::string& service) {
  const Families& f = families();
  const prometheus::Labels l{{"service", service}};
  const auto with = [&](std::string_view result) {
    prometheus::Labels r = l;
    r.emplace("result", std::string(result));
    return &f.requests.Add(r);
  };
  return Metrics{
      with("hit"),          with("miss"),        with("error"),           &f.degraded.Add(l),
      &f.reconnects.Add(l), &f.sets.Add(l),      &f.invalidations.Add(l), &f.coalesced.Add(l),
      &f.stale_sets.Add(l), &f.local_hits.Add(l)};
}

std::uint64_t count(const prometheus::Counter* c) {
  return static_cast<std::uint64_t>(c->Value());
}

bool valid_service(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (const char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == ':') return false;
  }
  return true;
}

Status bad_setting(std::string_view setting, std::string_view why) {
  return invalid_argument(
      env_name_for(setting) + " / --" + std::string(setting) + ": " + std::string(why),
      std::string(setting));
}

bool accept_value(const Reply& r) {
  return r.type == Reply::Type::string || r.type == Reply::Type::nil;
}
bool accept_ok(const Reply& r) {
  return r.type == Reply::Type::status && r.str == "OK";
}
bool accept_integer(const Reply& r) {
  return r.type == Reply::Type::integer;
}
bool accept_pong(const Reply& r) {
  return r.type == Reply::Type::status && r.str == "PONG";
}

struct Flight {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<std::string>> result;
};

struct PooledConnection {
  std::unique_ptr<RedisConnection> conn;
  std::uint64_t epoch = 0;  // pool epoch it was opened in; older ones are closed on release
  bool fresh = false;       // opened for this call (its connect time is not part of op_timeout)
};

enum class Admission : std::uint8_t { use, skip, probe };

// Clears the probe flag however the probing call ends.
class ProbeGuard {
 public:
  explicit ProbeGuard(std::atomic<bool>* flag) : flag_(flag) {}
  ~ProbeGuard() {
    if (flag_ != nullptr) flag_->store(false);
  }
  ProbeGuard(const ProbeGuard&) = delete;
  ProbeGuard& operator=(const ProbeGuard&) = delete;

 private:
  std::atomic<bool>* flag_;
};

}  // namespace

struct Cache::Impl {
  CacheOptions opt;
  std::optional<RedisEndpoint> endpoint;  // nullopt: disabled
  std::string prefix;
  std::string where;  // redacted endpoint
  Metrics m{};
  std::unique_ptr<LocalCache> local;  // null when local_ttl is 0

  // Connection pool. `open_count` counts idle and leased connections.
  std::mutex pool_mu;
  std::condition_variable pool_cv;
  std::vector<PooledConnection> idle;
  int open_count = 0;
  std::uint64_t epoch = 0;

  // Circuit breaker.
  std::atomic<bool> degraded{false};
  std::atomic<SteadyClock::rep> open_until{0};
  std::atomic<bool> probing{false};
  mutable std::mutex state_mu;
  std::string last_error;
  UnixMillis degraded_since = 0;

  // Invalidation fences: the generation of a stripe changes on every del() of a key in it. The
  // mutex makes "check the generation, then SET" one step with respect to del(), so once del()
  // has bumped the generation no load that started earlier can still be writing.
  struct Fence {
    std::mutex mu;
    std::uint64_t generation = 0;  // guarded by mu
  };
  std::array<Fence, kFenceStripes> fences;
  struct FlightShard {
    std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<Flight>> flights;
  };
  std::array<FlightShard, kFlightShards> shards;

  // Invalidations that did not reach Redis, replayed once it answers again. Key -> sequence, so
  // a replay does not forget a key invalidated again while the replay was in flight.
  std::mutex pending_mu;
  std::unordered_map<std::string, std::uint64_t> pending;
  std::uint64_t pending_seq = 0;
  bool pending_overflow_logged = false;
  std::atomic<std::size_t> pending_count{0};
  std::mutex flush_mu;

  std::size_t max_reply_bytes() const { return opt.max_value_bytes + kReplyOverhead; }

  // --- circuit breaker -------------------------------------------------------------------------

  Admission admit() {
    if (!degraded.load()) return Admission::use;
    const auto now = SteadyClock::now().time_since_epoch().count();
    if (now < open_until.load()) return Admission::skip;
    bool expected = false;
    if (!probing.compare_exchange_strong(expected, true)) return Admission::skip;
    // State may have changed between the checks and winning the flag.
    if (!degraded.load()) {
      probing.store(false);
      return Admission::use;
    }
    if (SteadyClock::now().time_since_epoch().count() < open_until.load()) {
      probing.store(false);
      return Admission::skip;
    }
    return Admission::probe;
  }

  // A call on a connection of pool epoch `failed_epoch` failed. Failures of connections from an
  // epoch that was already closed are old news and change nothing.
  void trip(std::uint64_t failed_epoch, const std::string& why) {
    std::vector<PooledConnection> closing;
    {
      std::lock_guard lock(pool_mu);
      if (failed_epoch != epoch) return;
      ++epoch;
      open_count -= static_cast<int>(idle.size());
      closing.swap(idle);
    }
    pool_cv.notify_all();
    open_until.store((SteadyClock::now() + opt.retry_after).time_since_epoch().count());
    bool was_degraded;
    {
      std::lock_guard lock(state_mu);
      last_error = why;
      was_degraded = degraded.exchange(true);
      if (!was_degraded) degraded_since = now_unix_ms();
    }
    if (!was_degraded) {
      m.degraded->Set(1);
      log::warn("cache degraded: bypassing redis")
          .kv("service", opt.service)
          .kv("redis", where)
          .kv("error", why)
          .kv("retry_after_ms", static_cast<std::int64_t>(opt.retry_after.count()));
    }
  }

  void recover() {
    {
      std::lock_guard lock(state_mu);
      last_error.clear();
      degraded.store(false);
    }
    {
      std::lock_guard lock(pending_mu);
      pending_overflow_logged = false;
    }
    m.degraded->Set(0);
    m.reconnects->Increment();
    log::info("cache recovered: using redis again").kv("service", opt.service).kv("redis", where);
  }

  // --- pool ------------------------------------------------------------------------------------

  Result<PooledConnection> acquire(SteadyClock::time_point wait_deadline) {
    std::unique_lock lock(pool_mu);
    while (true) {
      if (!idle.empty()) {
        PooledConnection pc = std::move(idle.back());
        idle.pop_back();
        lock.unlock();
        // A connection the server closed while idle (its idle timeout, a restart) is replaced
        // quietly; only a failing replacement counts as Redis trouble.
        if (!pc.conn->stale_while_idle()) return pc;
        pc.conn.reset();
        lock.lock();
        --open_count;
        continue;
      }
      if (open_count < opt.pool_size) {
        ++open_count;
        const std::uint64_t opened_in = epoch;
        lock.unlock();
        auto conn = RedisConnection::open(*endpoint, SteadyClock::now() + opt.connect_timeout,
                                          max_reply_bytes());
        if (!conn.ok()) {
          {
            std::lock_guard relock(pool_mu);
            --open_count;
          }
          pool_cv.notify_one();
          trip(opened_in, "connect: " + conn.status().message());
          return conn.status();
        }
        return PooledConnection{std::move(*conn), opened_in, true};
      }
      if (pool_cv.wait_until(lock, wait_deadline) == std::cv_status::timeout && idle.empty() &&
          open_count >= opt.pool_size) {
        return resource_exhausted("all " + std::to_string(opt.pool_size) +
                                  " redis connections stayed busy for the whole op timeout");
      }
    }
  }

  void release(PooledConnection pc, bool reusable) {
    {
      std::lock_guard lock(pool_mu);
      if (reusable && !pc.conn->broken() && pc.epoch == epoch) {
        pc.fresh = false;
        idle.push_back(std::move(pc));
      } else {
        --open_count;
      }
    }
    pool_cv.notify_one();
  }

  // --- commands --------------------------------------------------------------------------------

  // Runs one command through the breaker and the pool. Any failure (connection, timeout,
  // protocol, error reply, unexpected reply) degrades the cache and is returned.
  Result<Reply> run(std::string_view op, std::span<const std::string_view> args,
                    bool (*accept)(const Reply&)) {
    const Admission admission = admit();
    if (admission == Admission::skip) {
      return unavailable("redis bypassed while the cache is degraded");
    }
    ProbeGuard guard(admission == Admission::probe ? &probing : nullptr);
    const auto start = SteadyClock::now();
    auto leased = acquire(start + opt.op_timeout);
    if (!leased.ok()) return leased.status();
    PooledConnection pc = std::move(leased).value();
    bool restarted_clock = pc.fresh;

    if (pending_count.load() > 0) {
      Status flushed = flush_pending(pc);
      if (!flushed.ok()) return failure(std::move(pc), op, flushed);
      restarted_clock = true;
    }

    const auto deadline = (restarted_clock ? SteadyClock::now() : start) + opt.op_timeout;
    auto reply = pc.conn->call(args, deadline);
    if (!reply.ok()) return failure(std::move(pc), op, reply.status());
    if (reply->type == Reply::Type::error) {
      return failure(std::move(pc), op, unavailable("redis answered with an error: " + reply->str));
    }
    if (!accept(*reply)) {
      return failure(std::move(pc), op, unavailable("unexpected kind of reply"));
    }
    release(std::move(pc), true);
    if (admission == Admission::probe) recover();
    return reply;
  }

  Status failure(PooledConnection pc, std::string_view op, const Status& status) {
    const std::uint64_t failed_epoch = pc.epoch;
    release(std::move(pc), false);
    const std::string why = std::string(op) + ": " + status.message();
    trip(failed_epoch, why);
    return Status(status.code(), why);
  }

  // Sends the remembered invalidations on `pc` (one flusher at a time; others skip). A failure
  // leaves the rest remembered and is returned so the caller can retire the connection.
  Status flush_pending(PooledConnection& pc) {
    std::unique_lock flushing(flush_mu, std::try_to_lock);
    if (!flushing.owns_lock()) return Status::Ok();
    // Bounded: keys invalidated again during the flush wait for the next one.
    for (std::size_t round = 0; round <= kMaxPendingInvalidations / kDelBatch; ++round) {
      std::vector<std::pair<std::string, std::uint64_t>> batch;
      {
        std::lock_guard lock(pending_mu);
        for (const auto& [key, seq] : pending) {
          if (batch.size() == kDelBatch) break;
          batch.emplace_back(key, seq);
        }
      }
      if (batch.empty()) return Status::Ok();
      std::vector<std::string_view> args{"DEL"};
      for (const auto& entry : batch)
        args.emplace_back(entry.first);
      auto reply = pc.conn->call(args, SteadyClock::now() + opt.op_timeout);
      if (!reply.ok()) return reply.status();
      if (reply->type != Reply::Type::integer) {
        return unavailable("replaying invalidations: unexpected reply to DEL");
      }
      std::lock_guard lock(pending_mu);
      for (const auto& [key, seq] : batch) {
        auto it = pending.find(key);
        if (it != pending.end() && it->second == seq) pending.erase(it);
      }
      pending_count.store(pending.size());
    }
    return Status::Ok();
  }

  void remember_pending(std::span<const std::string> keys) {
    std::lock_guard lock(pending_mu);
    std::size_t dropped = 0;
    for (const auto& key : keys) {
      auto it = pending.find(key);
      if (it != pending.end()) {
        it->second = ++pending_seq;
      } else if (pending.size() < kMaxPendingInvalidations) {
        pending.emplace(key, ++pending_seq);
      } else {
        ++dropped;
      }
    }
    pending_count.store(pending.size());
    if (dropped > 0 && !pending_overflow_logged) {
      pending_overflow_logged = true;
      log::warn("cache invalidation backlog full: some entries may stay stale until their TTL")
          .kv("service", opt.service)
          .kv("backlog", static_cast<std::uint64_t>(pending.size()));
    }
  }

  bool is_pending(const std::string& key) {
    if (pending_count.load() == 0) return false;
    std::lock_guard lock(pending_mu);
    return pending.count(key) != 0;
  }

  // nullopt: miss. Keys with an invalidation not yet delivered are misses without asking Redis.
  Result<std::optional<std::string>> fetch(const std::string& key) {
    if (is_pending(key)) return std::optional<std::string>();
    const std::string_view args[] = {"GET", key};
    auto reply = run("GET", args, accept_value);
    if (!reply.ok()) return reply.status();
    if (reply->type == Reply::Type::nil) return std::optional<std::string>();
    return std::optional<std::string>(std::move(reply->str));
  }

  bool storable(std::string_view value, milliseconds ttl) const {
    return ttl.count() >= 1 && value.size() <= opt.max_value_bytes;
  }

  Status store(const std::string& key, std::string_view value, milliseconds ttl) {
    const std::string px = std::to_string(ttl.count());
    const std::string_view args[] = {"SET", key, value, "PX", px};
    auto reply = run("SET", args, accept_ok);
    if (!reply.ok()) {
      m.errors->Increment();
      return reply.status();
    }
    m.sets->Increment();
    return Status::Ok();
  }

  // DEL in batches; keys whose DEL did not get through are remembered for replay.
  void delete_keys(std::span<const std::string> keys) {
    for (std::size_t i = 0; i < keys.size(); i += kDelBatch) {
      const auto chunk = keys.subspan(i, std::min(kDelBatch, keys.size() - i));
      std::vector<std::string_view> args{"DEL"};
      for (const auto& k : chunk)
        args.emplace_back(k);
      if (!run("DEL", args, accept_integer).ok()) {
        m.errors->Increment();
        remember_pending(chunk);
      }
    }
  }

  // --- invalidation fences and single flight ----------------------------------------------------

  static std::size_t hash_of(std::string_view key) { return std::hash<std::string_view>{}(key); }
  Fence& fence(std::size_t h) { return fences[h % kFenceStripes]; }
  FlightShard& shard(std::size_t h) { return shards[(h / kFenceStripes) % kFlightShards]; }

  // Bumps the generation of the key's stripe, waiting for a SET of a load of that stripe that is
  // in flight (every later one sees the new generation and does not store), then drops the local
  // copy: a read or load that started before can no longer keep the old value anywhere.
  void fence_out(const std::string& key) {
    {
      Fence& f = fence(hash_of(key));
      std::lock_guard lock(f.mu);
      ++f.generation;
    }
    if (local) local->erase(key);
  }

  void invalidate(std::vector<std::string> keys) {
    for (const auto& key : keys) {
      fence_out(key);
      // Later callers must not join a load that started before the invalidation.
      FlightShard& s = shard(hash_of(key));
      std::lock_guard lock(s.mu);
      s.flights.erase(key);
    }
    m.invalidations->Increment(static_cast<double>(keys.size()));
    if (endpoint) delete_keys(keys);
  }

  // Stores a loaded value unless its stripe was invalidated since `seen` was read. The SET runs
  // under the fence (bounded by op_timeout), so a concurrent del() waits for it and its DEL
  // lands after it.
  void store_loaded(const std::string& key, std::string_view value, milliseconds ttl, Fence& f,
                    std::uint64_t seen, bool in_redis) {
    if (!storable(value, ttl)) return;
    std::lock_guard lock(f.mu);
    if (f.generation != seen) {
      m.stale_sets->Increment();
      return;
    }
    if (local) local->put(key, value, SteadyClock::now());
    if (in_redis) (void)store(key, value, ttl);
  }

  // Keeps a local copy of a value Redis answered, unless the key was invalidated since `seen`
  // was read (before the GET).
  void keep_local(const std::string& key, std::string_view value, std::uint64_t seen) {
    Fence& f = fence(hash_of(key));
    std::lock_guard lock(f.mu);
    if (f.generation == seen) local->put(key, value, SteadyClock::now());
  }

  std::uint64_t generation_of(const std::string& key) {
    Fence& f = fence(hash_of(key));
    std::lock_guard lock(f.mu);
    return f.generation;
  }

  // The read both get() and get_or_load() start with: the local copy, else Redis (a value found
  // there is kept locally unless the key was fenced meanwhile), counted as hit, miss or error.
  // nullopt: a miss; an error: Redis failed (or is bypassed while degraded).
  // The local copy's value of `key`, counted as a local hit when found.
  std::optional<std::string> lookup_local(std::string_view key) {
    if (!local) return std::nullopt;
    auto v = local->get(key, SteadyClock::now());
    if (v) {
      m.hits->Increment();
      m.local_hits->Increment();
    }
    return v;
  }

  Result<std::optional<std::string>> lookup(const std::string& key) {
    if (auto v = lookup_local(key)) return v;
    const std::uint64_t seen = local ? generation_of(key) : 0;
    auto r = fetch(key);
    if (!r.ok()) {
      m.errors->Increment();
      return r.status();
    }
    (r->has_value() ? m.hits : m.misses)->Increment();
    if (local && r->has_value()) keep_local(key, **r, seen);
    return r;
  }

  static Result<std::string> call_loader(const Loader& loader) {
    try {
      return loader();
    } catch (const std::exception& e) {
      return internal_error(std::string("cache loader threw: ") + e.what());
    } catch (...) {
      return internal_error("cache loader threw a non-standard exception");
    }
  }

  Result<std::string> load_once(const std::string& key, milliseconds ttl, const Loader& loader,
                                bool may_store) {
    const std::size_t h = hash_of(key);
    FlightShard& s = shard(h);
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
      std::lock_guard lock(s.mu);
      auto& slot = s.flights[key];
      if (!slot) {
        slot = std::make_shared<Flight>();
        leader = true;
      }
      flight = slot;
    }
    if (!leader) {
      m.coalesced->Increment();
      std::unique_lock lock(flight->mu);
      flight->cv.wait(lock, [&] { return flight->result.has_value(); });
      return *flight->result;
    }

    Fence& f = fence(h);
    std::uint64_t seen;
    {
      std::lock_guard lock(f.mu);
      seen = f.generation;  // before the source of truth is read
    }
    Result<std::string> result = call_loader(loader);
    {
      std::lock_guard lock(flight->mu);
      flight->result.emplace(result);
    }
    flight->cv.notify_all();
    if (result.ok() && (may_store || local)) store_loaded(key, *result, ttl, f, seen, may_store);
    {
      // Kept until the value is stored so that callers arriving meanwhile share it instead of
      // missing in Redis and loading again.
      std::lock_guard lock(s.mu);
      auto it = s.flights.find(key);
      if (it != s.flights.end() && it->second == flight) s.flights.erase(it);
    }
    return result;
  }
};

std::vector<SettingSpec> setting_specs() {
  return {
      {.name = "redis-url",
       .default_value = "redis://127.0.0.1:6379/0",
       .help = "Redis for the cache: redis://[[user]:password@]host[:port][/db]; empty disables "
               "the cache"},
      {.name = "redis-connect-timeout",
       .default_value = "100ms",
       .help = "Time allowed to open (and authenticate) a Redis connection",
       .kind = SettingKind::duration_ms,
       .min = 1,
       .max = 60'000},
      {.name = "redis-op-timeout",
       .default_value = "50ms",
       .help = "Time allowed for one cache operation before Redis counts as failing",
       .kind = SettingKind::duration_ms,
       .min = 1,
       .max = 60'000},
      {.name = "redis-pool-size",
       .default_value = "8",
       .help = "Redis connections per process (the most cache calls served at once)",
       .kind = SettingKind::integer,
       .min = 1,
       .max = 1024},
      {.name = "redis-retry-after",
       .default_value = "1s",
       .help = "After a Redis failure, how long the cache bypasses Redis before probing it again",
       .kind = SettingKind::duration_ms,
       .min = 1,
       .max = 3'600'000},
      {.name = "cache-local-ttl",
       .default_value = "1s",
       .help = "How long a process keeps its own copy of a hot cache entry, skipping the Redis "
               "round trip; also the longest another replica of the service may answer with a "
               "value this one changed. 0 turns the local copy off",
       .kind = SettingKind::duration_ms,
       .min = 0,
       .max = 60'000},
      {.name = "cache-local-bytes",
       .default_value = "33554432",
       .help = "Memory for the local copies of cache entries (keys and values), in bytes",
       .kind = SettingKind::integer,
       .min = 65'536,
       .max = 4'294'967'296},
  };
}

Result<CacheOptions> options_from_config(const Config& config, std::string service) {
  CacheOptions o;
  o.url = config.str("redis-url");
  o.service = std::move(service);
  o.connect_timeout = config.duration("redis-connect-timeout");
  o.op_timeout = config.duration("redis-op-timeout");
  o.pool_size = static_cast<int>(config.integer("redis-pool-size"));
  o.retry_after = config.duration("redis-retry-after");
  o.local_ttl = config.duration("cache-local-ttl");
  o.local_max_bytes = static_cast<std::size_t>(config.integer("cache-local-bytes"));
  if (!o.url.empty()) {
    auto endpoint = parse_redis_url(o.url, "redis-url");
    if (!endpoint.ok()) return endpoint.status();
  }
  return o;
}

std::string_view state_name(State state) {
  switch (state) {
    case State::disabled:
      return "disabled";
    case State::ok:
      return "ok";
    case State::degraded:
      return "degraded";
  }
  return "unknown";
}

Cache::Cache(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Cache::~Cache() = default;

Result<std::unique_ptr<Cache>> Cache::create(CacheOptions options) {
  if (!valid_service(options.service)) {
    return invalid_argument(
        "cache service name must be 1-64 characters without ':', spaces or control characters",
        "service");
  }
  if (options.connect_timeout.count() < 1) {
    return bad_setting("redis-connect-timeout", "must be at least 1ms");
  }
  if (options.op_timeout.count() < 1)
    return bad_setting("redis-op-timeout", "must be at least 1ms");
  if (options.retry_after.count() < 1) {
    return bad_setting("redis-retry-after", "must be at least 1ms");
  }
  if (options.pool_size < 1 || options.pool_size > 1024) {
    return bad_setting("redis-pool-size", "must be between 1 and 1024");
  }
  if (options.local_ttl.count() < 0 || options.local_ttl > std::chrono::minutes(1)) {
    return bad_setting("cache-local-ttl", "must be between 0 (off) and 1 minute");
  }
  if (options.local_ttl.count() > 0 && options.local_max_bytes < 65'536) {
    return bad_setting("cache-local-bytes", "must be at least 65536");
  }
  if (options.max_value_bytes < 1 || options.max_value_bytes > (512u << 20)) {
    return invalid_argument("max_value_bytes must be between 1 byte and 512 MiB",
                            "max_value_bytes");
  }

  auto impl = std::make_unique<Impl>();
  if (!options.url.empty()) {
    auto endpoint = parse_redis_url(options.url, "redis-url");
    if (!endpoint.ok()) return endpoint.status();
    impl->endpoint = std::move(*endpoint);
    impl->where = impl->endpoint->redacted();
    if (options.local_ttl.count() > 0) {
      impl->local = std::make_unique<LocalCache>(options.local_ttl, options.local_max_bytes);
    }
  }
  impl->prefix = "kai:" + options.service + ":";
  impl->opt = std::move(options);
  try {
    impl->m = metrics_for(impl->opt.service);
  } catch (const std::exception& e) {
    return internal_error(std::string("cache metrics registration failed: ") + e.what());
  }
  impl->m.degraded->Set(0);

  if (!impl->endpoint) {
    log::info("cache disabled: no redis url").kv("service", impl->opt.service);
    return std::unique_ptr<Cache>(new Cache(std::move(impl)));
  }
  // One round trip now, so that a wrong address or password shows up at start-up (as a degraded
  // cache that keeps probing, not as a failure: Redis may simply be starting too).
  const std::string_view ping[] = {"PING"};
  if (impl->run("PING", ping, accept_pong).ok()) {
    log::info("cache connected").kv("service", impl->opt.service).kv("redis", impl->where);
  }
  return std::unique_ptr<Cache>(new Cache(std::move(impl)));
}

std::optional<std::string> Cache::get(std::string_view key) {
  Impl& d = *impl_;
  if (!d.endpoint) {
    d.m.misses->Increment();
    return std::nullopt;
  }
  auto r = d.lookup(d.prefix + std::string(key));
  if (!r.ok()) return std::nullopt;
  return std::move(*r);
}

std::optional<std::string> Cache::get_local(std::string_view key) {
  Impl& d = *impl_;
  if (!d.local) return std::nullopt;
  return d.lookup_local(d.prefix + std::string(key));
}

void Cache::set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
  Impl& d = *impl_;
  if (!d.endpoint || !d.storable(value, ttl)) return;
  const std::string full = d.prefix + std::string(key);
  (void)d.store(full, value, ttl);
  // After the new value is in Redis, so that a read which fetched the old value before the SET
  // cannot keep it locally afterwards.
  if (d.local) d.fence_out(full);
}

void Cache::del_many(std::span<const std::string_view> keys) {
  if (keys.empty()) return;
  std::vector<std::string> full;
  full.reserve(keys.size());
  for (const auto k : keys)
    full.push_back(impl_->prefix + std::string(k));
  impl_->invalidate(std::move(full));
}

void Cache::del_many(std::span<const std::string> keys) {
  if (keys.empty()) return;
  std::vector<std::string> full;
  full.reserve(keys.size());
  for (const auto& k : keys)
    full.push_back(impl_->prefix + k);
  impl_->invalidate(std::move(full));
}

Result<std::string> Cache::get_or_load(std::string_view key, std::chrono::milliseconds ttl,
                                       const Loader& loader) {
  Impl& d = *impl_;
  std::string full = d.prefix + std::string(key);
  bool redis_answered = false;
  if (!d.endpoint) {
    d.m.misses->Increment();
  } else {
    auto r = d.lookup(full);
    if (r.ok() && r->has_value()) return std::move(**r);
    redis_answered = r.ok();  // after an error, a miss that does not even try to SET
  }
  return d.load_once(full, ttl, loader, redis_answered);
}

State Cache::state() const {
  if (!impl_->endpoint) return State::disabled;
  return impl_->degraded.load() ? State::degraded : State::ok;
}

std::string Cache::detail() const {
  const Impl& d = *impl_;
  if (!d.endpoint) return "disabled: no redis url configured";
  std::lock_guard lock(d.state_mu);
  if (!d.degraded.load()) return "ok: " + d.where;
  return "degraded: " + d.where + ": " + d.last_error + " (since " +
         format_rfc3339_ms(d.degraded_since) + "; probing every " +
         std::to_string(d.opt.retry_after.count()) + " ms)";
}

Cache::Stats Cache::stats() const {
  const Metrics& m = impl_->m;
  Stats s;
  s.hits = count(m.hits);
  s.misses = count(m.misses);
  s.errors = count(m.errors);
  s.sets = count(m.sets);
  s.invalidations = count(m.invalidations);
  s.reconnects = count(m.reconnects);
  s.coalesced = count(m.coalesced);
  s.stale_sets = count(m.stale_sets);
  s.local_hits = count(m.local_hits);
  s.pending_invalidations = impl_->pending_count.load();
  return s;
}

const std::string& Cache::key_prefix() const {
  return impl_->prefix;
}

}  // namespace kai::cache
