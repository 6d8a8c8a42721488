#include "schema/reader.hpp"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "schema/codec.hpp"
#include "schema/unpack.hpp"

namespace kai::schema {
namespace {

using namespace std::string_literals;

// Walks one whole value with the Reader, comparing each header with msgpack-cxx's object for
// the same bytes.
void expect_same(Reader& r, const msgpack::object& o) {
  Token t;
  ASSERT_TRUE(r.next(t));
  switch (o.type) {
    case msgpack::type::NIL:
      EXPECT_EQ(t.type, Token::nil);
      return;
    case msgpack::type::BOOLEAN:
      ASSERT_EQ(t.type, Token::boolean);
      EXPECT_EQ(t.boolean_value, o.via.boolean);
      return;
    case msgpack::type::POSITIVE_INTEGER:
      ASSERT_EQ(t.type, Token::uint);
      EXPECT_EQ(t.uint_value, o.via.u64);
      return;
    case msgpack::type::NEGATIVE_INTEGER:
      ASSERT_EQ(t.type, Token::sint);
      EXPECT_EQ(t.sint_value, o.via.i64);
      return;
    case msgpack::type::FLOAT32:
      ASSERT_EQ(t.type, Token::float32);
      EXPECT_EQ(t.float_value, o.via.f64);
      return;
    case msgpack::type::FLOAT64:
      ASSERT_EQ(t.type, Token::float64);
      EXPECT_EQ(t.float_value, o.via.f64);
      return;
    case msgpack::type::STR:
      ASSERT_EQ(t.type, Token::str);
      EXPECT_EQ(t.data, std::string_view(o.via.str.ptr, o.via.str.size));
      return;
    case msgpack::type::BIN:
      ASSERT_EQ(t.type, Token::bin);
      EXPECT_EQ(t.data, std::string_view(o.via.bin.ptr, o.via.bin.size));
      return;
    case msgpack::type::EXT:
      ASSERT_EQ(t.type, Token::ext);
      EXPECT_EQ(t.ext_type, o.via.ext.type());
      EXPECT_EQ(t.data, std::string_view(o.via.ext.data(), o.via.ext.size));
      return;
    case msgpack::type::ARRAY:
      ASSERT_EQ(t.type, Token::array);
      ASSERT_EQ(t.count, o.via.array.size);
      for (std::uint32_t i = 0; i < o.via.array.size; ++i)
        expect_same(r, o.via.array.ptr[i]);
      return;
    case msgpack::type::MAP:
      ASSERT_EQ(t.type, Token::map);
      ASSERT_EQ(t.count, o.via.map.size);
      for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        expect_same(r, o.via.map.ptr[i].key);
        expect_same(r, o.via.map.ptr[i].val);
      }
      return;
  }
  FAIL() << "unexpected object type";
}

void expect_reads_like_msgpack_cxx(const std::string& bytes) {
  SCOPED_TRACE(testing::PrintToString(bytes.substr(0, 16)));
  auto h = unpack(bytes);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  Reader r(bytes);
  expect_same(r, h->get());
  EXPECT_TRUE(r.done());
  // skip() passes over exactly the same value.
  Reader s(bytes);
  Token t;
  ASSERT_TRUE(s.next(t));
  EXPECT_TRUE(s.skip(t));
  EXPECT_TRUE(s.done());
}

std::string packed(const auto& write) {
  std::string out;
  StringSink sink(out);
  Packer pk(sink);
  write(pk);
  return out;
}

TEST(ReaderTest, EveryEncodingReadsAsMsgpackCxxUnpacksIt) {
  const std::vector<std::int64_t> ints = {0,
                                          1,
                                          127,
                                          128,
                                          255,
                                          256,
                                          65535,
                                          65536,
                                          4294967295LL,
                                          4294967296LL,
                                          std::numeric_limits<std::int64_t>::max(),
                                          -1,
                                          -32,
                                          -33,
                                          -128,
                                          -129,
                                          -32768,
                                          -32769,
                                          -2147483648LL,
                                          -2147483649LL,
                                          std::numeric_limits<std::int64_t>::min()};
  for (std::int64_t v : ints) {
    expect_reads_like_msgpack_cxx(packed([&](Packer& pk) { pk.pack_int64(v); }));
    // The fixed-width encodings of the same values (int8..int64 holding a value >= 0 included).
    expect_reads_like_msgpack_cxx(packed([&](Packer& pk) { pk.pack_fix_int64(v); }));
    if (v >= std::numeric_limits<std::int8_t>::min() &&
        v <= std::numeric_limits<std::int8_t>::max()) {
      expect_reads_like_msgpack_cxx(
          packed([&](Packer& pk) { pk.pack_fix_int8(static_cast<std::int8_t>(v)); }));
    }
    if (v >= 0) {
      expect_reads_like_msgpack_cxx(
          packed([&](Packer& pk) { pk.pack_fix_uint64(static_cast<std::uint64_t>(v)); }));
    }
  }
  expect_reads_like_msgpack_cxx(
      packed([](Packer& pk) { pk.pack_uint64(std::numeric_limits<std::uint64_t>::max()); }));
  for (double d : {0.0, -1.5, 3.25e300, std::numeric_limits<double>::infinity()}) {
    expect_reads_like_msgpack_cxx(packed([&](Packer& pk) { pk.pack_double(d); }));
    expect_reads_like_msgpack_cxx(
        packed([&](Packer& pk) { pk.pack_float(static_cast<float>(d)); }));
  }
  for (std::size_t n : {0u, 1u, 31u, 32u, 255u, 256u, 65535u, 65536u}) {
    const std::string s(n, 'k');
    expect_reads_like_msgpack_cxx(packed([&](Packer& pk) { codec::pack_string(pk, s); }));
    expect_reads_like_msgpack_cxx(packed([&](Packer& pk) { codec::pack_bytes(pk, s); }));
    for (std::size_t cut :
         {n, std::size_t{1}, std::size_t{2}, std::size_t{4}, std::size_t{8}, std::size_t{16}}) {
      if (cut > n) continue;
      expect_reads_like_msgpack_cxx(packed([&](Packer& pk) {
        pk.pack_ext(cut, 7);
        pk.pack_ext_body(s.data(), static_cast<std::uint32_t>(cut));
      }));
    }
  }
  for (std::uint32_t n : {0u, 15u, 16u, 65535u, 65536u}) {
    expect_reads_like_msgpack_cxx(packed([&](Packer& pk) {
      pk.pack_array(n);
      for (std::uint32_t i = 0; i < n; ++i)
        pk.pack_nil();
    }));
    expect_reads_like_msgpack_cxx(packed([&](Packer& pk) {
      pk.pack_map(n);
      for (std::uint32_t i = 0; i < n; ++i) {
        pk.pack_uint32(i);
        pk.pack_true();
      }
    }));
  }
}

// A random value: scalars of every kind, containers nested a few levels.
void random_value(std::mt19937& rng, Packer& pk, int depth) {
  const int kind = static_cast<int>(rng() % (depth < 4 ? 9 : 7));
  switch (kind) {
    case 0:
      pk.pack_nil();
      break;
    case 1:
      pk.pack(rng() % 2 == 0);
      break;
    case 2:
      pk.pack_int64(static_cast<std::int64_t>((static_cast<std::uint64_t>(rng()) << 32) | rng()) >>
                    (rng() % 64));
      break;
    case 3:
      pk.pack_double(static_cast<double>(rng()) / 7.0);
      break;
    case 4: {
      const std::string s(rng() % 40, static_cast<char>('a' + rng() % 26));
      codec::pack_string(pk, s);
      break;
    }
    case 5: {
      const std::string s(rng() % 300, '\x01');
      codec::pack_bytes(pk, s);
      break;
    }
    case 6:
      pk.pack_ext(3, static_cast<std::int8_t>(rng() % 100));
      pk.pack_ext_body("abc", 3);
      break;
    case 7: {
      const std::uint32_t n = rng() % 20;
      pk.pack_array(n);
      for (std::uint32_t i = 0; i < n; ++i)
        random_value(rng, pk, depth + 1);
      break;
    }
    default: {
      const std::uint32_t n = rng() % 20;
      pk.pack_map(n);
      for (std::uint32_t i = 0; i < n; ++i) {
        random_value(rng, pk, depth + 1);
        random_value(rng, pk, depth + 1);
      }
      break;
    }
  }
}

TEST(ReaderTest, RandomValuesReadAsMsgpackCxxUnpacksThem) {
  std::mt19937 rng(20261126);
  for (int i = 0; i < 2000; ++i) {
    expect_reads_like_msgpack_cxx(packed([&](Packer& pk) { random_value(rng, pk, 0); }));
    if (HasFatalFailure()) return;
  }
}

// Whether the Reader, walking one value with skip(), accepts exactly what the unpacking scan
// accepts (limits out of the way: the Reader has none, it only never reads past the end).
bool reader_accepts(const std::string& bytes) {
  Reader r(bytes);
  Token t;
  return r.next(t) && r.skip(t) && r.done();
}

TEST(ReaderTest, DamagedInputIsRefusedWhereverItBreaks) {
  Limits unlimited;
  unlimited.max_depth = 4096;  // far beyond what these values nest
  unlimited.max_objects = std::numeric_limits<std::size_t>::max();
  unlimited.max_container = std::numeric_limits<std::uint32_t>::max();
  unlimited.max_string = std::numeric_limits<std::uint32_t>::max();
  unlimited.max_bytes = std::numeric_limits<std::size_t>::max();
  std::mt19937 rng(7);
  int refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = packed([&](Packer& pk) { random_value(rng, pk, 0); });
    switch (rng() % 3) {
      case 0:  // cut short
        bytes.resize(rng() % bytes.size());
        break;
      case 1:  // a byte changed
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
        break;
      default:  // something after the value
        bytes.push_back(static_cast<char>(rng()));
        break;
    }
    const bool accepted = reader_accepts(bytes);
    EXPECT_EQ(accepted, check_well_formed(bytes, unlimited).ok())
        << testing::PrintToString(bytes.substr(0, 32));
    if (accepted) {
      // The scan shares the Reader's header decoding; msgpack-cxx, which decodes on its own,
      // must take what they accept as one whole value.
      std::size_t offset = 0;
      EXPECT_NO_THROW(msgpack::unpack(bytes.data(), bytes.size(), offset));
      EXPECT_EQ(offset, bytes.size());
    }
    refused += accepted ? 0 : 1;
  }
  EXPECT_GT(refused, 1000);  // the damage above mostly breaks the value
}

TEST(ReaderTest, LyingHeadersAndTheUnusedByteAreRefused) {
  for (const std::string& bad :
       {"\xdd\xff\xff\xff\xff"s, "\xdf\xff\xff\xff\xff"s, "\xdb\xff\xff\xff\xff"s, "\xc1"s,
        "\xc6\x00\x00\x00\x05\x01"s, "\xd8\x01\x02"s, "\xcb\x00"s, ""s}) {
    Reader r(bad);
    Token t;
    EXPECT_FALSE(r.next(t) && r.skip(t)) << testing::PrintToString(bad);
  }
}

TEST(ReaderTest, SkipsDeepNestingWithoutRecursion) {
  std::string deep(200000, '\x91');
  deep.push_back('\xc0');
  EXPECT_TRUE(reader_accepts(deep));
  deep.pop_back();
  EXPECT_FALSE(reader_accepts(deep));
}

}  // namespace
}  // namespace kai::schema
