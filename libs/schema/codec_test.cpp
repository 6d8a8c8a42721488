// Tests of the generated message code (from testdata/), which is made of codec.hpp's pieces.
#include "schema/codec.hpp"

#include <string>
#include <tuple>
#include <type_traits>

#include <gtest/gtest.h>

#include "schema/test_util.hpp"
#include "schema_testdata/all_services.hpp"
#include "schema_testdata/testsvc.hpp"

namespace kai::testmsg::testsvc {
namespace {

using kai::schema::test::mp;
using json = nlohmann::ordered_json;
using namespace std::string_literals;

Everything decoded(const std::string& bytes) {
  auto h = kai::schema::unpack(bytes);
  EXPECT_TRUE(h.ok());
  Everything e;
  if (h.ok()) {
    const Status s = decode(h->get(), e);
    EXPECT_TRUE(s.ok()) << s.to_string();
  }
  return e;
}

TEST(GeneratedCodeTest, FieldTypes) {
  static_assert(std::is_same_v<decltype(Everything::req), std::string>);
  static_assert(std::is_same_v<decltype(Everything::short_), std::optional<std::string>>);
  static_assert(std::is_same_v<decltype(Everything::small), std::optional<std::int32_t>>);
  static_assert(std::is_same_v<decltype(Everything::price), std::optional<std::int64_t>>);
  static_assert(std::is_same_v<decltype(Everything::at), std::optional<std::int64_t>>);
  static_assert(std::is_same_v<decltype(Everything::color), std::optional<Color>>);
  static_assert(std::is_same_v<decltype(Everything::mode), std::optional<Everything::Mode>>);
  static_assert(std::is_same_v<decltype(Everything::matrix),
                               std::optional<std::vector<std::vector<std::int32_t>>>>);
  static_assert(std::is_same_v<decltype(Everything::count), std::int32_t>);  // defaulted
  static_assert(std::is_same_v<decltype(Everything::class_), std::optional<std::string>>);
  const Everything e;
  EXPECT_EQ(e.count, 5);
  EXPECT_EQ(e.greeting, "hello");
  EXPECT_EQ(e.shade, Color::green);
}

TEST(GeneratedCodeTest, AbsentOptionalsAreOmittedDefaultsAreSent) {
  Everything e;
  e.req = "x";
  auto h = kai::schema::unpack(encode(e));
  ASSERT_TRUE(h.ok());
  const msgpack::object& o = h->get();
  ASSERT_EQ(o.type, msgpack::type::MAP);
  // req + the three defaulted fields.
  EXPECT_EQ(o.via.map.size, 4u);
  EXPECT_EQ(encode(e), mp({{"req", "x"}, {"count", 5}, {"greeting", "hello"}, {"shade", "green"}}));
}

TEST(GeneratedCodeTest, DecodeAppliesDefaultsAndReadsEveryKind) {
  const Everything e = decoded(mp({{"req", "r"},
                                   {"mode", "-fast"},
                                   {"color", "blue"},
                                   {"blob", json::binary({0, 255})},
                                   {"matrix", {{1}, {2, 3}}},
                                   {"flags", {true, false}},
                                   {"class", "k"},
                                   {"ratio", 2},
                                   {"inner", {{"name", "n"}, {"deeper", {{"level", 3}}}}}}));
  EXPECT_EQ(e.req, "r");
  EXPECT_EQ(e.mode, Everything::Mode::fast_desc);
  EXPECT_EQ(e.color, Color::blue);
  EXPECT_EQ(e.blob, "\x00\xff"s);
  EXPECT_EQ(e.matrix, (std::vector<std::vector<std::int32_t>>{{1}, {2, 3}}));
  EXPECT_EQ(e.flags, (std::vector<bool>{true, false}));
  EXPECT_EQ(e.class_, "k");
  EXPECT_EQ(e.ratio, 2.0);
  ASSERT_TRUE(e.inner.has_value());
  ASSERT_TRUE(e.inner->deeper.has_value());
  EXPECT_EQ(e.inner->deeper->level, 3);
  EXPECT_EQ(e.count, 5);
  EXPECT_FALSE(e.short_.has_value());
}

TEST(GeneratedCodeTest, DecodeResetsTheTarget) {
  auto h = kai::schema::unpack(mp({{"req", "r"}}));
  ASSERT_TRUE(h.ok());
  Everything e;
  e.short_ = "stale";
  e.count = 9;
  ASSERT_TRUE(decode(h->get(), e).ok());
  EXPECT_FALSE(e.short_.has_value());
  EXPECT_EQ(e.count, 5);
}

TEST(GeneratedCodeTest, DecodeOfUnvalidatedInputFailsCleanly) {
  const std::string cases[] = {
      mp(json::array()),                                     // not a map
      mp({{"short", "s"}}),                                  // required field missing
      mp({{"req", 1}}),                                      // wrong type
      mp({{"req", "r"}, {"small", 1LL << 40}}),              // int32 out of range
      mp({{"req", "r"}, {"color", "purple"}}),               // unknown enum value
      mp({{"req", "r"}, {"matrix", {1}}}),                   // item of the wrong type
      mp({{"req", "r"}, {"inner", {{"note", "x"}}}}),        // nested required missing
      mp({{"req", "r"}, {"big", 18446744073709551615ULL}}),  // beyond int64
  };
  for (const std::string& bytes : cases) {
    auto h = kai::schema::unpack(bytes);
    ASSERT_TRUE(h.ok());
    Everything e;
    const Status s = decode(h->get(), e);
    EXPECT_EQ(s.code(), StatusCode::invalid_argument) << s.to_string();
  }
  // Unknown keys and nil are skipped by decode (validation is where they are refused).
  auto h = kai::schema::unpack(mp({{"req", "r"}, {"zzz", 1}, {"short", nullptr}}));
  ASSERT_TRUE(h.ok());
  Everything e;
  EXPECT_TRUE(decode(h->get(), e).ok());
}

TEST(GeneratedCodeTest, EnumStrings) {
  EXPECT_EQ(to_string(Color::red), "red");
  EXPECT_EQ(to_string(Everything::Mode::fast_desc), "-fast");
  Color c{};
  EXPECT_TRUE(from_string("blue", c));
  EXPECT_EQ(c, Color::blue);
  EXPECT_FALSE(from_string("Blue", c));
  EXPECT_EQ(c, Color::blue);
}

TEST(GeneratedCodeTest, OperationTagsAndDescriptors) {
  static_assert(std::is_same_v<ThingCreate::Request, Everything>);
  static_assert(std::is_same_v<ThingGet::Reply, Everything>);
  static_assert(std::is_same_v<ThingGetRequest, ThingGet::Request>);
  static_assert(std::is_same_v<ThingDelete::Reply, kai::testmsg::common::Empty>);
  static_assert(ThingCreate::name == "thing.create");
  static_assert(ThingCreate::service == "testsvc");
  static_assert(ThingCreate::write && !ThingGet::write);
  static_assert(std::tuple_size_v<Operations> == 7);  // 6 own + blob.echo from common.yaml
  static_assert(std::is_same_v<std::tuple_element_t<6, Operations>, BlobEcho>);
  static_assert(std::is_same_v<BlobEcho::Request, kai::testmsg::common::BlobEchoRequest>);
  static_assert(std::tuple_size_v<Events> == 1);
  static_assert(ThingChangedEvent::topic == "testsvc.thing.changed");

  const kai::schema::OperationDesc& create = ThingCreate::desc();
  EXPECT_EQ(create.name, "thing.create");
  EXPECT_EQ(create.service, "testsvc");
  EXPECT_EQ(create.request, &Everything::desc());
  EXPECT_EQ(create.scope, "testsvc:write");
  EXPECT_TRUE(create.declares(StatusCode::already_exists));
  EXPECT_FALSE(create.declares(StatusCode::not_found));
  ASSERT_NE(create.http, nullptr);
  EXPECT_EQ(create.http->method, "POST");
  EXPECT_EQ(create.http->status, 201);
  const kai::schema::OperationDesc& get = ThingGet::desc();
  EXPECT_EQ(get.scope, "testsvc:read");
  ASSERT_NE(get.http, nullptr);
  ASSERT_EQ(get.http->path_params.size(), 1u);
  EXPECT_EQ(get.http->path_params[0], "id");
  EXPECT_TRUE(ThingList::desc().http->list);
  EXPECT_EQ(ThingPing::desc().http, nullptr);
  EXPECT_TRUE(BlobEcho::desc().standard);
  EXPECT_EQ(BlobEcho::desc().service, "testsvc");
  EXPECT_EQ(ThingChangedEvent::event().topic, "testsvc.thing.changed");
  EXPECT_EQ(ThingChangedEvent::event().message, &ThingChangedEvent::desc());
}

TEST(GeneratedCodeTest, Registry) {
  namespace reg = kai::schema::testdata;
  ASSERT_EQ(reg::all_services().size(), 1u);
  EXPECT_EQ(reg::find_service("testsvc"), &service_desc());
  EXPECT_EQ(reg::find_service("nope"), nullptr);
  EXPECT_EQ(reg::find_operation("testsvc", "thing.get"), &ThingGet::desc());
  EXPECT_EQ(reg::find_operation("testsvc", "blob.echo"), &BlobEcho::desc());
  EXPECT_EQ(reg::find_operation("testsvc", "nope"), nullptr);
  EXPECT_EQ(reg::find_event("testsvc.thing.changed"), &ThingChangedEvent::event());
  EXPECT_EQ(reg::find_message("testsvc.Everything"), &Everything::desc());
  EXPECT_EQ(reg::find_message("common.Error"), &kai::testmsg::common::Error::desc());
  EXPECT_EQ(service_desc().operations.size(), 7u);
}

TEST(GeneratedCodeTest, DescriptorsCarryTheSchema) {
  const kai::schema::MessageDesc& d = Everything::desc();
  EXPECT_EQ(d.full_name, "testsvc.Everything");
  const kai::schema::FieldDesc* code = d.find("code");
  ASSERT_NE(code, nullptr);
  ASSERT_NE(code->pattern, nullptr);
  EXPECT_TRUE(code->pattern->compile().ok());
  EXPECT_EQ(code->example_json, "\"AB123\"");
  const kai::schema::FieldDesc* count = d.find("count");
  ASSERT_NE(count, nullptr);
  EXPECT_EQ(count->default_json, "5");
  EXPECT_EQ(count->min_int, 0);
  EXPECT_EQ(d.find("phone")->pii, kai::schema::PiiKind::phone);
  EXPECT_EQ(d.find("matrix")->items->items->type, kai::schema::FieldType::int32);
  EXPECT_EQ(d.find("mode")->enumeration->full_name, "testsvc.Everything.Mode");
  EXPECT_EQ(d.find("class")->description, "A field whose name is a C++ keyword.");
}

TEST(PatternTest, BrokenPatternReportsInternal) {
  static const kai::schema::Pattern broken("^([a-z]$");
  EXPECT_EQ(broken.compile().code(), StatusCode::internal);
  EXPECT_FALSE(broken.matches("a"));
}

}  // namespace
}  // namespace kai::testmsg::testsvc

namespace kai::schema::codec {
namespace {

TEST(CodecTest, ContainersOfUnknownSizeEndAsPackMapAndPackArrayWriteThem) {
  for (const Container kind : {Container::array, Container::map}) {
    for (std::uint32_t size : {0u, 1u, 15u, 16u, 65535u, 65536u}) {
      std::string expected = "\xc3";  // something before the container stays
      StringSink expected_sink(expected);
      Packer expected_pk(expected_sink);
      std::string out = "\xc3";
      const std::size_t at = begin_container_of_unknown_size(out, kind);
      if (kind == Container::map) {
        expected_pk.pack_map(size);
      } else {
        expected_pk.pack_array(size);
      }
      const std::uint32_t elements = kind == Container::map ? 2 * size : size;
      for (std::uint32_t i = 0; i < elements; ++i) {
        expected_pk.pack_nil();
        out.push_back('\xc0');
      }
      set_container_size(out, at, kind, size);
      EXPECT_EQ(out, expected) << (kind == Container::map ? "map of " : "array of ") << size;
    }
  }
}

TEST(CodecTest, NestedContainersOfUnknownSizeAreSetInnerFirst) {
  std::string expected;
  StringSink expected_sink(expected);
  Packer expected_pk(expected_sink);
  expected_pk.pack_map(1);
  expected_pk.pack_nil();
  expected_pk.pack_array(2);
  expected_pk.pack_true();
  expected_pk.pack_false();
  std::string out;
  const std::size_t map_at = begin_container_of_unknown_size(out, Container::map);
  out.push_back('\xc0');
  const std::size_t array_at = begin_container_of_unknown_size(out, Container::array);
  out.append("\xc3\xc2");
  set_container_size(out, array_at, Container::array, 2);
  set_container_size(out, map_at, Container::map, 1);
  EXPECT_EQ(out, expected);
}

}  // namespace
}  // namespace kai::schema::codec
