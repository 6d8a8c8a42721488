#include "service/row_packer.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "schema/codec.hpp"
#include "schema/unpack.hpp"
#include "schema_testdata/testsvc.hpp"

namespace kai::svc {
namespace {

namespace t = kai::testmsg::testsvc;
using schema::FieldType;
using store::Blob;
using store::Value;
using namespace std::string_literals;

// A message with every kind of field set (the test schema's Everything).
t::Everything everything() {
  t::Everything e;
  e.req = "凯旋";
  e.short_ = "abc";
  e.code = "AB123";
  e.cjk = "凯旋";
  e.small = -7;
  e.big = 1'000'000'000'000;
  e.price = 12'345;
  e.ratio = 2.5;
  e.flag = true;
  e.day = "2026-11-26";
  e.at = 1'764'115'200'000;
  e.color = t::Color::blue;
  e.mode = t::Everything::Mode::fast_desc;
  e.blob = "\x00\xff"s;
  e.inner = t::Inner{.name = "王丽", .note = "n", .deeper = t::Deeper{.level = 3}};
  e.tags = std::vector<std::string>{"a", "bb"};
  e.inners = std::vector<t::Inner>{{.name = "x", .note = std::nullopt, .deeper = std::nullopt}};
  e.matrix = std::vector<std::vector<std::int32_t>>{{1}, {2, 3}};
  e.colors = std::vector<t::Color>{t::Color::red};
  e.flags = std::vector<bool>{false, true};
  e.phone = "13812345678";
  e.count = 9;
  e.greeting = "hi";
  e.shade = t::Color::red;
  e.class_ = "k";
  return e;
}

// The row a store keeps for a message: each present field in a column of its name, scalars in
// their column kinds, nested messages and lists as BLOBs of their MessagePack; the columns in
// reverse order after an unrelated one, so that only the names can match them.
struct StoredRow {
  std::shared_ptr<store::ColumnNames> columns = std::make_shared<store::ColumnNames>();
  std::vector<Value> values;

  store::Row row() const { return store::Row(columns, values); }
  void set(std::string_view name, Value v) {
    for (std::size_t i = 0; i < columns->size(); ++i) {
      if ((*columns)[i] == name) values[i] = std::move(v);
    }
  }
};

StoredRow stored(const std::string& encoded) {
  const schema::MessageDesc& desc = t::Everything::desc();
  auto h = schema::unpack(encoded);
  EXPECT_TRUE(h.ok());
  StoredRow r;
  r.columns->push_back("sort_key");
  r.values.emplace_back(std::int64_t{42});
  for (std::size_t f = desc.fields.size(); f-- > 0;) {
    r.columns->emplace_back(desc.fields[f].name);
    r.values.emplace_back();
  }
  for (const msgpack::object_kv& kv : schema::codec::entries(h->get())) {
    const schema::FieldDesc* field = desc.find(schema::codec::key_of(kv.key));
    EXPECT_NE(field, nullptr);
    if (field == nullptr) continue;
    const msgpack::object& v = kv.val;
    switch (field->type) {
      case FieldType::string:
      case FieldType::date:
      case FieldType::enumeration:
        r.set(field->name, std::string(v.via.str.ptr, v.via.str.size));
        break;
      case FieldType::int32:
      case FieldType::int64:
      case FieldType::money:
      case FieldType::timestamp:
        r.set(field->name, v.as<std::int64_t>());
        break;
      case FieldType::boolean:
        r.set(field->name, std::int64_t{v.via.boolean ? 1 : 0});
        break;
      case FieldType::float64:
        r.set(field->name, v.via.f64);
        break;
      case FieldType::bytes:
        r.set(field->name, Blob{std::string(v.via.bin.ptr, v.via.bin.size)});
        break;
      case FieldType::message:
      case FieldType::list: {
        std::string bytes;
        schema::StringSink sink(bytes);
        schema::Packer(sink).pack(v);
        r.set(field->name, Blob{bytes});
        break;
      }
    }
  }
  return r;
}

Result<std::string> packed(const StoredRow& r) {
  auto packer = RowPacker::make(t::Everything::desc(), *r.columns);
  if (!packer.ok()) return packer.status();
  std::string out = "\x91"s;  // appends: whatever is in front stays
  KAI_RETURN_IF_ERROR(packer->pack(r.row(), out));
  return out.substr(1);
}

TEST(RowPackerTest, WritesWhatEncodeOfTheTypedRecordWrites) {
  const std::string expected = encode(everything());
  auto out = packed(stored(expected));
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, expected);
}

TEST(RowPackerTest, NullColumnsAreAbsentFields) {
  t::Everything few;
  few.req = "x";  // required; count, greeting and shade have defaults
  const std::string expected = encode(few);
  auto out = packed(stored(expected));
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, expected);
}

TEST(RowPackerTest, AFieldWithoutAColumnIsRefusedUpFront) {
  StoredRow r = stored(encode(everything()));
  std::replace(r.columns->begin(), r.columns->end(), "phone"s, "phone_number"s);
  auto packer = RowPacker::make(t::Everything::desc(), *r.columns);
  ASSERT_FALSE(packer.ok());
  EXPECT_EQ(packer.status().code(), StatusCode::internal);
  EXPECT_NE(packer.status().message().find("Everything.phone"), std::string::npos);
}

TEST(RowPackerTest, StoredValuesThatDoNotFitTheirFieldAreInternal) {
  const std::string good = encode(everything());
  const auto refused = [&](std::string_view column, Value v, std::string_view says) {
    StoredRow r = stored(good);
    r.set(column, std::move(v));
    auto out = packed(r);
    ASSERT_FALSE(out.ok()) << column;
    EXPECT_EQ(out.status().code(), StatusCode::internal) << column;
    EXPECT_NE(out.status().message().find(says), std::string::npos) << out.status().message();
  };
  refused("req", Value(), "req is NULL");
  refused("count", Value(), "count is NULL");  // defaulted: encode always writes it
  refused("req", Value(std::int64_t{5}), "req is int64, not text");
  refused("big", Value("5"), "big is text, not int64");
  refused("mode", Value("medium"), "'medium' is not a known value");
  refused("color", Value("purple"), "'purple' is not a known value");
  refused("small", Value(std::int64_t{1} << 40), "int32 range");
  refused("flag", Value(std::int64_t{2}), "not 0 or 1");
  refused("ratio", Value("2.5"), "ratio is text");
  refused("blob", Value("\x01"), "blob is text, not blob");
  refused("inner", Value(Blob{"\x82\xa1"s}), "inner does not decode");
  refused("inner", Value(Blob{"\x91\x01"s}), "inner is not a map");
  refused("tags", Value(Blob{"\x81\xa1\x61\x01"s}), "tags is not an array");
  refused("tags", Value(Blob{""}), "tags does not decode");
  refused("tags", Value(Blob{"\x90\x90"s}), "tags does not decode");  // trailing bytes
}

TEST(RowPackerTest, WholeNumbersOfADoubleColumnAreDoubles) {
  t::Everything e = everything();
  e.ratio = 3.0;
  const std::string expected = encode(e);
  StoredRow r = stored(expected);
  r.set("ratio", Value(std::int64_t{3}));
  auto out = packed(r);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, expected);
}

}  // namespace
}  // namespace kai::svc
