#include "schema/unpack.hpp"

#include <string>

#include <gtest/gtest.h>

#include "schema/codec.hpp"

namespace kai::schema {
namespace {

using namespace std::string_literals;

TEST(UnpackTest, AcceptsOneWellFormedObject) {
  const std::string bytes = "\x82\xa1\x61\x01\xa1\x62\x92\xc3\xc0"s;  // {"a":1,"b":[true,nil]}
  auto h = unpack(bytes);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->get().type, msgpack::type::MAP);
  EXPECT_EQ(h->get().via.map.size, 2u);
}

TEST(UnpackTest, HandleOwnsItsStrings) {
  std::string bytes = "\xa3kai"s;
  auto h = unpack(bytes);
  ASSERT_TRUE(h.ok());
  bytes.assign(bytes.size(), 'x');
  EXPECT_EQ(std::string_view(h->get().via.str.ptr, h->get().via.str.size), "kai");
}

TEST(UnpackTest, BorrowedHandlePointsIntoTheInput) {
  const std::string bytes = "\x82\xa1\x61\xa3kai\xa1\x62\xc4\x02\x01\x02"s;  // {"a":"kai","b":bin}
  auto h = unpack_borrowed(bytes);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  const msgpack::object_kv* kv = h->get().via.map.ptr;
  const auto inside = [&](const char* p) {
    return p >= bytes.data() && p < bytes.data() + bytes.size();
  };
  EXPECT_EQ(std::string_view(kv[0].val.via.str.ptr, kv[0].val.via.str.size), "kai");
  EXPECT_TRUE(inside(kv[0].key.via.str.ptr));
  EXPECT_TRUE(inside(kv[0].val.via.str.ptr));
  EXPECT_TRUE(inside(kv[1].val.via.bin.ptr));
}

TEST(UnpackTest, BorrowedUnpackRefusesWhatUnpackRefuses) {
  for (const std::string& bad : {""s, "\x92\x01"s, "\x01\x02"s, "\xc1"s, "\xdd\xff\xff\xff\xff"s}) {
    EXPECT_FALSE(unpack(bad).ok());
    EXPECT_EQ(unpack_borrowed(bad).status().code(), StatusCode::invalid_argument);
  }
  EXPECT_FALSE(unpack_borrowed(std::string(100, '\x91') + "\x01").ok());  // too deep
}

TEST(UnpackTest, RefusesEmptyTruncatedAndTrailingInput) {
  EXPECT_FALSE(unpack("").ok());
  EXPECT_FALSE(unpack("\xa5kai"s).ok());           // str of 5, 3 given
  EXPECT_FALSE(unpack("\x82\xa1\x61\x01"s).ok());  // map of 2 entries, 1 given
  EXPECT_FALSE(unpack("\xcd\x01"s).ok());          // uint16 cut short
  const auto trailing = unpack("\x01\x02"s);
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().code(), StatusCode::invalid_argument);
  EXPECT_NE(trailing.status().message().find("trailing"), std::string::npos);
}

TEST(UnpackTest, RefusesTheNeverUsedTypeByte) {
  EXPECT_FALSE(unpack("\xc1"s).ok());
}

TEST(UnpackTest, LyingContainerHeaderCostsNothing) {
  // array32 claiming 4 billion elements in 5 bytes; map32 likewise.
  EXPECT_FALSE(unpack("\xdd\xff\xff\xff\xff"s).ok());
  EXPECT_FALSE(unpack("\xdf\xff\xff\xff\xff"s).ok());
  // A 4 GiB string header.
  EXPECT_FALSE(unpack("\xdb\xff\xff\xff\xff"s).ok());
}

TEST(UnpackTest, DepthIsLimited) {
  Limits limits;
  limits.max_depth = 4;
  std::string ok(4, '\x91');
  ok.push_back('\x01');
  EXPECT_TRUE(unpack(ok, limits).ok());
  std::string deep(5, '\x91');
  deep.push_back('\x01');
  EXPECT_FALSE(unpack(deep, limits).ok());
  // 100000 nested arrays with the default limits: refused without recursion.
  std::string very_deep(100000, '\x91');
  very_deep.push_back('\xc0');
  const auto r = unpack(very_deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("deep"), std::string::npos);
}

TEST(UnpackTest, DepthsBeyondTheInlineStackAreCountedToo) {
  // The scan keeps its open containers on the stack up to 32 deep and on the heap beyond.
  Limits limits;
  limits.max_depth = 40;
  for (std::size_t depth : {31u, 32u, 33u, 40u}) {
    std::string nested(depth, '\x91');
    nested.push_back('\x01');
    EXPECT_TRUE(unpack(nested, limits).ok()) << depth;
    // Every level closes: a trailing element after them is trailing bytes, not a sibling.
    EXPECT_FALSE(unpack(nested + "\x01", limits).ok()) << depth;
  }
  std::string deeper(41, '\x91');
  deeper.push_back('\x01');
  EXPECT_FALSE(unpack(deeper, limits).ok());
  // Siblings at depth 35: [[[...[1, 2]...]]]
  std::string siblings(34, '\x91');
  siblings += "\x92\x01\x02"s;
  EXPECT_TRUE(unpack(siblings, limits).ok());
}

TEST(UnpackTest, LargeMessagesComeBackWhole) {
  // Many containers and long strings: more than any first zone chunk, copied and borrowed.
  std::string bytes;
  StringSink sink(bytes);
  Packer pk(sink);
  pk.pack_array(300);
  for (int i = 0; i < 300; ++i) {
    pk.pack_map(2);
    pk.pack(std::string("name"));
    pk.pack(std::string(static_cast<std::size_t>(i % 90), static_cast<char>('a' + i % 26)));
    pk.pack(std::string("tags"));
    pk.pack_array(3);
    pk.pack(i);
    pk.pack(std::string(200, 'x'));
    pk.pack_array(0);
  }
  for (bool borrowed : {false, true}) {
    auto h = borrowed ? unpack_borrowed(bytes) : unpack(bytes);
    ASSERT_TRUE(h.ok()) << h.status().to_string();
    std::string again;
    StringSink again_sink(again);
    Packer again_pk(again_sink);
    again_pk.pack(h->get());
    EXPECT_EQ(again, bytes) << (borrowed ? "borrowed" : "copied");
  }
}

TEST(UnpackTest, WellFormedIsCheckedWithoutUnpacking) {
  EXPECT_TRUE(check_well_formed("\x82\xa1\x61\x01\xa1\x62\x92\xc3\xc0"s).ok());
  for (const std::string& bad : {""s, "\x92\x01"s, "\x01\x02"s, "\xc1"s, "\xdd\xff\xff\xff\xff"s}) {
    EXPECT_EQ(check_well_formed(bad).code(), StatusCode::invalid_argument);
  }
  Limits limits;
  limits.max_bytes = 2;
  EXPECT_FALSE(check_well_formed("\xa3kai"s, limits).ok());
}

TEST(UnpackTest, SizeLimits) {
  Limits limits;
  limits.max_bytes = 8;
  EXPECT_FALSE(unpack("\xa9kaikaikai"s, limits).ok());
  limits = Limits{};
  limits.max_string = 2;
  EXPECT_FALSE(unpack("\xa3kai"s, limits).ok());
  EXPECT_TRUE(unpack("\xa2ka"s, limits).ok());
  limits = Limits{};
  limits.max_container = 2;
  EXPECT_FALSE(unpack("\x93\x01\x02\x03"s, limits).ok());
  limits = Limits{};
  limits.max_objects = 3;
  EXPECT_FALSE(unpack("\x93\x01\x02\x03"s, limits).ok());
}

TEST(UnpackTest, ExtAndBinaryAreUnpacked) {
  auto h = unpack("\x92\xc4\x02\x00\x01\xd4\x05\x07"s);  // [bin(00 01), fixext1(type 5, 07)]
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->get().via.array.ptr[0].type, msgpack::type::BIN);
  EXPECT_EQ(h->get().via.array.ptr[1].type, msgpack::type::EXT);
}

}  // namespace
}  // namespace kai::schema
