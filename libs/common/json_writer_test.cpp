#include "common/json_writer.hpp"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace kai {
namespace {

// append_json_string one byte at a time, the obvious way: the reference for the fast one.
std::string reference_json_string(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t n = 0;
      for (std::size_t len = 2; len <= 4 && n == 0; ++len) {
        if (i + len <= s.size() && is_valid_utf8(s.substr(i, len))) n = len;
      }
      if (n == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out + "\"";
}

TEST(JsonWriterTest, NestedDocument) {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .key("name")
      .value("凯联盟")
      .key("count")
      .value(37)
      .key("tags")
      .begin_array()
      .value("a")
      .value(true)
      .null()
      .end_array()
      .key("empty")
      .begin_object()
      .end_object()
      .end_object();
  EXPECT_EQ(out, R"({"name":"凯联盟","count":37,"tags":["a",true,null],"empty":{}})");
}

TEST(JsonWriterTest, EscapesControlAndQuotes) {
  std::string out;
  append_json_string(out, std::string_view("a\"b\\c\n\x01", 7));
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001")");
}

TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharacter) {
  std::string out;
  append_json_string(out, "ok\xff\xc0\x80");
  EXPECT_EQ(out, "\"ok\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_TRUE(is_valid_utf8("凯旋"));
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(is_valid_utf8("\xe5\x87"));      // truncated
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));
}

// Runs of plain bytes are copied whole; every kind of byte that breaks a run is handled in the
// middle, at the start and at the end of a string, and the output is appended, not replaced.
TEST(JsonWriterTest, EscapesBetweenRunsOfPlainText) {
  std::string out = "prefix:";
  append_json_string(out, std::string_view("\t凯旋街道\x7f社区\"\xe5\x87"
                                           "end\\",
                                           27));
  EXPECT_EQ(out,
            "prefix:\"\\t凯旋街道\\u007f社区\\\"\xEF\xBF\xBD\xEF\xBF\xBD"
            "end\\\\\"");
  std::string empty;
  append_json_string(empty, "");
  EXPECT_EQ(empty, "\"\"");
}

TEST(JsonWriterTest, NonFiniteDoublesAreNull) {
  std::string out;
  JsonWriter(out)
      .begin_array()
      .value(1.5)
      .value(std::numeric_limits<double>::infinity())
      .end_array();
  EXPECT_EQ(out, "[1.5,null]");
}

TEST(JsonWriterTest, PlainKeysAreWrittenLikeEscapedOnes) {
  std::string plain, escaped;
  JsonWriter(plain)
      .begin_object()
      .plain_key("next_cursor")
      .value(1)
      .plain_key("a2")
      .null()
      .end_object();
  JsonWriter(escaped).begin_object().key("next_cursor").value(1).key("a2").null().end_object();
  EXPECT_EQ(plain, R"({"next_cursor":1,"a2":null})");
  EXPECT_EQ(plain, escaped);
}

TEST(JsonWriterTest, StringsMatchTheByteByByteReference) {
  // Random strings built from pieces that exercise every path of the eight-bytes-at-a-time copy:
  // long plain runs, each character that must be escaped, valid and broken UTF-8, at every
  // alignment, runs of three-byte characters.
  const std::vector<std::string> pieces = {
      "abcdefghijklmnop", "x", "0123456", "\"", "\\", "\n", "\t", std::string(1, '\0'), "\x1f",
      "\x7f", " ", "~", "凯旋街道", "é", "😀", "\xff", "\xc3", "\xe5\x87", "\xed\xa0\x80",
      "\xf4\x90\x80\x80",
      // the three-byte run's edges: E0 and ED checked in full, E1..EC and EE..EF by masks
      "\xe0\xa0\x80", "\xe0\x9f\xbf", "\xe1\xc0\x80", "\xec\xbf\x80", "\xee\x80\x80",
      "\xef\xbf\xbf", "\xef\x80"};
  std::mt19937 rng(20261126);
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> count(0, 24);
  for (int round = 0; round < 20'000; ++round) {
    std::string s;
    for (int k = count(rng); k > 0; --k)
      s += pieces[pick(rng)];
    std::string out;
    append_json_string(out, s);
    ASSERT_EQ(out, reference_json_string(s)) << "input of " << s.size() << " bytes";
  }
}

}  // namespace
}  // namespace kai
