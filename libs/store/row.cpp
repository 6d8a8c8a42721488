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
  // Row converters read the columns of many rows of one result in the order they were selected,
  // so the column after the last one found is nearly always the one asked for next: try it
  // before scanning. Per thread, so rows may be read from any number of threads at once.
  thread_local const ColumnNames* hint_columns = nullptr;
  thread_local std::size_t hint_next = 0;
  std::size_t found = cols.size();
  if (hint_columns == &cols && hint_next < cols.size() && cols[hint_next] == name) {
    found = hint_next;
  } else {
    for (std::size_t i = 0; i < cols.size(); ++i) {
      if (cols[i] == name) {
        found = i;
        break;
      }
    }
  }
  if (found == cols.size()) return std::nullopt;
  hint_columns = &cols;
  hint_next = found + 1;
  return found;
}

const Value& Row::at(std::size_t i) const {
  return i < values_.size() ? values_[i] : kNull;
}

const Value& Row::at(std::string_view name) const {
  const auto i = index_of(name);
  return i ? at(*i) : kNull;
}

}  // namespace kai::store
