#include "store/value.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "common/json_writer.hpp"

namespace kai::store {

std::string_view value_kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::null:
      return "null";
    case ValueKind::int64:
      return "int64";
    case ValueKind::float64:
      return "float64";
    case ValueKind::text:
      return "text";
    case ValueKind::blob:
      return "blob";
  }
  return "unknown";
}

std::int64_t Value::as_int64() const {
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (const auto* d = std::get_if<double>(&v_)) {
    if (std::isnan(*d)) return 0;
    // 2^63 is exactly representable; anything at or beyond it saturates.
    constexpr double kLimit = 9223372036854775808.0;
    if (*d >= kLimit) return std::numeric_limits<std::int64_t>::max();
    if (*d < -kLimit) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(*d);
  }
  return 0;
}

double Value::as_float64() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  return 0.0;
}

void Value::assign_text(std::string_view bytes) {
  if (auto* s = std::get_if<std::string>(&v_)) {
    s->assign(bytes);
  } else {
    v_ = std::string(bytes);
  }
}

void Value::assign_blob(std::string_view bytes) {
  if (auto* b = std::get_if<Blob>(&v_)) {
    b->bytes.assign(bytes);
  } else {
    v_ = Blob{std::string(bytes)};
  }
}

const std::string& Value::as_text() const {
  static const std::string kEmpty;
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  if (const auto* b = std::get_if<Blob>(&v_)) return b->bytes;
  return kEmpty;
}

std::string Value::debug_string() const {
  switch (kind()) {
    case ValueKind::null:
      return "NULL";
    case ValueKind::int64:
      return std::to_string(std::get<std::int64_t>(v_));
    case ValueKind::float64: {
      const double d = std::get<double>(v_);
      if (std::isnan(d)) return "NaN";
      char buf[32];
      const auto res = std::to_chars(buf, buf + sizeof buf, d);
      return std::string(buf, res.ptr);
    }
    case ValueKind::text: {
      std::string out;
      append_json_string(out, std::get<std::string>(v_));
      return out;
    }
    case ValueKind::blob: {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string out = "x'";
      for (const char c : std::get<Blob>(v_).bytes) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(kHex[u >> 4]);
        out.push_back(kHex[u & 0xf]);
      }
      out.push_back('\'');
      return out;
    }
  }
  return "?";
}

}  // namespace kai::store
