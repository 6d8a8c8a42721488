#include "store/row.hpp"

namespace kai::store {

namespace {
const Value kNull;
const ColumnNames kNoColumns;
}  // namespace

const ColumnNames& Row::columns() const {
  return columns_ ? *columns_ : kNoColumns;
}

std::optional<std::size_t> Row::index_of(std::string_view name) const {
  const ColumnNames& cols = columns();
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (cols[i] == name) return i;
  }
  return std::nullopt;
}

const Value& Row::at(std::size_t i) const {
  return i < values_.size() ? values_[i] : kNull;
}

const Value& Row::at(std::string_view name) const {
  const auto i = index_of(name);
  return i ? at(*i) : kNull;
}

}  // namespace kai::store
