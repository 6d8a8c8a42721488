// Internal to libs/store: a least-recently-used map from SQL text to a backend's prepared
// statement. Lookups by string_view do not allocate; the hot path is one hash and a list splice.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace kai::store::detail {

template <typename V>
class StatementCache {
 public:
  explicit StatementCache(std::size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // The cached value, marked most recently used; nullptr when absent.
  V* find(std::string_view sql) {
    const auto it = index_.find(sql);
    if (it == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);
    return &it->second->second;
  }

  // Inserts (sql must be absent); returns the evicted value when the cache was full.
  std::optional<V> insert(std::string sql, V value, V** inserted) {
    std::optional<V> evicted;
    if (entries_.size() >= capacity_) {
      auto last = std::prev(entries_.end());
      index_.erase(std::string_view(last->first));
      evicted.emplace(std::move(last->second));
      entries_.erase(last);
    }
    entries_.emplace_front(std::move(sql), std::move(value));
    index_.emplace(std::string_view(entries_.front().first), entries_.begin());
    *inserted = &entries_.front().second;
    return evicted;
  }

  // Removes one entry, returning its value.
  std::optional<V> erase(std::string_view sql) {
    const auto it = index_.find(sql);
    if (it == index_.end()) return std::nullopt;
    auto node = it->second;
    index_.erase(it);
    std::optional<V> v(std::move(node->second));
    entries_.erase(node);
    return v;
  }

  void clear() {
    index_.clear();
    entries_.clear();
  }

  std::size_t size() const { return entries_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using List = std::list<std::pair<std::string, V>>;

  std::size_t capacity_;
  List entries_;  // front = most recently used; node addresses are stable
  std::unordered_map<std::string_view, typename List::iterator, Hash, std::equal_to<>> index_;
};

}  // namespace kai::store::detail
