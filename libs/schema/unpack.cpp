#include "schema/unpack.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "schema/reader.hpp"

namespace kai::schema {
namespace {

// Walks one MessagePack object without building it: the headers are read by Reader (the one
// decoder of MessagePack headers here), the limits and the sizes msgpack-cxx will need are
// checked and added up here.
class Scanner {
 public:
  Scanner(std::string_view bytes, const Limits& limits)
      : in_(bytes), reader_(bytes), limits_(limits) {}

  Status run() {
    // Remaining element counts of the open containers (a map of n entries counts 2n elements),
    // innermost last; the depth limit bounds them.
    OpenContainers open(limits_.max_depth);
    std::size_t objects = 0;
    do {
      if (++objects > limits_.max_objects) return fail("too many objects", reader_.position());
      std::uint64_t children = 0;
      KAI_RETURN_IF_ERROR(next(children));
      if (!open.empty()) open.count_one();
      if (children > 0) {
        if (open.size() >= limits_.max_depth) return fail("nested too deeply", reader_.position());
        open.push(children);
      }
      open.close_finished();
    } while (!open.empty());
    if (!reader_.done()) return fail("trailing bytes after the message", reader_.position());
    return Status::Ok();
  }

  // What msgpack-cxx will take from its zone to build the object: the element arrays of the
  // containers (with room to align each), and the payloads when they are copied.
  std::size_t zone_bytes(bool copies_payloads) const {
    return element_bytes_ + (copies_payloads ? payload_bytes_ : 0);
  }

 private:
  static Status fail(std::string_view what, std::size_t at) {
    std::string msg = "malformed MessagePack: ";
    msg += what;
    msg += " (at byte ";
    msg += std::to_string(at);
    msg += ')';
    return invalid_argument(std::move(msg));
  }

  // Consumes one object header (and a scalar's payload); `children` receives the number of
  // elements that follow when it is a non-empty container.
  Status next(std::uint64_t& children) {
    const std::size_t at = reader_.position();
    Token& t = token_;
    if (!reader_.next(t)) {
      const bool never_used = at < in_.size() && static_cast<unsigned char>(in_[at]) == 0xc1;
      return fail(never_used ? "invalid type byte" : "truncated", at);
    }
    switch (t.type) {
      case Token::str:
      case Token::bin:
      case Token::ext:
        // msgpack-cxx's limits: a str or bin of max_string bytes, an ext of as much data.
        if (t.data.size() > limits_.max_string) return fail("string or binary too long", at);
        // An ext is copied with its type byte.
        payload_bytes_ += t.data.size() + (t.type == Token::ext ? 1 : 0);
        return Status::Ok();
      case Token::array:
      case Token::map:
        if (t.count > limits_.max_container) return fail("array or map too large", at);
        // An array holds its elements as objects, a map as key-value pairs (two objects each).
        children = t.elements();
        element_bytes_ +=
            static_cast<std::size_t>(children) * sizeof(msgpack::object) + alignof(msgpack::object);
        return Status::Ok();
      default:
        return Status::Ok();
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
  Reader reader_;
  Token token_;  // reused: next() is called for every object
  const Limits& limits_;
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
