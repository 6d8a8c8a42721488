// Values that travel between domain code and the database: bound parameters and result cells.
// Five kinds, the intersection of what SQLite and PostgreSQL store natively:
//
//   null, int64 (INTEGER / BIGINT), float64 (REAL / DOUBLE PRECISION), text (UTF-8: TEXT),
//   blob (arbitrary bytes: BLOB / BYTEA).
//
// Money is integer fen and times are integer Unix milliseconds (see DESIGN.md), so int64 covers
// them; floats are for measurements only. Text and blob both hold bytes in a std::string; the
// kind decides how the database stores them (`Value("abc")` is text, `Value(Blob{bytes})` a blob).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kai::store {

// Bytes to be stored as a BLOB (SQLite) / BYTEA (PostgreSQL) rather than as text.
struct Blob {
  std::string bytes;
  friend bool operator==(const Blob&, const Blob&) = default;
};

enum class ValueKind : std::uint8_t { null, int64, float64, text, blob };

std::string_view value_kind_name(ValueKind kind);

class Value {
 public:
  Value() = default;
  Value(std::nullptr_t) {}  // NOLINT(google-explicit-constructor)
  // Every integer type, bool included (stored as 0/1). Unsigned values above INT64_MAX wrap:
  // the platform keeps its numbers signed.
  template <std::integral I>
  Value(I v) : v_(static_cast<std::int64_t>(v)) {}   // NOLINT(google-explicit-constructor)
  Value(double v) : v_(v) {}                         // NOLINT(google-explicit-constructor)
  Value(std::string v) : v_(std::move(v)) {}         // NOLINT(google-explicit-constructor)
  Value(std::string_view v) : v_(std::string(v)) {}  // NOLINT(google-explicit-constructor)
  Value(const char* v) : v_(std::string(v)) {}       // NOLINT(google-explicit-constructor)
  Value(Blob v) : v_(std::move(v)) {}                // NOLINT(google-explicit-constructor)
  // An empty optional binds NULL.
  template <typename T>
  Value(const std::optional<T>& v) {  // NOLINT(google-explicit-constructor)
    if (v) *this = Value(*v);
  }

  ValueKind kind() const { return static_cast<ValueKind>(v_.index()); }
  bool is_null() const { return kind() == ValueKind::null; }

  // Typed reads. They never fail; a value of another kind converts as documented:
  //  as_int64:   int64 as is; float64 truncated toward zero (saturating, NaN → 0); else 0.
  //  as_float64: float64 as is; int64 converted; else 0.0.
  //  as_text / as_blob: the bytes of a text or blob value; empty for null, int64 and float64.
  std::int64_t as_int64() const;
  double as_float64() const;
  const std::string& as_text() const;
  const std::string& as_blob() const { return as_text(); }

  // Makes the value text / a blob of `bytes`, reusing this value's storage when it holds that kind
  // already: a driver refilling one row for every row of a result allocates only when a value
  // is longer than the column's longest so far.
  void assign_text(std::string_view bytes);
  void assign_blob(std::string_view bytes);

  // "NULL", "42", "1.5", "'text'", "x'0aff'" — for logs and test failure messages.
  std::string debug_string() const;

  friend bool operator==(const Value&, const Value&) = default;

 private:
  // The index order matches ValueKind.
  std::variant<std::monostate, std::int64_t, double, std::string, Blob> v_;
};

}  // namespace kai::store
