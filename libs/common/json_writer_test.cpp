#include "common/json_writer.hpp"

#include <gtest/gtest.h>

namespace kai {
namespace {

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

}  // namespace
}  // namespace kai
