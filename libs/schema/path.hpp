// The path of the field being processed ("items[3].contact.phone"), kept as a fixed stack of
// views into descriptors so that tracking it costs nothing; rendered only for error messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kai::schema {

class FieldPath {
 public:
  static constexpr int kMaxDepth = 64;

  // False when the path is already kMaxDepth long (descriptors never nest that deep).
  bool push_field(std::string_view name) { return push({name, -1}); }
  bool push_index(std::int64_t index) { return push({{}, index}); }
  void pop() { --depth_; }
  int depth() const { return depth_; }

  // The rendered path, with `leaf` (a field name) appended when not empty.
  std::string str(std::string_view leaf = {}) const {
    std::string p;
    for (int i = 0; i < depth_; ++i)
      append(p, segs_[i]);
    if (!leaf.empty()) append(p, {leaf, -1});
    return p;
  }

 private:
  struct Segment {
    std::string_view name;
    std::int64_t index;
  };

  static void append(std::string& p, const Segment& s) {
    if (s.index >= 0) {
      p += '[';
      p += std::to_string(s.index);
      p += ']';
      return;
    }
    if (!p.empty()) p += '.';
    p.append(s.name);
  }

  bool push(Segment s) {
    if (depth_ >= kMaxDepth) return false;
    segs_[depth_++] = s;
    return true;
  }

  Segment segs_[kMaxDepth];
  int depth_ = 0;
};

}  // namespace kai::schema
