// One result row: values in column order plus the column names shared by every row of the same
// result. Rows own their data, so they stay valid after the transaction that produced them ends.
//
// Accessors take a column index (0-based) or a column name (as spelled by the query: use `AS` to
// name expressions). They never fail: an unknown name or an index past the end reads as NULL, and
// a value of another kind converts as documented on Value (as_int64 and friends). Domain code
// that cares whether a column is NULL asks is_null() or uses an opt_* accessor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/value.hpp"

namespace kai::store {

using ColumnNames = std::vector<std::string>;

class Row {
 public:
  Row() = default;
  Row(std::shared_ptr<const ColumnNames> columns, std::vector<Value> values)
      : columns_(std::move(columns)), values_(std::move(values)) {}

  std::size_t size() const { return values_.size(); }
  const ColumnNames& columns() const;
  // Index of the first column with this name; nullopt when there is none.
  std::optional<std::size_t> index_of(std::string_view name) const;

  const Value& at(std::size_t i) const;
  const Value& at(std::string_view name) const;

  bool is_null(std::size_t i) const { return at(i).is_null(); }
  bool is_null(std::string_view name) const { return at(name).is_null(); }

  std::int64_t int64(std::size_t i) const { return at(i).as_int64(); }
  std::int64_t int64(std::string_view name) const { return at(name).as_int64(); }
  std::optional<std::int64_t> opt_int64(std::size_t i) const { return opt_int(at(i)); }
  std::optional<std::int64_t> opt_int64(std::string_view name) const { return opt_int(at(name)); }

  double float64(std::size_t i) const { return at(i).as_float64(); }
  double float64(std::string_view name) const { return at(name).as_float64(); }

  const std::string& text(std::size_t i) const { return at(i).as_text(); }
  const std::string& text(std::string_view name) const { return at(name).as_text(); }
  std::optional<std::string> opt_text(std::size_t i) const { return opt_str(at(i)); }
  std::optional<std::string> opt_text(std::string_view name) const { return opt_str(at(name)); }

  const std::string& blob(std::size_t i) const { return at(i).as_blob(); }
  const std::string& blob(std::string_view name) const { return at(name).as_blob(); }

  const std::vector<Value>& values() const { return values_; }

  // For the store's drivers, which fill one Row in place for every row of a result
  // (Tx::query_each): the value of column i, to overwrite.
  Value& mutable_value(std::size_t i) { return values_[i]; }

 private:
  static std::optional<std::int64_t> opt_int(const Value& v) {
    if (v.is_null()) return std::nullopt;
    return v.as_int64();
  }
  static std::optional<std::string> opt_str(const Value& v) {
    if (v.is_null()) return std::nullopt;
    return v.as_text();
  }

  std::shared_ptr<const ColumnNames> columns_;
  std::vector<Value> values_;
};

}  // namespace kai::store
