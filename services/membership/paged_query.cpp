#include "membership/paged_query.hpp"

namespace kai::membership {

PagedQuery::PagedQuery(std::string_view select, KeysetOrder order)
    : select_(select), order_(std::move(order)) {}

void PagedQuery::where(std::string condition, std::initializer_list<store::Value> params) {
  where_.push_back(std::move(condition));
  params_.insert(params_.end(), params.begin(), params.end());
}

Status PagedQuery::after(const std::optional<std::string>& cursor) {
  if (!cursor) return Status::Ok();
  auto keys = parse_cursor(*cursor, order_.tag, order_.keys);
  if (!keys.ok()) return keys.status();
  std::vector<store::Value> values(keys->begin(), keys->end());
  if (order_.bind) {
    auto bound = order_.bind(*keys);
    if (!bound.ok()) return bound.status();
    values = std::move(*bound);
  }
  where_.push_back(order_.after);
  params_.insert(params_.end(), values.begin(), values.end());
  return Status::Ok();
}

Result<std::vector<store::Row>> PagedQuery::page_rows(store::Tx& tx, std::int32_t limit) const {
  std::vector<store::Value> params = params_;
  // One row past the page tells whether another page follows.
  params.emplace_back(static_cast<std::int64_t>(limit) + 1);
  return tx.query(sql(), params);
}

std::string PagedQuery::sql() const {
  std::string sql = select_;
  for (std::size_t i = 0; i < where_.size(); ++i)
    sql += (i == 0 ? "WHERE " : " AND ") + where_[i];
  sql += " ORDER BY " + order_.order_by + " LIMIT ?";
  return sql;
}

Result<std::vector<store::Value>> bind_day_and_id(std::span<const std::int64_t> keys) {
  auto day = cursor_day(keys[0]);
  if (!day.ok()) return day.status();
  return std::vector<store::Value>{*day, keys[1]};
}

}  // namespace kai::membership
