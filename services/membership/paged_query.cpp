#include "membership/paged_query.hpp"

#include <algorithm>
#include <optional>

#include "schema/codec.hpp"
#include "service/row_packer.hpp"

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

std::vector<store::Value> PagedQuery::page_params(std::int32_t limit) const {
  std::vector<store::Value> params = params_;
  params.emplace_back(static_cast<std::int64_t>(limit) + 1);
  return params;
}

Result<std::string> PagedQuery::pack_page(
    store::Tx& tx, std::int32_t limit, const schema::MessageDesc& item,
    const std::function<std::string(const store::Row&)>& cursor_of) const {
  const std::size_t page = static_cast<std::size_t>(limit);
  std::string out;
  schema::StringSink sink(out);
  schema::Packer pk(sink);
  // The rows are packed as they are read, so the sizes are set afterwards: the map holds
  // next_cursor too when a row past the page came.
  using schema::codec::Container;
  const std::size_t reply_at = schema::codec::begin_container_of_unknown_size(out, Container::map);
  schema::codec::pack_key(pk, "items");
  const std::size_t items_at =
      schema::codec::begin_container_of_unknown_size(out, Container::array);
  std::optional<svc::RowPacker> packer;
  std::size_t rows = 0;
  std::string cursor;
  const Status read = tx.query_each(sql(), page_params(limit), [&](const store::Row& row) {
    if (rows++ == page) return Status::Ok();  // the row past the page: only counted
    if (!packer) {
      auto made = svc::RowPacker::make(item, row.columns());
      if (!made.ok()) return made.status();
      packer.emplace(std::move(*made));
    }
    KAI_RETURN_IF_ERROR(packer->pack(row, out));
    if (rows == page) cursor = cursor_of(row);
    return Status::Ok();
  });
  if (!read.ok()) return read;
  schema::codec::set_container_size(out, items_at, Container::array,
                                    static_cast<std::uint32_t>(std::min(rows, page)));
  if (rows > page) {
    schema::codec::pack_key(pk, "next_cursor");
    schema::codec::pack_string(pk, cursor);
  }
  schema::codec::set_container_size(out, reply_at, Container::map, rows > page ? 2 : 1);
  return out;
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
