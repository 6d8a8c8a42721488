// One page of a keyset-paginated listing, the shape every list query of this service's stores
// shares: filters ANDed into a WHERE clause, a condition that continues after the page cursor,
// ORDER BY the sort key, and LIMIT one row more than the page so that the reply knows whether a
// next page exists. Cursors are page_cursor.hpp's; the next cursor holds the sort key of the last
// item of the page.
//
//   PagedQuery q(kColumns, {.tag = "ag", .keys = 1, .after = "id < ?", .order_by = "id DESC"});
//   if (req.status) q.where("status = ?", {msgs::to_string(*req.status)});
//   KAI_RETURN_IF_ERROR(q.after(req.cursor));
//   return q.run<msgs::AgreementListReply>(tx, req.limit, agreement_from_row, id_key);
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "membership/page_cursor.hpp"
#include "schema/descriptor.hpp"
#include "store/tx.hpp"
#include "store/value.hpp"

namespace kai::membership {

// Makes the values that a cursor's keys bind to the `?`s of KeysetOrder::after, for sort keys
// that are not those integers themselves (a day, a name looked up by id). PagedQuery::after
// returns its error as it is: invalid_argument naming "cursor" when the cursor is at fault.
using CursorBinder =
    std::function<Result<std::vector<store::Value>>(std::span<const std::int64_t> keys)>;

// How a listing is sorted, and how its cursor continues it.
struct KeysetOrder {
  std::string tag = {};       // the cursor's tag (page_cursor.hpp)
  std::size_t keys = 1;       // how many integers its cursors hold
  std::string after = {};     // the rows past the cursor's sort key, e.g. "(held_on, id) < (?, ?)"
  std::string order_by = {};  // agrees with `after`, e.g. "held_on DESC, id DESC"
  // Makes the values for `after` from the keys; when empty the keys are bound as they are.
  CursorBinder bind = nullptr;
};

class PagedQuery {
 public:
  // `select` is the statement up to its WHERE clause, e.g. "SELECT id, name FROM t ".
  PagedQuery(std::string_view select, KeysetOrder order);

  // Adds a condition, ANDed with the others; `params` bind its `?`s in order.
  void where(std::string condition, std::initializer_list<store::Value> params = {});

  // Continues after `cursor` when there is one. A cursor of another listing or order is
  // invalid_argument naming the field "cursor" (page_cursor.hpp); an error of the order's binder
  // is returned as it is.
  Status after(const std::optional<std::string>& cursor);

  // Runs the query for a page of at most `limit` items. `convert` makes an item from a row,
  // returning the item or a Result of it; `keys_of` gives an item's sort key for the next cursor:
  // one std::int64_t, or a std::vector of them in the order of KeysetOrder::keys.
  template <class Reply, class Convert, class KeysOf>
  Result<Reply> run(store::Tx& tx, std::int32_t limit, Convert convert, KeysOf keys_of) const;

  // The same page as Reply's MessagePack, each item packed straight from its row
  // (svc::RowPacker): for listings whose items are the rows as they are stored, with a column
  // named like each field of the item. `keys_of` gives a row's sort key, as for run(). Use it
  // with Registrar::read_encoded.
  template <class Reply, class KeysOf>
  Result<std::string> run_packed(store::Tx& tx, std::int32_t limit, KeysOf keys_of) const;

 private:
  // The parameters of sql() for a page of `limit`: one row more tells whether another follows.
  std::vector<store::Value> page_params(std::int32_t limit) const;
  // run_packed's work: `cursor_of` makes the next cursor from the page's last row.
  Result<std::string> pack_page(
      store::Tx& tx, std::int32_t limit, const schema::MessageDesc& item,
      const std::function<std::string(const store::Row&)>& cursor_of) const;

  // The SELECT with its WHERE, ORDER BY and a final `LIMIT ?` left for run() to bind.
  std::string sql() const;

  std::string select_;
  KeysetOrder order_;
  std::vector<std::string> where_;
  std::vector<store::Value> params_;
};

// The sort key of a listing ordered by id alone.
inline constexpr auto id_key = [](const auto& item) -> std::int64_t { return item.id; };

// A CursorBinder for keys (day, id), the day in days since 1970-01-01, which the database
// compares as "YYYY-MM-DD" text; a day no date of this service can have is invalid_argument
// (field cursor).
Result<std::vector<store::Value>> bind_day_and_id(std::span<const std::int64_t> keys);

template <class Reply, class Convert, class KeysOf>
Result<Reply> PagedQuery::run(store::Tx& tx, std::int32_t limit, Convert convert,
                              KeysOf keys_of) const {
  using Item = typename decltype(Reply::items)::value_type;
  auto rows = tx.query(sql(), page_params(limit));
  if (!rows.ok()) return rows.status();
  Reply reply;
  const std::size_t page = static_cast<std::size_t>(limit);
  for (std::size_t i = 0; i < rows->size() && i < page; ++i) {
    Result<Item> item = convert((*rows)[i]);
    if (!item.ok()) return item.status();
    reply.items.push_back(std::move(*item));
  }
  if (rows->size() > page) reply.next_cursor = make_cursor(order_.tag, keys_of(reply.items.back()));
  return reply;
}

template <class Reply, class KeysOf>
Result<std::string> PagedQuery::run_packed(store::Tx& tx, std::int32_t limit,
                                           KeysOf keys_of) const {
  using Item = typename decltype(Reply::items)::value_type;
  // Written as encode() writes a list reply: {items, next_cursor when there is a next page}.
  static_assert(std::is_same_v<decltype(Reply::next_cursor), std::optional<std::string>>);
  return pack_page(tx, limit, Item::desc(),
                   [&](const store::Row& row) { return make_cursor(order_.tag, keys_of(row)); });
}

}  // namespace kai::membership
