#include "schema/validate.hpp"

#include <string>

#include <gtest/gtest.h>

#include "schema/test_util.hpp"
#include "schema_testdata/testsvc.hpp"

namespace kai::schema {
namespace {

using json = nlohmann::ordered_json;
using test::check;
using test::mp;
using namespace std::string_literals;

const MessageDesc& everything() {
  return kai::testmsg::testsvc::Everything::desc();
}

// {"req": "x"} plus `extra` members.
json base(const json& extra = json::object()) {
  json j = {{"req", "x"}};
  for (auto it = extra.begin(); it != extra.end(); ++it)
    j[it.key()] = it.value();
  return j;
}

void expect_ok(const json& extra) {
  const Status s = check(base(extra), everything());
  EXPECT_TRUE(s.ok()) << extra.dump() << ": " << s.to_string();
}

void expect_bad(const json& extra, const std::string& field) {
  const Status s = check(base(extra), everything());
  EXPECT_EQ(s.code(), StatusCode::invalid_argument) << extra.dump();
  EXPECT_EQ(s.field(), field) << extra.dump() << ": " << s.to_string();
  EXPECT_EQ(s.message().rfind(field + ": ", 0), 0u) << s.message();
}

TEST(ValidateTest, MinimalMessage) {
  expect_ok(json::object());
}

TEST(ValidateTest, RequiredField) {
  const Status s = check(json::object(), everything());
  EXPECT_EQ(s.field(), "req");
  EXPECT_NE(s.message().find("missing required"), std::string::npos);
  EXPECT_EQ(check(json{{"req", nullptr}}, everything()).field(), "req");
}

TEST(ValidateTest, NilIsAbsentForOptionalFields) {
  expect_ok({{"short", nullptr}, {"inner", nullptr}, {"tags", nullptr}});
}

TEST(ValidateTest, UnknownAndDuplicateFields) {
  expect_bad({{"nope", 1}}, "nope");
  expect_bad({{"inner", {{"name", "a"}, {"zz", 1}}}}, "inner.zz");
  // {"req":"x","req":"y"}: msgpack maps can repeat keys; JSON encoders cannot, so build it by hand.
  const std::string dup = "\x82\xa3req\xa1x\xa3req\xa1y"s;
  const Status s = check(dup, everything());
  EXPECT_EQ(s.field(), "req");
  EXPECT_NE(s.message().find("duplicate"), std::string::npos);
  // Non-string keys.
  EXPECT_FALSE(check("\x81\x01\x02"s, everything()).ok());
}

TEST(ValidateTest, TopLevelMustBeAMap) {
  const Status s = check(json::array({1}), everything());
  EXPECT_EQ(s.code(), StatusCode::invalid_argument);
  EXPECT_EQ(s.field(), "");
}

TEST(ValidateTest, StringLengthsCountCodePoints) {
  expect_ok({{"short", "ab"}});
  expect_ok({{"short", "凯旋凯旋凯"}});  // 5 code points, 15 bytes
  expect_bad({{"short", "a"}}, "short");
  expect_bad({{"short", "凯旋凯旋凯旋"}}, "short");
  expect_bad({{"req", ""}}, "req");
}

TEST(ValidateTest, InvalidUtf8IsRefused) {
  expect_bad({{"req", "ok\xff"}}, "req");
  expect_bad({{"req", "\xed\xa0\x80"}}, "req");  // surrogate
  expect_bad({{"inner", {{"name", "\xc0\x80"}}}}, "inner.name");
}

TEST(ValidateTest, Patterns) {
  expect_ok({{"code", "AB123"}});
  expect_bad({{"code", "ab123"}}, "code");
  expect_bad({{"code", "AB1234"}}, "code");
  expect_ok({{"cjk", "凯旋凯"}});  // matched per code point
  expect_bad({{"cjk", "凯x"}}, "cjk");
}

TEST(ValidateTest, IntegerRanges) {
  expect_ok({{"small", -10}});
  expect_ok({{"small", 10}});
  expect_bad({{"small", 11}}, "small");
  expect_bad({{"small", -11}}, "small");
  expect_bad({{"small", 1.5}}, "small");
  expect_bad({{"small", "1"}}, "small");
  expect_ok({{"big", 9223372036854775807LL}});
  expect_bad({{"big", 0}}, "big");
  expect_bad({{"big", 18446744073709551615ULL}}, "big");  // beyond int64
  expect_ok({{"price", 0}});
  expect_bad({{"price", -1}}, "price");
  expect_bad({{"price", 12.5}}, "price");  // money is never a fraction
}

TEST(ValidateTest, Doubles) {
  expect_ok({{"ratio", 0.5}});
  expect_ok({{"ratio", 3}});  // an integer is a number
  expect_bad({{"ratio", 0.25}}, "ratio");
  expect_bad({{"ratio", 100.0}}, "ratio");
  expect_bad({{"ratio", std::numeric_limits<double>::infinity()}}, "ratio");
  expect_bad({{"ratio", "1"}}, "ratio");
}

TEST(ValidateTest, BoolDateTimestamp) {
  expect_ok({{"flag", false}});
  expect_bad({{"flag", 0}}, "flag");
  expect_ok({{"day", "2024-02-29"}});
  expect_bad({{"day", "2023-02-29"}}, "day");
  expect_bad({{"day", "2024-2-1"}}, "day");
  expect_ok({{"at", 1700000000000LL}});
  expect_ok({{"at", -62135596800000LL}});
  expect_bad({{"at", 253402300800000LL}}, "at");       // year 10000
  expect_bad({{"at", "2024-01-01T00:00:00Z"}}, "at");  // strings are for JSON only
}

TEST(ValidateTest, Enums) {
  expect_ok({{"color", "blue"}, {"mode", "-fast"}});
  expect_bad({{"color", "purple"}}, "color");
  expect_bad({{"mode", "Fast"}}, "mode");
  expect_bad({{"color", 1}}, "color");
  EXPECT_NE(check(base({{"color", "x"}}), everything()).message().find("red, green, blue"),
            std::string::npos);
}

TEST(ValidateTest, Bytes) {
  expect_ok({{"blob", json::binary({1, 2, 3})}});
  expect_bad({{"blob", json::binary({})}}, "blob");
  expect_bad({{"blob", json::binary({1, 2, 3, 4, 5, 6, 7, 8, 9})}}, "blob");
  expect_bad({{"blob", "abc"}}, "blob");
}

TEST(ValidateTest, ListsAndPaths) {
  expect_ok({{"tags", {"a", "b", "c"}}});
  expect_bad({{"tags", json::array()}}, "tags");         // min_items 1
  expect_bad({{"tags", {"a", "b", "c", "d"}}}, "tags");  // max_items 3
  expect_bad({{"tags", {"a", "toolong"}}}, "tags[1]");
  expect_bad({{"tags", {"a", nullptr}}}, "tags[1]");
  expect_bad({{"tags", "a"}}, "tags");
  expect_ok({{"inners", {{{"name", "a"}}, {{"name", "b"}, {"deeper", {{"level", 9}}}}}}});
  expect_bad({{"inners", {{{"name", "a"}}, {{"name", "b"}, {"deeper", {{"level", 10}}}}}}},
             "inners[1].deeper.level");
  expect_bad({{"inners", {{{"name", "a"}}, {{"note", "b"}}}}}, "inners[1].name");
  expect_ok({{"matrix", {{1, 2}, json::array(), {3}}}});
  expect_bad({{"matrix", {{1, 2}, {3, "x"}}}}, "matrix[1][1]");
  expect_ok({{"flags", {true, false}}});
  expect_bad({{"colors", {"red", "pink"}}}, "colors[1]");
}

TEST(ValidateTest, NestedMessages) {
  expect_ok({{"inner", {{"name", "n"}, {"deeper", {{"level", 0}}}}}});
  expect_bad({{"inner", "n"}}, "inner");
  expect_bad({{"inner", json::object()}}, "inner.name");
}

TEST(ValidateTest, WrongTypeDoesNotDescendIntoDeepValues) {
  // A string field holding 1000 nested arrays is refused at the top.
  json deep = json::array();
  for (int i = 0; i < 1000; ++i)
    deep = json::array({deep});
  Limits limits;
  limits.max_depth = 2000;
  auto h = unpack(mp(base({{"short", deep}})), limits);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(validate(h->get(), everything()).field(), "short");
}

TEST(ValidateTest, ValidateValueNamesThePath) {
  auto h = unpack(mp(json::array({1, "x"})));
  ASSERT_TRUE(h.ok());
  const FieldDesc* matrix = everything().find("matrix");
  ASSERT_NE(matrix, nullptr);
  const Status s = validate_value(h->get(), *matrix->items, "row");
  EXPECT_EQ(s.field(), "row[1]");
}

}  // namespace
}  // namespace kai::schema
