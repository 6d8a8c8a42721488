#include "store/value.hpp"

#include <cmath>
#include <limits>
#include <memory>

#include <gtest/gtest.h>

#include "store/row.hpp"
#include "store/statement_cache.hpp"

namespace kai::store {
namespace {

TEST(ValueTest, KindsFromConstructors) {
  EXPECT_EQ(Value().kind(), ValueKind::null);
  EXPECT_EQ(Value(nullptr).kind(), ValueKind::null);
  EXPECT_EQ(Value(42).kind(), ValueKind::int64);
  EXPECT_EQ(Value(std::int64_t{-7}).kind(), ValueKind::int64);
  EXPECT_EQ(Value(true).as_int64(), 1);
  EXPECT_EQ(Value(1.5).kind(), ValueKind::float64);
  EXPECT_EQ(Value("abc").kind(), ValueKind::text);
  EXPECT_EQ(Value(std::string("abc")).kind(), ValueKind::text);
  EXPECT_EQ(Value(std::string_view("abc")).kind(), ValueKind::text);
  EXPECT_EQ(Value(Blob{"\x00\x01"}).kind(), ValueKind::blob);
  EXPECT_EQ(Value(std::optional<int>()).kind(), ValueKind::null);
  EXPECT_EQ(Value(std::optional<int>(3)).as_int64(), 3);
  EXPECT_EQ(Value(std::optional<std::string>("x")).as_text(), "x");
}

TEST(ValueTest, ConversionsNeverFail) {
  EXPECT_EQ(Value(2.9).as_int64(), 2);
  EXPECT_EQ(Value(-2.9).as_int64(), -2);
  EXPECT_EQ(Value(1e300).as_int64(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(Value(-1e300).as_int64(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(Value(std::nan("")).as_int64(), 0);
  EXPECT_EQ(Value("12").as_int64(), 0);
  EXPECT_EQ(Value().as_int64(), 0);
  EXPECT_DOUBLE_EQ(Value(3).as_float64(), 3.0);
  EXPECT_DOUBLE_EQ(Value("x").as_float64(), 0.0);
  EXPECT_EQ(Value(5).as_text(), "");
  EXPECT_EQ(Value(Blob{"raw"}).as_text(), "raw");
  EXPECT_EQ(Value("txt").as_blob(), "txt");
}

TEST(ValueTest, EqualityDistinguishesTextFromBlob) {
  EXPECT_EQ(Value("a"), Value(std::string("a")));
  EXPECT_NE(Value("a"), Value(Blob{"a"}));
  EXPECT_NE(Value(1), Value(1.0));
  EXPECT_EQ(Value(), Value(nullptr));
}

TEST(ValueTest, DebugString) {
  EXPECT_EQ(Value().debug_string(), "NULL");
  EXPECT_EQ(Value(-5).debug_string(), "-5");
  EXPECT_EQ(Value(0.5).debug_string(), "0.5");
  EXPECT_EQ(Value(std::nan("")).debug_string(), "NaN");
  EXPECT_EQ(Value("a\"b").debug_string(), "\"a\\\"b\"");
  EXPECT_EQ(Value(Blob{std::string("\x00\xff", 2)}).debug_string(), "x'00ff'");
}

TEST(RowTest, AccessByIndexAndName) {
  auto cols =
      std::make_shared<const ColumnNames>(ColumnNames{"id", "name", "score", "data", "gone"});
  Row row(cols, {Value(7), Value("kai"), Value(2.5), Value(Blob{"\x01"}), Value()});
  EXPECT_EQ(row.size(), 5u);
  EXPECT_EQ(row.int64(0), 7);
  EXPECT_EQ(row.int64("id"), 7);
  EXPECT_EQ(row.text("name"), "kai");
  EXPECT_DOUBLE_EQ(row.float64("score"), 2.5);
  EXPECT_EQ(row.blob("data"), "\x01");
  EXPECT_TRUE(row.is_null("gone"));
  EXPECT_FALSE(row.is_null("id"));
  EXPECT_EQ(row.opt_int64("gone"), std::nullopt);
  EXPECT_EQ(row.opt_int64("id"), 7);
  EXPECT_EQ(row.opt_text("gone"), std::nullopt);
  EXPECT_EQ(row.opt_text(std::size_t{1}), "kai");
  EXPECT_EQ(row.index_of("score"), 2u);
  EXPECT_EQ(row.index_of("nope"), std::nullopt);
}

TEST(RowTest, UnknownColumnsReadAsNull) {
  auto cols = std::make_shared<const ColumnNames>(ColumnNames{"a"});
  Row row(cols, {Value(1)});
  EXPECT_TRUE(row.is_null(5));
  EXPECT_TRUE(row.is_null("missing"));
  EXPECT_EQ(row.int64("missing"), 0);
  EXPECT_EQ(row.text(99), "");
  Row empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_TRUE(empty.columns().empty());
  EXPECT_TRUE(empty.is_null(0));
}

TEST(StatementCacheTest, EvictsLeastRecentlyUsed) {
  detail::StatementCache<int> cache(2);
  int* p = nullptr;
  EXPECT_FALSE(cache.insert("a", 1, &p).has_value());
  EXPECT_EQ(*p, 1);
  EXPECT_FALSE(cache.insert("b", 2, &p).has_value());
  ASSERT_NE(cache.find("a"), nullptr);  // a is now the most recent
  auto evicted = cache.insert("c", 3, &p);
  ASSERT_TRUE(evicted.has_value());
  EXPECT_EQ(*evicted, 2);
  EXPECT_EQ(cache.find("b"), nullptr);
  EXPECT_EQ(*cache.find("a"), 1);
  EXPECT_EQ(*cache.find("c"), 3);
  EXPECT_EQ(cache.erase("a"), 1);
  EXPECT_EQ(cache.erase("a"), std::nullopt);
  EXPECT_EQ(cache.size(), 1u);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.find("c"), nullptr);
}

}  // namespace
}  // namespace kai::store
