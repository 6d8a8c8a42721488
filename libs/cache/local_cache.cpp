#include "cache/local_cache.hpp"

namespace kai::cache {

LocalCache::LocalCache(std::chrono::milliseconds ttl, std::size_t max_bytes)
    : ttl_(ttl), shard_bytes_(max_bytes / kShards) {}

LocalCache::Shard& LocalCache::shard_of(std::string_view key) {
  // The low bits pick the bucket inside the shard's map; the shard comes from the high ones.
  return shards_[(KeyHash{}(key) >> 48) % kShards];
}

void LocalCache::drop(Shard& s, decltype(Shard::map)::iterator it) {
  s.bytes -= it->first.size() + it->second.value.size();
  s.oldest_first.erase(it->second.age);
  s.map.erase(it);
}

std::optional<std::string> LocalCache::get(std::string_view key, SteadyClock::time_point now) {
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  const auto it = s.map.find(key);
  if (it == s.map.end()) return std::nullopt;
  if (it->second.expires <= now) {
    drop(s, it);
    return std::nullopt;
  }
  return it->second.value;
}

void LocalCache::put(std::string_view key, std::string_view value, SteadyClock::time_point now) {
  const std::size_t size = key.size() + value.size();
  if (size > shard_bytes_ / 8) return;
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  if (const auto it = s.map.find(key); it != s.map.end()) drop(s, it);
  while (s.bytes + size > shard_bytes_ && !s.oldest_first.empty()) {
    drop(s, s.map.find(s.oldest_first.front()));
  }
  s.oldest_first.emplace_back(key);
  s.map.emplace(std::string(key),
                Entry{std::string(value), now + ttl_, std::prev(s.oldest_first.end())});
  s.bytes += size;
}

void LocalCache::erase(std::string_view key) {
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  if (const auto it = s.map.find(key); it != s.map.end()) drop(s, it);
}

std::size_t LocalCache::entries() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.map.size();
  }
  return n;
}

std::size_t LocalCache::bytes() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.bytes;
  }
  return n;
}

}  // namespace kai::cache
