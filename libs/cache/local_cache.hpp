// LocalCache: a small in-process copy of hot Redis entries, in front of the Redis round trip.
//
// A cached read that Redis answers still costs a request and a reply on a socket, a wait in
// poll() and a context switch on both sides; for the hottest keys that is most of the service's
// work. The local copy keeps an entry for a short `ttl` (a second by default) and never longer
// than that, so:
//  - in this process, it is exactly as fresh as Redis: Cache::del() erases the local copy at
//    the same step that fences the key, and a load that raced an invalidation never stores;
//  - across replicas of one service, a replica may answer from its copy for at most `ttl` after
//    another replica changed the key (the same window Redis itself has between a replica's
//    commit and the change event reaching the others, see cache.hpp).
//
// Memory is bounded by `max_bytes` (keys and values), split over shards; when a shard is full the
// oldest entries go first. Values larger than an eighth of a shard are not kept.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/time.hpp"

namespace kai::cache {

class LocalCache {
 public:
  LocalCache(std::chrono::milliseconds ttl, std::size_t max_bytes);
  LocalCache(const LocalCache&) = delete;
  LocalCache& operator=(const LocalCache&) = delete;

  // The value stored for `key` less than ttl ago, or nullopt.
  std::optional<std::string> get(std::string_view key, SteadyClock::time_point now);
  // Keeps `value` for `key` until now + ttl (replacing an older copy).
  void put(std::string_view key, std::string_view value, SteadyClock::time_point now);
  void erase(std::string_view key);

  std::size_t entries() const;
  std::size_t bytes() const;

 private:
  static constexpr std::size_t kShards = 16;
  // Lets find() take a string_view without building a std::string.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  struct Entry {
    std::string value;
    SteadyClock::time_point expires;
    std::list<std::string>::iterator age;  // position in Shard::oldest_first
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> map;
    std::list<std::string> oldest_first;
    std::size_t bytes = 0;
  };

  Shard& shard_of(std::string_view key);
  static void drop(Shard& s, decltype(Shard::map)::iterator it);

  const std::chrono::milliseconds ttl_;
  const std::size_t shard_bytes_;
  std::array<Shard, kShards> shards_;
};

}  // namespace kai::cache
