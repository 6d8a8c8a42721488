#include "schema/unpack.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace kai::schema {
namespace {

// Walks one MessagePack object without building it.
class Scanner {
 public:
  Scanner(std::string_view bytes, const Limits& limits) : in_(bytes), limits_(limits) {}

  Status run() {
    // Remaining element counts of the open containers (a map of n entries counts 2n elements),
    // innermost last; the depth limit bounds them.
    OpenContainers open(limits_.max_depth);
    std::size_t objects = 0;
    do {
      if (++objects > limits_.max_objects) return fail("too many objects");
      std::uint64_t children = 0;
      KAI_RETURN_IF_ERROR(next(children));
      if (!open.empty()) open.count_one();
      if (children > 0) {
        if (open.size() >= limits_.max_depth) return fail("nested too deeply");
        open.push(children);
      }
      open.close_finished();
    } while (!open.empty());
    if (pos_ != in_.size()) return fail("trailing bytes after the message");
    return Status::Ok();
  }

  // What msgpack-cxx will take from its zone to build the object: the element arrays of the
  // containers (with room to align each), and the payloads when they are copied.
  std::size_t zone_bytes(bool copies_payloads) const {
    return element_bytes_ + (copies_payloads ? payload_bytes_ : 0);
  }

 private:
  Status fail(std::string_view what) const {
    std::string msg = "malformed MessagePack: ";
    msg += what;
    msg += " (at byte ";
    msg += std::to_string(pos_);
    msg += ')';
    return invalid_argument(std::move(msg));
  }

  bool take(std::size_t n) {
    if (in_.size() - pos_ < n) return false;
    pos_ += n;
    return true;
  }

  bool read_be(std::size_t n, std::uint64_t& v) {
    if (in_.size() - pos_ < n) return false;
    v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v = (v << 8) | static_cast<unsigned char>(in_[pos_ + i]);
    pos_ += n;
    return true;
  }

  Status payload(std::uint64_t size) {
    if (size > limits_.max_string) return fail("string or binary too long");
    if (!take(static_cast<std::size_t>(size))) return fail("truncated");
    payload_bytes_ += static_cast<std::size_t>(size);
    return Status::Ok();
  }

  Status container(std::uint64_t count, std::uint64_t per_entry, std::uint64_t& children) {
    if (count > limits_.max_container) return fail("array or map too large");
    // Every element takes at least one byte: a count beyond the input left is a lie.
    if (count * per_entry > in_.size() - pos_) return fail("truncated");
    children = count * per_entry;
    // An array holds its elements as objects, a map as key-value pairs (two objects each).
    element_bytes_ +=
        static_cast<std::size_t>(children) * sizeof(msgpack::object) + alignof(msgpack::object);
    return Status::Ok();
  }

  // Consumes one object header (and a scalar's payload); `children` receives the number of
  // elements that follow when it is a non-empty container.
  Status next(std::uint64_t& children) {
    if (pos_ >= in_.size()) return fail("truncated");
    const auto b = static_cast<unsigned char>(in_[pos_++]);
    std::uint64_t n = 0;
    if (b <= 0x7f || b >= 0xe0) return Status::Ok();                  // fixint
    if ((b & 0xf0) == 0x80) return container(b & 0x0f, 2, children);  // fixmap
    if ((b & 0xf0) == 0x90) return container(b & 0x0f, 1, children);  // fixarray
    if ((b & 0xe0) == 0xa0) return payload(b & 0x1f);                 // fixstr
    switch (b) {
      case 0xc0:  // nil
      case 0xc2:  // false
      case 0xc3:  // true
        return Status::Ok();
      case 0xc4:  // bin 8/16/32, str 8/16/32
      case 0xd9:
        if (!read_be(1, n)) return fail("truncated");
        return payload(n);
      case 0xc5:
      case 0xda:
        if (!read_be(2, n)) return fail("truncated");
        return payload(n);
      case 0xc6:
      case 0xdb:
        if (!read_be(4, n)) return fail("truncated");
        return payload(n);
      case 0xc7:  // ext 8/16/32: size, type, data
        if (!read_be(1, n)) return fail("truncated");
        return payload(n + 1);
      case 0xc8:
        if (!read_be(2, n)) return fail("truncated");
        return payload(n + 1);
      case 0xc9:
        if (!read_be(4, n)) return fail("truncated");
        return payload(n + 1);
      case 0xca:  // float 32/64
        return take(4) ? Status::Ok() : fail("truncated");
      case 0xcb:
        return take(8) ? Status::Ok() : fail("truncated");
      case 0xcc:  // uint, int 8/16/32/64
      case 0xd0:
        return take(1) ? Status::Ok() : fail("truncated");
      case 0xcd:
      case 0xd1:
        return take(2) ? Status::Ok() : fail("truncated");
      case 0xce:
      case 0xd2:
        return take(4) ? Status::Ok() : fail("truncated");
      case 0xcf:
      case 0xd3:
        return take(8) ? Status::Ok() : fail("truncated");
      case 0xd4:  // fixext 1/2/4/8/16: type + data
        return take(2) ? Status::Ok() : fail("truncated");
      case 0xd5:
        return take(3) ? Status::Ok() : fail("truncated");
      case 0xd6:
        return take(5) ? Status::Ok() : fail("truncated");
      case 0xd7:
        return take(9) ? Status::Ok() : fail("truncated");
      case 0xd8:
        return take(17) ? Status::Ok() : fail("truncated");
      case 0xdc:  // array 16/32
        if (!read_be(2, n)) return fail("truncated");
        return container(n, 1, children);
      case 0xdd:
        if (!read_be(4, n)) return fail("truncated");
        return container(n, 1, children);
      case 0xde:  // map 16/32
        if (!read_be(2, n)) return fail("truncated");
        return container(n, 2, children);
      case 0xdf:
        if (!read_be(4, n)) return fail("truncated");
        return container(n, 2, children);
      default:  // 0xc1 is never used
        --pos_;
        return fail("invalid type byte");
    }
  }

  // The stack of open containers' counts: on the stack for the depths real messages have, on the
  // heap only beyond them.
  class OpenContainers {
   public:
    explicit OpenContainers(std::size_t max_depth) {
      if (max_depth > kInline) more_.reserve(max_depth);
    }
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    void push(std::uint64_t count) {
      if (size_ < kInline) {
        inline_[size_] = count;
      } else {
        more_.push_back(count);
      }
      ++size_;
    }
    void count_one() { --top(); }
    void close_finished() {
      while (size_ > 0 && top() == 0) {
        if (size_ > kInline) more_.pop_back();
        --size_;
      }
    }

   private:
    static constexpr std::size_t kInline = 32;
    std::uint64_t& top() { return size_ > kInline ? more_.back() : inline_[size_ - 1]; }

    std::uint64_t inline_[kInline];  // the first size_ are set
    std::vector<std::uint64_t> more_;
    std::size_t size_ = 0;
  };

  std::string_view in_;
  const Limits& limits_;
  std::size_t pos_ = 0;
  std::size_t element_bytes_ = 0;
  std::size_t payload_bytes_ = 0;
};

}  // namespace

namespace {

// msgpack-cxx's choice per str/bin/ext payload: true = point into the input instead of copying.
bool borrow_everything(msgpack::type::object_type, std::size_t, void*) {
  return true;
}

Status too_large(std::size_t size, const Limits& limits) {
  return invalid_argument("MessagePack message of " + std::to_string(size) +
                          " bytes exceeds the limit of " + std::to_string(limits.max_bytes));
}

Result<msgpack::object_handle> unpack_checked(std::string_view bytes, const Limits& limits,
                                              msgpack::unpack_reference_func reference) {
  if (bytes.size() > limits.max_bytes) return too_large(bytes.size(), limits);
  Scanner scan(bytes, limits);
  KAI_RETURN_IF_ERROR(scan.run());
  // The scan proved the input well formed and within limits; the same limits are passed on so
  // that msgpack-cxx would refuse anything the scan missed rather than over-allocate.
  const msgpack::unpack_limit limit(limits.max_container, limits.max_container, limits.max_string,
                                    limits.max_string, limits.max_string + 1, limits.max_depth + 1);
  try {
    // A zone of exactly the size the object needs: msgpack-cxx's default first chunk (8 KiB) was
    // most of the cost of unpacking the small messages this unpacks by the thousand.
    constexpr std::size_t kMinimumChunk = 64;
    auto zone = std::make_unique<msgpack::zone>(
        std::max(kMinimumChunk, scan.zone_bytes(/*copies_payloads=*/reference == nullptr)));
    std::size_t offset = 0;
    bool referenced = false;
    msgpack::object object = msgpack::unpack(*zone, bytes.data(), bytes.size(), offset, referenced,
                                             reference, nullptr, limit);
    if (offset != bytes.size()) return invalid_argument("trailing bytes after the message");
    return msgpack::object_handle(object, std::move(zone));
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory unpacking MessagePack");
  } catch (const std::exception& e) {
    return invalid_argument(std::string("malformed MessagePack: ") + e.what());
  }
}

}  // namespace

Status check_well_formed(std::string_view bytes, const Limits& limits) {
  if (bytes.size() > limits.max_bytes) return too_large(bytes.size(), limits);
  return Scanner(bytes, limits).run();
}

Result<msgpack::object_handle> unpack(std::string_view bytes, const Limits& limits) {
  return unpack_checked(bytes, limits, nullptr);
}

Result<msgpack::object_handle> unpack_borrowed(std::string_view bytes, const Limits& limits) {
  return unpack_checked(bytes, limits, borrow_everything);
}

}  // namespace kai::schema
