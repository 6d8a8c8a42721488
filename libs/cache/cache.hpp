// kai::cache — the Redis cache-aside layer every service uses.
//
//   auto cache = kai::cache::Cache::create(options);          // Result<std::unique_ptr<Cache>>
//   auto org = (*cache)->get_or_load("org:" + id, 5min, [&]() -> kai::Result<std::string> {
//     return load_organization_msgpack(id);                    // the source of truth
//   });
//   ...after a write: (*cache)->del("org:" + id, "org:list");
//
// Contract
// - Best effort. Redis is an accelerator, never a dependency: get() answers nullopt on a miss and
//   on any Redis trouble; set() and del() never fail the caller; get_or_load() falls back to the
//   loader. Nothing throws, and nothing a server answers can crash the process.
// - Thread-safe: any number of threads may call any method at once. Commands go through a pool
//   of at most `pool_size` synchronous connections; a connection is used by one thread at a time.
// - Keys are prefixed with "kai:<service>:". Keys and values are binary-safe.
// - Blocking: a Redis command waits at most op_timeout (waiting for a pooled connection included),
//   plus connect_timeout when it has to open a connection; while degraded, calls skip Redis and
//   return at once. Two things can add to that: the call that replays remembered invalidations
//   (one round trip per 256 keys, each bounded by op_timeout), and del(), which waits for a SET of
//   a load on the same fence stripe that is in flight. get_or_load() also runs, or waits for, the
//   loader.
//
// Stampede protection: concurrent get_or_load() misses of the same key in this process share one
// loader call (single flight). Its result, value or error, goes to every waiter; errors are never
// cached.
//
// Race-safe invalidation: del() bumps a per-key generation (1024 striped counters indexed by key
// hash, so memory is fixed) before deleting in Redis. A load records the generation before it
// reads the source of truth and stores its value only if the generation is unchanged; the check
// and the SET are one step with respect to del() (a stripe mutex; del() waits for a SET in flight,
// at most op_timeout). So once del() has fenced a key, no load of this process that started
// before can write its value into Redis. Callers must del() after their write to the source of
// truth commits.
//
// The window that remains is across processes: replica A's load reads the old row, replica B
// commits a write and deletes the key, then A stores the old value. The generations cannot see
// that. The stale entry lives until its TTL expires, or until A (like every replica) receives the
// change event B published and calls del() itself, whichever comes first. Keep TTLs short for data
// that changes often.
//
// Local copy: with local_ttl > 0, hits and loaded values are also kept in the process for
// local_ttl (local_cache.hpp) and answered from there without a Redis round trip. del() and set()
// erase the local copy as they fence the key, so this process never reads older than Redis;
// another replica may, for at most local_ttl. Without Redis (disabled) nothing is kept.
//
// Degradation (circuit breaker): any failed Redis call (refused, reset, timed out, protocol
// garbage, an error reply) switches the cache to `degraded`, logs once, and closes the pooled
// connections. For `retry_after` every call skips Redis entirely (counted as result="error").
// Then one call — the probe — opens a fresh connection; if it works the cache is `ok` again (one
// log line, kai_cache_reconnects_total + 1), otherwise Redis is skipped for another retry_after.
// Invalidations that could not reach Redis meanwhile are remembered (up to 10,000 keys) and
// replayed before the cache serves again; until then get() treats those keys as misses. A
// process restart forgets them, and so does overflow of that backlog (logged): TTLs bound both.
//
// Metrics (kai::ops::registry(), label service): kai_cache_requests_total{result=hit|miss|error}
// (reads by outcome; failed writes and invalidations count as error too), kai_cache_degraded
// (0/1), kai_cache_reconnects_total (recoveries from degraded), kai_cache_sets_total (values
// stored), kai_cache_invalidations_total (keys passed to del), kai_cache_coalesced_total (calls
// that waited for another caller's load instead of loading), kai_cache_stale_sets_total (loaded
// values not kept because the key was invalidated meanwhile), kai_cache_local_hits_total (hits
// answered from the local copy, see below). Caches built for the same service in
// one process share these series; a process should build one Cache per service.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "common/result.hpp"

namespace kai::cache {

struct CacheOptions {
  // "redis://[[user]:password@]host[:port][/db]"; empty disables the cache.
  std::string url;
  // Metrics label and key prefix ("kai:<service>:"). Required; no ':' or whitespace.
  std::string service;
  std::chrono::milliseconds connect_timeout{100};
  std::chrono::milliseconds op_timeout{50};
  int pool_size = 8;  // 1..1024
  std::chrono::milliseconds retry_after{1000};
  // Larger values are not cached (set() skips them, get_or_load() returns them uncached); a reply
  // larger than this is treated as a protocol error.
  std::size_t max_value_bytes = 16u << 20;
  // The process's own copy of hot entries (local_cache.hpp): kept for local_ttl, within
  // local_max_bytes. 0 (the default here; services get cache-local-ttl) is off.
  std::chrono::milliseconds local_ttl{0};
  std::size_t local_max_bytes = 32u << 20;
};

// The settings a service declares for its cache (common/config.hpp): redis-url (KAI_REDIS_URL),
// redis-connect-timeout, redis-op-timeout, redis-pool-size, redis-retry-after, cache-local-ttl,
// cache-local-bytes.
std::vector<SettingSpec> setting_specs();
// Builds CacheOptions from a Config parsed with setting_specs(); the URL is validated here.
Result<CacheOptions> options_from_config(const Config& config, std::string service);

enum class State : std::uint8_t { disabled, ok, degraded };
std::string_view state_name(State state);

// Produces the value on a miss, from the source of truth. Returns the value (already encoded,
// e.g. MessagePack) or an error, which is returned to the caller(s) and never cached.
using Loader = std::function<Result<std::string>()>;

class Cache {
 public:
  // Validates the options (invalid_argument naming the setting) and connects once. An unreachable
  // Redis does not fail creation: the cache starts degraded and keeps probing.
  static Result<std::unique_ptr<Cache>> create(CacheOptions options);
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // The cached value, or nullopt on a miss, when disabled or degraded, or on any Redis error.
  std::optional<std::string> get(std::string_view key);

  // The value in this process's local copy only: never a Redis round trip, so it never waits on
  // I/O. nullopt when the key has no fresh local copy, or the local copy is off. A value found is
  // counted as a (local) hit; nullopt is not counted, as the caller goes on to get_or_load().
  std::optional<std::string> get_local(std::string_view key);

  // Stores `value` for `ttl` (at least 1 ms; shorter is not stored). Failures are counted and
  // degrade the cache; they are not reported to the caller.
  void set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl);

  // Invalidates keys: call after the write to the source of truth has committed. In-process
  // loads of these keys that are already running will not store their results, and later
  // get_or_load() calls do not join them. If Redis cannot be reached the keys are remembered and
  // deleted as soon as it answers again.
  template <typename... Keys>
  requires(sizeof...(Keys) > 0 && (std::convertible_to<const Keys&, std::string_view> &&
                                   ...)) void del(const Keys&... keys) {
    const std::string_view list[] = {std::string_view(keys)...};
    del_many(std::span<const std::string_view>(list));
  }
  void del_many(std::span<const std::string_view> keys);
  void del_many(std::span<const std::string> keys);

  // Cache-aside: the cached value if present, otherwise the loader's result (stored with `ttl`
  // when it is a value, Redis is healthy and the key was not invalidated during the load).
  // Concurrent misses of one key share a single loader call. A loader that throws yields
  // internal to every waiter.
  Result<std::string> get_or_load(std::string_view key, std::chrono::milliseconds ttl,
                                  const Loader& loader);

  State state() const;
  // What state() means right now, for /readyz and logs: the endpoint (password redacted) and,
  // when degraded, the last error and since when.
  std::string detail() const;

  // The service's counters (shared by every Cache of the same service in this process), plus this
  // cache's invalidation backlog.
  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t errors = 0;
    std::uint64_t sets = 0;
    std::uint64_t invalidations = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t coalesced = 0;
    std::uint64_t stale_sets = 0;
    std::uint64_t local_hits = 0;
    std::size_t pending_invalidations = 0;
  };
  Stats stats() const;

  // "kai:<service>:"
  const std::string& key_prefix() const;

 private:
  struct Impl;
  explicit Cache(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kai::cache
