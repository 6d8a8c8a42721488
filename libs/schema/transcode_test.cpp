#include "schema/transcode.hpp"

#include <string>

#include <gtest/gtest.h>

#include "common/time.hpp"
#include "schema/test_util.hpp"
#include "schema_testdata/testsvc.hpp"

namespace kai::schema {
namespace {

using kai::testmsg::testsvc::Everything;
using json = nlohmann::ordered_json;
using test::mp;
using namespace std::string_literals;

const MessageDesc& everything() {
  return Everything::desc();
}

// JSON -> MessagePack, then decoded to the generated type.
Everything from_json(std::string_view text) {
  auto r = json_to_msgpack(text, everything());
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().to_string();
  Everything e;
  if (!r.ok()) return e;
  auto h = unpack(*r);
  EXPECT_TRUE(h.ok());
  EXPECT_TRUE(decode(h->get(), e).ok());
  return e;
}

Status json_error(std::string_view text, const JsonLimits& limits = {}) {
  auto r = json_to_msgpack(text, everything(), limits);
  return r.status();
}

// Rendered from the bytes (the gateway's way) and from the unpacked object: the same JSON.
std::string to_json(const std::string& bytes, bool mask = false) {
  std::string out;
  const Status s = msgpack_to_json(bytes, everything(), {.mask_pii = mask}, out);
  EXPECT_TRUE(s.ok()) << s.to_string();
  auto h = unpack(bytes);
  EXPECT_TRUE(h.ok());
  std::string from_object;
  EXPECT_TRUE(msgpack_to_json(h->get(), everything(), {.mask_pii = mask}, from_object).ok());
  EXPECT_EQ(from_object, out);
  return out;
}

TEST(JsonToMsgpackTest, ConvertsEveryType) {
  const Everything e = from_json(R"({
    "req": "凯旋", "short": "ab", "code": "AB123", "small": -3, "big": 9007199254740993,
    "price": 123456, "ratio": 1.25, "flag": true, "day": "2024-02-29",
    "at": "2024-06-30T08:00:00.123+08:00", "color": "red", "mode": "-fast",
    "blob": "AAEC/w==", "inner": {"name": "n", "deeper": {"level": 2}},
    "tags": ["a", "b"], "matrix": [[1, 2], []], "flags": [false], "class": "k",
    "greeting": "hi"
  })");
  EXPECT_EQ(e.req, "凯旋");
  EXPECT_EQ(e.big, 9007199254740993LL);  // beyond double precision, exact
  EXPECT_EQ(e.price, 123456);
  EXPECT_EQ(e.ratio, 1.25);
  EXPECT_EQ(e.at, *parse_rfc3339("2024-06-30T00:00:00.123Z"));
  EXPECT_EQ(e.mode, Everything::Mode::fast_desc);
  EXPECT_EQ(e.blob, "\x00\x01\x02\xff"s);
  EXPECT_EQ(e.inner->deeper->level, 2);
  EXPECT_EQ(e.matrix, (std::vector<std::vector<std::int32_t>>{{1, 2}, {}}));
  EXPECT_EQ(e.greeting, "hi");
  EXPECT_EQ(e.count, 5);  // default
}

TEST(JsonToMsgpackTest, NullIsAbsent) {
  auto r = json_to_msgpack(R"({"req":"x","short":null,"inner":null})", everything());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(*r, mp({{"req", "x"}}));
  EXPECT_EQ(json_error(R"({"req":null})").field(), "req");
  EXPECT_EQ(json_error(R"({"req":"x","tags":["a",null]})").field(), "tags[1]");
}

TEST(JsonToMsgpackTest, OutputIsCompactMessagePack) {
  // Container headers are the smallest encoding: fixarray up to 15 items, array16 from 16.
  const MessageDesc& reply = kai::testmsg::testsvc::ThingListReply::desc();
  for (int n : {0, 1, 15, 16, 17}) {
    json items = json::array();
    for (int i = 0; i < n; ++i)
      items.push_back({{"req", "x"}});
    const json doc = {{"items", items}};
    auto r = json_to_msgpack(doc.dump(), reply);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(*r, mp(doc)) << n;
  }
}

TEST(JsonToMsgpackTest, RefusesNumbersThatDoNotFit) {
  EXPECT_EQ(json_error(R"({"req":"x","small":1.0})").field(), "small");
  EXPECT_EQ(json_error(R"({"req":"x","small":1e2})").field(), "small");
  EXPECT_EQ(json_error(R"({"req":"x","small":2147483648})").field(), "small");
  EXPECT_EQ(json_error(R"({"req":"x","big":9223372036854775808})").field(), "big");
  EXPECT_EQ(json_error(R"({"req":"x","big":123456789012345678901234567890})").field(), "big");
  const Status money = json_error(R"({"req":"x","price":12.5})");
  EXPECT_EQ(money.field(), "price");
  EXPECT_NE(money.message().find("fen"), std::string::npos);
  EXPECT_EQ(json_error(R"({"req":"x","price":"12"})").field(), "price");
  EXPECT_EQ(json_error(R"({"req":"x","ratio":"1.5"})").field(), "ratio");
  EXPECT_TRUE(json_error(R"({"req":"x","ratio":2})").ok());
}

TEST(JsonToMsgpackTest, ConstraintsAreValidatedWithPaths) {
  EXPECT_EQ(json_error(R"({"req":"x","small":11})").field(), "small");
  EXPECT_EQ(json_error(R"({"req":"x","code":"ab"})").field(), "code");
  EXPECT_EQ(json_error(R"({"req":"x","inners":[{"name":"a"},{"name":""}]})").field(),
            "inners[1].name");
  EXPECT_EQ(json_error(R"({"req":"x","inner":{"name":"a","deeper":{"level":"1"}}})").field(),
            "inner.deeper.level");
  EXPECT_EQ(json_error(R"({"short":"ab"})").field(), "req");
  EXPECT_EQ(json_error(R"({"req":"x","color":"pink"})").field(), "color");
  EXPECT_EQ(json_error(R"({"req":"x","day":"2023-02-29"})").field(), "day");
}

TEST(JsonToMsgpackTest, UnknownDuplicateAndWronglyTypedMembers) {
  EXPECT_EQ(json_error(R"({"req":"x","nope":1})").field(), "nope");
  EXPECT_EQ(json_error(R"({"req":"x","inner":{"name":"a","nope":1}})").field(), "inner.nope");
  const Status dup = json_error(R"({"req":"x","req":"y"})");
  EXPECT_EQ(dup.field(), "req");
  EXPECT_NE(dup.message().find("duplicate"), std::string::npos);
  EXPECT_EQ(json_error(R"({"req":"x","inner":"n"})").field(), "inner");
  EXPECT_EQ(json_error(R"({"req":"x","tags":"a"})").field(), "tags");
  EXPECT_EQ(json_error(R"({"req":"x","flag":"true"})").field(), "flag");
  EXPECT_EQ(json_error(R"({"req":"x","tags":[1]})").field(), "tags[0]");
  EXPECT_EQ(json_error(R"({"req":"x","inners":[{"name":"a"},{"name":"b","deeper":[]}]})").field(),
            "inners[1].deeper");
  EXPECT_EQ(json_error(R"({"req":"x","blob":"***"})").field(), "blob");
}

TEST(JsonToMsgpackTest, Timestamps) {
  EXPECT_EQ(from_json(R"({"req":"x","at":"1970-01-01T00:00:00Z"})").at, 0);
  EXPECT_EQ(json_error(R"({"req":"x","at":1700000000000})").field(), "at");
  EXPECT_EQ(json_error(R"({"req":"x","at":"2024-06-30"})").field(), "at");
  EXPECT_EQ(json_error(R"({"req":"x","at":"2024-13-01T00:00:00Z"})").field(), "at");
}

TEST(JsonToMsgpackTest, MalformedJson) {
  for (const char* text : {"", "{", "[]", "\"x\"", "null", "{\"req\":\"x\"} {}", "{'req':'x'}",
                           "{\"req\":\"x\",}", "{\"req\":\"x\"}x", "{\"req\":NaN}"}) {
    const Status s = json_error(text);
    EXPECT_EQ(s.code(), StatusCode::invalid_argument) << text;
  }
}

TEST(JsonToMsgpackTest, InvalidUtf8) {
  EXPECT_FALSE(json_error("{\"req\":\"ok\xff\"}").ok());
  EXPECT_FALSE(json_error("{\"req\":\"\xed\xa0\x80\"}").ok());
  EXPECT_FALSE(json_error(R"({"req":"\ud800"})").ok());  // lone surrogate escape
  EXPECT_TRUE(json_error(R"({"req":"\u51ef\ud83d\ude00"})").ok());
  EXPECT_FALSE(json_error("{\"re\xff\":\"x\"}").ok());
}

TEST(JsonToMsgpackTest, DeepNestingIsRefusedWhileParsing) {
  // 100000 '[' must neither recurse nor allocate per level: refused at the first wrong token.
  const std::string brackets(100000, '[');
  EXPECT_FALSE(json_error(brackets).ok());
  EXPECT_FALSE(json_error(R"({"req":"x","matrix":)" + brackets).ok());
  const std::string objects = R"({"req":"x","inner":)" + std::string(100000, '{');
  EXPECT_FALSE(json_error(objects).ok());
  // Depth limit within what the schema allows.
  JsonLimits limits;
  limits.max_depth = 2;
  const Status s = json_error(R"({"req":"x","inner":{"name":"a","deeper":{"level":1}}})", limits);
  EXPECT_EQ(s.code(), StatusCode::invalid_argument);
  EXPECT_NE(s.message().find("deep"), std::string::npos);
  EXPECT_TRUE(json_error(R"({"req":"x","inner":{"name":"a"}})", limits).ok());
}

TEST(JsonToMsgpackTest, SizeLimits) {
  JsonLimits limits;
  limits.max_bytes = 16;
  EXPECT_FALSE(json_error(R"({"req":"xxxxxxxxxxxx"})", limits).ok());
  limits = JsonLimits{};
  limits.max_items = 2;
  EXPECT_FALSE(json_error(R"({"req":"x","flags":[true,true,true]})", limits).ok());
  // Oversize string for the field.
  EXPECT_EQ(json_error(R"({"req":")" + std::string(21, 'a') + "\"}").field(), "req");
}

TEST(ParamsToMsgpackTest, TypesEachParameter) {
  const MessageDesc& list = kai::testmsg::testsvc::ThingListRequest::desc();
  auto r = params_to_msgpack({{"limit", "20"},
                              {"color", "red"},
                              {"since", "2024-01-01T00:00:00Z"},
                              {"flag", "false"},
                              {"ratio", "0.5"},
                              {"day", "2024-01-31"},
                              {"tags", "a"},
                              {"tags", "b"},
                              {"blob", "AQI="}},
                             list);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  kai::testmsg::testsvc::ThingListRequest req;
  auto h = unpack(*r);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(decode(h->get(), req).ok());
  EXPECT_EQ(req.limit, 20);
  EXPECT_EQ(req.color, kai::testmsg::testsvc::Color::red);
  EXPECT_EQ(req.since, *parse_rfc3339("2024-01-01T00:00:00Z"));
  EXPECT_EQ(req.flag, false);
  EXPECT_EQ(req.ratio, 0.5);
  EXPECT_EQ(req.day, "2024-01-31");
  EXPECT_EQ(req.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(req.blob, "\x01\x02"s);
  EXPECT_FALSE(req.cursor.has_value());
}

TEST(ParamsToMsgpackTest, RefusesBadParameters) {
  const MessageDesc& list = kai::testmsg::testsvc::ThingListRequest::desc();
  auto field_of = [&](const Params& p) { return params_to_msgpack(p, list).status().field(); };
  EXPECT_EQ(field_of({{"nope", "1"}}), "nope");
  EXPECT_EQ(field_of({{"limit", "1"}, {"limit", "2"}}), "limit");
  EXPECT_EQ(field_of({{"limit", "x"}}), "limit");
  EXPECT_EQ(field_of({{"limit", "1.0"}}), "limit");
  EXPECT_EQ(field_of({{"limit", " 1"}}), "limit");
  EXPECT_EQ(field_of({{"limit", ""}}), "limit");
  EXPECT_EQ(field_of({{"limit", "99999999999999999999"}}), "limit");
  EXPECT_EQ(field_of({{"limit", "51"}}), "limit");  // max 50
  EXPECT_EQ(field_of({{"flag", "yes"}}), "flag");
  EXPECT_EQ(field_of({{"since", "yesterday"}}), "since");
  EXPECT_EQ(field_of({{"ratio", "nan"}}), "ratio");
  EXPECT_EQ(field_of({{"color", "pink"}}), "color");
  EXPECT_EQ(field_of({{"tags", "a"}, {"tags", "toolong"}}), "tags[1]");
  EXPECT_EQ(field_of({{"tags", "a"}, {"tags", "b"}, {"tags", "c"}, {"tags", "d"}}), "tags");
  EXPECT_EQ(field_of({{"cursor", "\xff"}}), "cursor");
  // A message-typed field cannot be a parameter.
  EXPECT_EQ(params_to_msgpack({{"req", "x"}, {"inner", "y"}}, everything()).status().field(),
            "inner");
}

TEST(ParamsToMsgpackTest, PathParameters) {
  const MessageDesc& get = kai::testmsg::testsvc::ThingGetRequest::desc();
  auto r = params_to_msgpack({{"id", "42"}}, get);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, mp({{"id", 42}}));
  EXPECT_EQ(params_to_msgpack({{"id", "0"}}, get).status().field(), "id");
  EXPECT_EQ(params_to_msgpack({}, get).status().field(), "id");
}

TEST(RequestToMsgpackTest, MergesPathAndBody) {
  const MessageDesc& update = kai::testmsg::testsvc::ThingUpdateRequest::desc();
  auto r = request_to_msgpack(update, {{"id", "7"}}, R"({"req":"new","inner":{"name":"n"}})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(*r, mp({{"id", 7}, {"req", "new"}, {"inner", {{"name", "n"}}}}));
  // Empty body: the path alone.
  auto empty = request_to_msgpack(update, {{"id", "7"}}, " \n");
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_EQ(*empty, mp({{"id", 7}}));
  // The same field in both places.
  const Status both = request_to_msgpack(update, {{"id", "7"}}, R"({"id":8})").status();
  EXPECT_EQ(both.field(), "id");
  EXPECT_NE(both.message().find("both"), std::string::npos);
  // The merged request is validated as a whole.
  EXPECT_EQ(request_to_msgpack(update, {}, R"({"req":"x"})").status().field(), "id");
  EXPECT_EQ(request_to_msgpack(update, {{"id", "7"}}, R"({"req":""})").status().field(), "req");
  EXPECT_FALSE(request_to_msgpack(update, {{"id", "7"}}, "[]").ok());
}

TEST(MsgpackToJsonTest, RendersEveryType) {
  const std::string bytes = mp({{"req", "凯\"\n"},
                                {"small", -3},
                                {"big", 9223372036854775807LL},
                                {"ratio", 0.1},
                                {"flag", true},
                                {"day", "2024-02-29"},
                                {"at", 1719705600123LL},
                                {"color", "red"},
                                {"blob", json::binary({0, 1, 2, 255})},
                                {"inner", {{"name", "n"}}},
                                {"matrix", {{1}, json::array()}},
                                {"count", 5}});
  EXPECT_EQ(to_json(bytes),
            R"({"req":"凯\"\n","small":-3,"big":9223372036854775807,"ratio":0.1,"flag":true,)"
            R"("day":"2024-02-29","at":"2024-06-30T00:00:00.123Z","color":"red","blob":"AAEC/w==",)"
            R"("inner":{"name":"n"},"matrix":[[1],[]],"count":5})");
}

TEST(MsgpackToJsonTest, TimestampsInUtc) {
  EXPECT_EQ(to_json(mp({{"req", "x"}, {"at", 0}})), R"({"req":"x","at":"1970-01-01T00:00:00Z"})");
  EXPECT_EQ(to_json(mp({{"req", "x"}, {"at", -1}})),
            R"({"req":"x","at":"1969-12-31T23:59:59.999Z"})");
  EXPECT_EQ(to_json(mp({{"req", "x"}, {"at", 253402300799999LL}})),
            R"({"req":"x","at":"9999-12-31T23:59:59.999Z"})");
  char buf[32];
  EXPECT_EQ(format_timestamp(253402300800000LL, buf), 0u);
  for (std::int64_t t : {0LL, 1LL, -86400000LL, 951782400000LL, 1719705600123LL}) {
    const std::size_t n = format_timestamp(t, buf);
    EXPECT_EQ(std::string(buf, n), format_rfc3339(t));
    EXPECT_EQ(parse_rfc3339(std::string_view(buf, n)), t);
  }
}

TEST(MsgpackToJsonTest, TimestampsOfTheSameAndOtherDaysInAnyOrder) {
  // The date part is remembered between calls: same day, next day, back again, far away.
  const std::int64_t day = 86'400'000;
  const std::int64_t base = 1719705600123LL;
  char buf[32];
  for (std::int64_t t : {base, base + 1000, base + day, base + 5, base - day - 1, base + 400 * day,
                         base + 400 * day + 59'999, std::int64_t{-1}, std::int64_t{0}, base}) {
    const std::size_t n = format_timestamp(t, buf);
    EXPECT_EQ(std::string(buf, n), format_rfc3339(t)) << t;
  }
}

TEST(MsgpackToJsonTest, MasksPiiOnlyWhenAsked) {
  const std::string bytes = mp({{"req", "x"},
                                {"phone", "13812345678"},
                                {"id_number", "330104199001011234"},
                                {"person", "张三丰"},
                                {"address", "浙江省杭州市上城区凯旋街道"},
                                {"email", "zhang@example.com"}});
  EXPECT_EQ(to_json(bytes, true),
            R"({"req":"x","phone":"138****5678","id_number":"330***********1234",)"
            R"("person":"张**","address":"浙江省杭州市***","email":"z***@example.com"})");
  EXPECT_EQ(
      to_json(bytes, false),
      R"({"req":"x","phone":"13812345678","id_number":"330104199001011234",)"
      R"("person":"张三丰","address":"浙江省杭州市上城区凯旋街道","email":"zhang@example.com"})");
}

TEST(MsgpackToJsonTest, UnknownFieldsAreSkippedWrongTypesRefused) {
  EXPECT_EQ(to_json(mp({{"req", "x"}, {"added_later", {1, 2}}, {"short", nullptr}})),
            R"({"req":"x"})");
  auto h = unpack(mp({{"req", "x"}, {"inner", {{"name", 5}}}}));
  ASSERT_TRUE(h.ok());
  std::string out = "prefix";
  const Status s = msgpack_to_json(h->get(), everything(), {}, out);
  EXPECT_EQ(s.field(), "inner.name");
  EXPECT_EQ(out, "prefix");  // left as it was
  auto ts = unpack(mp({{"req", "x"}, {"at", 253402300800000LL}}));
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(msgpack_to_json(ts->get(), everything(), {}, out).field(), "at");
  auto dup = unpack("\x82\xa3req\xa1x\xa3req\xa1y"s);
  ASSERT_TRUE(dup.ok());
  EXPECT_FALSE(msgpack_to_json(dup->get(), everything(), {}, out).ok());
}

TEST(MsgpackToJsonTest, UnknownFieldsOfAnyShapeArePassedOverInTheBytes) {
  // An unknown field holding nested containers, and a nil, between known fields.
  const std::string bytes =
      "\x84\xa3req\xa1x\xa3new\x92\x81\xa1k\x93\x01\x02\xc0\xc4\x01\x00"
      "\xa4"
      "flag\xc0\xa5small\x05"s;
  EXPECT_EQ(to_json(bytes), R"({"req":"x","small":5})");
}

TEST(MsgpackToJsonTest, DamagedBytesAreRefusedAndOutKeptAsItWas) {
  const std::string good = mp({{"req", "x"}, {"inner", {{"name", "n"}}}, {"tags", {"a", "b"}}});
  std::string out = "prefix";
  ASSERT_TRUE(msgpack_to_json(good, everything(), {}, out).ok());
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    out = "prefix";
    const Status s = msgpack_to_json(good.substr(0, cut), everything(), {}, out);
    EXPECT_EQ(s.code(), StatusCode::invalid_argument) << cut;
    EXPECT_NE(s.message().find("malformed"), std::string::npos) << s.to_string();
    EXPECT_EQ(out, "prefix");
  }
  const Status trailing = msgpack_to_json(good + "\x01", everything(), {}, out);
  EXPECT_EQ(trailing.code(), StatusCode::invalid_argument);
  EXPECT_NE(trailing.message().find("trailing"), std::string::npos);
  EXPECT_EQ(out, "prefix");
  // A list whose header claims more items than the bytes hold.
  const Status lying =
      msgpack_to_json("\x82\xa3req\xa1x\xa4tags\xdd\x00\x01\x00\x00"s, everything(), {}, out);
  EXPECT_EQ(lying.code(), StatusCode::invalid_argument);
}

TEST(MsgpackToJsonTest, AppendsToOut) {
  auto h = unpack(mp({{"req", "x"}}));
  ASSERT_TRUE(h.ok());
  std::string out = "[";
  ASSERT_TRUE(msgpack_to_json(h->get(), everything(), {}, out).ok());
  out += ",";
  ASSERT_TRUE(msgpack_to_json(h->get(), everything(), {}, out).ok());
  EXPECT_EQ(out, R"([{"req":"x"},{"req":"x"})");
}

TEST(GenericMsgpackToJsonTest, RendersAnything) {
  // {"a":[1,-2,1.5,true,nil,"s",bin(01 02)], 7: {}, true: "t", nil: 0} + ext
  auto h = unpack(
      "\x85\xa1\x61\x97\x01\xfe\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xc3\xc0\xa1s"
      "\xc4\x02\x01\x02\x07\x80\xc3\xa1t\xc0\x00\xa1\x65\xd4\x05\xff"s);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  std::string out;
  ASSERT_TRUE(msgpack_to_json(h->get(), out).ok());
  EXPECT_EQ(out, R"({"a":[1,-2,1.5,true,null,"s","AQI="],"7":{},"true":"t","null":0,"e":"/w=="})");
}

TEST(GenericMsgpackToJsonTest, RefusesWhatJsonCannotSay) {
  std::string deep(60, '\x91');
  deep.push_back('\x01');
  Limits limits;
  limits.max_depth = 100;
  auto h = unpack(deep, limits);
  ASSERT_TRUE(h.ok());
  std::string out = "x";
  EXPECT_FALSE(msgpack_to_json(h->get(), out).ok());
  EXPECT_EQ(out, "x");
  auto array_key = unpack("\x81\x90\x01"s);  // {[]: 1}
  ASSERT_TRUE(array_key.ok());
  EXPECT_FALSE(msgpack_to_json(array_key->get(), out).ok());
}

TEST(GenericMsgpackToJsonTest, InvalidUtf8BecomesReplacementCharacters) {
  auto h = unpack("\xa2\xff\x41"s);
  ASSERT_TRUE(h.ok());
  std::string out;
  ASSERT_TRUE(msgpack_to_json(h->get(), out).ok());
  EXPECT_EQ(out,
            "\"\xEF\xBF\xBD"
            "A\"");
}

}  // namespace
}  // namespace kai::schema
