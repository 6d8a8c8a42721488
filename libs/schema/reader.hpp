// Reader: walks MessagePack bytes one value header at a time, without building objects. For
// consumers that look at each value once in order (rendering a reply as JSON), where building
// msgpack-cxx's object tree first cost as much as the rendering itself.
//
// Every read is bounds-checked: malformed or truncated input makes next() return false, never
// read past the end. Containers are not descended into by next(): after an array or map header
// come its elements (a map's as key, value, key, value...), read with further next() calls or
// passed over with skip().
//
//   Reader r(bytes);
//   Token t;
//   if (!r.next(t) || t.type != Token::map) return error;
//   for (std::uint32_t i = 0; i < t.count; ++i) { ... key: r.next(k) ... value: r.next(v) ... }
//   if (!r.done()) return error;  // trailing bytes
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kai::schema {

// One value header (and a scalar's payload).
struct Token {
  enum Type : std::uint8_t {
    nil,
    boolean,
    uint,
    sint,
    float32,
    float64,
    str,
    bin,
    ext,
    array,
    map
  };
  Type type = nil;
  bool boolean_value = false;
  std::uint64_t uint_value = 0;  // uint: every integer >= 0, whatever its encoding
  std::int64_t sint_value = 0;   // sint: every integer < 0
  double float_value = 0;        // float32 (widened) and float64
  std::string_view data = {};    // str, bin, ext: the payload (ext: without its type byte)
  std::int8_t ext_type = 0;      // ext
  std::uint32_t count = 0;       // array: items; map: entries (key-value pairs)

  // The values that follow this header: an array's items, a map's keys and values (two per
  // entry); none for a scalar.
  std::uint64_t elements() const {
    if (type == array) return count;
    if (type == map) return 2 * std::uint64_t{count};
    return 0;
  }
};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : in_(bytes) {}

  // Reads the next header into `t`; false when the input ends or is malformed there. The forms
  // a message is mostly made of (small maps, arrays, strings and integers) are read inline.
  bool next(Token& t) {
    if (pos_ >= in_.size()) return false;
    const auto b = static_cast<unsigned char>(in_[pos_]);
    if ((b & 0xe0) == 0xa0) {  // fixstr
      const std::size_t n = b & 0x1f;
      if (in_.size() - pos_ - 1 < n) return false;
      t.type = Token::str;
      t.data = std::string_view(in_.data() + pos_ + 1, n);
      pos_ += 1 + n;
      return true;
    }
    if (b <= 0x7f) {  // positive fixint
      ++pos_;
      t.type = Token::uint;
      t.uint_value = b;
      return true;
    }
    if ((b & 0xe0) == 0x80) {  // fixmap, fixarray
      ++pos_;
      return container(b & 0x0f, b < 0x90 ? Token::map : Token::array, t);
    }
    return next_other(t);
  }
  // Passes over the elements of the container whose header `t` was just read (nothing for a
  // scalar), however deeply nested, without recursion; false when they are malformed.
  bool skip(const Token& t);
  // Whether all of the input was read.
  bool done() const { return pos_ == in_.size(); }
  // The offset in the input of the next header to read.
  std::size_t position() const { return pos_; }

 private:
  // The forms next() does not read inline.
  bool next_other(Token& t);
  bool take(std::size_t n, std::string_view& out);
  bool read_be(std::size_t n, std::uint64_t& v);
  bool sized(std::uint64_t n, Token::Type type, Token& t);
  bool container(std::uint64_t n, Token::Type type, Token& t) {
    t.type = type;
    t.count = static_cast<std::uint32_t>(n);
    // Every element takes at least a byte: a count beyond the input left is a lie.
    return t.elements() <= in_.size() - pos_;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace kai::schema
