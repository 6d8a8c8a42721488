#include "common/json_writer.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace kai {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto c0 = static_cast<unsigned char>(s[i]);
  if (c0 < 0x80) return 1;
  std::size_t len;
  unsigned min_second = 0x80, max_second = 0xBF;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    len = 2;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    len = 3;
    if (c0 == 0xE0) min_second = 0xA0;  // overlong
    if (c0 == 0xED) max_second = 0x9F;  // UTF-16 surrogates
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    len = 4;
    if (c0 == 0xF0) min_second = 0x90;  // overlong
    if (c0 == 0xF4) max_second = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  const auto c1 = static_cast<unsigned char>(s[i + 1]);
  if (c1 < min_second || c1 > max_second) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    const auto ck = static_cast<unsigned char>(s[i + k]);
    if (ck < 0x80 || ck > 0xBF) return 0;
  }
  return len;
}

// Length of the run of valid UTF-8 sequences of two bytes or more starting at s[i] (0 when the
// first is not valid). Lead bytes E1..EC and EE..EF (U+1000..U+CFFF and U+E000..U+FFFF, where
// the CJK characters are) take any two continuation bytes, so they are checked with two masks;
// every other sequence goes through utf8_sequence_length.
inline std::size_t utf8_run_length(std::string_view s, std::size_t i) {
  const std::size_t start = i;
  while (i < s.size()) {
    const auto c0 = static_cast<unsigned char>(s[i]);
    if (c0 < 0x80) break;
    if (c0 >= 0xE1 && c0 <= 0xEF && c0 != 0xED && s.size() - i >= 3 &&
        (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xC0) == 0x80) {
      i += 3;
      continue;
    }
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) break;
    i += n;
  }
  return i - start;
}

constexpr std::uint64_t kEveryByte = 0x0101010101010101ULL;
constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// Nonzero when a byte of `w` is zero (the usual bit trick: exact as a yes/no answer).
constexpr std::uint64_t has_zero_byte(std::uint64_t w) {
  return (w - kEveryByte) & ~w & kHighBits;
}

// Nonzero when one of the 8 bytes of `w` cannot be copied as is: non-ASCII (checked one sequence
// at a time), a control character, DEL, '"' or '\\'.
constexpr std::uint64_t needs_a_closer_look(std::uint64_t w) {
  return (w & kHighBits) | has_zero_byte(w & ~(kEveryByte * 0x1F)) |
         has_zero_byte(w ^ (kEveryByte * '"')) | has_zero_byte(w ^ (kEveryByte * '\\')) |
         has_zero_byte(w ^ (kEveryByte * 0x7F));
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    // Bytes that stand for themselves (printable ASCII but '"' and '\\', and whole valid UTF-8
    // sequences) are copied a run at a time; most strings are one run.
    const std::size_t run_start = i;
    while (i < s.size()) {
      if (s.size() - i >= 8) {  // plain ASCII goes eight bytes at a time
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        if (needs_a_closer_look(w) == 0) {
          i += 8;
          continue;
        }
      }
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x80) {
        // Most of the text here is Chinese: a run of three-byte sequences, taken in one loop.
        const std::size_t valid = utf8_run_length(s, i);
        if (valid == 0) break;
        i += valid;
      } else if (c >= 0x20 && c != 0x7F && c != '"' && c != '\\') {
        ++i;
      } else {
        break;
      }
    }
    out.append(s.data() + run_start, i - run_start);
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        if (c >= 0x80) {
          out.append("\xEF\xBF\xBD");  // U+FFFD for each invalid byte
        } else {
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        }
    }
    ++i;
  }
  out.push_back('"');
}

bool JsonWriter::comma_due() {
  if (after_key_) {
    after_key_ = false;
    return false;
  }
  if (depth_ == 0) return false;
  const std::uint64_t bit = 1ULL << (depth_ - 1);
  const bool due = (has_element_ & bit) != 0;
  has_element_ |= bit;
  return due;
}

void JsonWriter::before_value() {
  if (comma_due()) out_.push_back(',');
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  assert(depth_ < 64);
  ++depth_;
  has_element_ &= ~(1ULL << (depth_ - 1));
  out_.push_back('{');
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  assert(depth_ > 0 && !after_key_);
  --depth_;
  out_.push_back('}');
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  assert(depth_ < 64);
  ++depth_;
  has_element_ &= ~(1ULL << (depth_ - 1));
  out_.push_back('[');
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  assert(depth_ > 0 && !after_key_);
  --depth_;
  out_.push_back(']');
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  assert(!after_key_);
  before_value();
  append_json_string(out_, k);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::plain_key(std::string_view k) {
  assert(!after_key_);
  assert(!k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  }));
  // The separator, the quoted name and the colon in one append: keys are most of the small
  // writes of a rendered message.
  char buf[96];
  if (k.size() > sizeof buf - 4) {
    before_value();
    out_.push_back('"');
    out_.append(k);
    out_.append("\":", 2);
  } else {
    std::size_t n = 0;
    if (comma_due()) buf[n++] = ',';
    buf[n++] = '"';
    std::memcpy(buf + n, k.data(), k.size());
    n += k.size();
    buf[n++] = '"';
    buf[n++] = ':';
    out_.append(buf, n);
  }
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  before_value();
  append_json_string(out_, s);
  return *this;
}

JsonWriter& JsonWriter::value(std::int64_t v) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::value(std::uint64_t v) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::value(double v) {
  before_value();
  if (!std::isfinite(v)) {
    out_.append("null");  // JSON has no NaN or infinity
    return *this;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::value(bool v) {
  before_value();
  out_.append(v ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_.append("null");
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  before_value();
  out_.append(json);
  return *this;
}

}  // namespace kai
