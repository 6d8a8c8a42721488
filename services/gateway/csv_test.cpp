#include "gateway/csv.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "schema/all_services.hpp"
#include "schema/codec.hpp"
#include "schema/transcode.hpp"
#include "schema/unpack.hpp"

namespace kai::gateway {
namespace {

std::string cell(std::string_view v, bool text = true) {
  std::string out;
  append_csv_cell(out, v, text);
  return out;
}

TEST(CsvTest, QuotesOnlyWhatNeedsQuoting) {
  EXPECT_EQ(cell("plain"), "plain");
  EXPECT_EQ(cell("杭州凯旋"), "杭州凯旋");
  EXPECT_EQ(cell("a,b"), "\"a,b\"");
  EXPECT_EQ(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(cell("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(cell(" padded "), "\" padded \"");
  EXPECT_EQ(cell(""), "");
}

TEST(CsvTest, FormulasInTextCellsAreDefused) {
  EXPECT_EQ(cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  EXPECT_EQ(cell("+1"), "\"'+1\"");
  EXPECT_EQ(cell("-2"), "\"'-2\"");
  EXPECT_EQ(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
  EXPECT_EQ(cell("\tx"), "\"'\tx\"");
  // Numbers are not text: a negative amount stays a number.
  EXPECT_EQ(cell("-2", false), "-2");
}

TEST(CsvTest, RowsOfAListReplyFlattenNestedMessagesAndMaskPersonalData) {
  const schema::OperationDesc* op = schema::find_operation("membership", "organization.list");
  ASSERT_NE(op, nullptr);
  const schema::MessageDesc* item = op->reply->find("items")->items->message;
  const std::vector<CsvColumn> cols = csv_columns(*item);
  std::vector<std::string> headers;
  for (const CsvColumn& c : cols)
    headers.push_back(c.header);
  EXPECT_NE(std::find(headers.begin(), headers.end(), "contact.phone"), headers.end());
  EXPECT_NE(std::find(headers.begin(), headers.end(), "name"), headers.end());

  const std::string json = R"({"items":[{"id":7,"name":"=cmd|' /C calc'!A0","kind":"enterprise",
    "contact":{"name":"王丽","phone":"13812345678"},"tags":["a","b"],"version":1,
    "created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}]})";
  auto mp = schema::json_to_msgpack(json, *op->reply);
  ASSERT_TRUE(mp.ok()) << mp.status().to_string();
  auto h = schema::unpack(*mp);
  ASSERT_TRUE(h.ok());
  const msgpack::object* items = nullptr;
  for (const auto& kv : schema::codec::entries(h->get())) {
    if (schema::codec::key_of(kv.key) == "items") items = &kv.val;
  }
  ASSERT_NE(items, nullptr);

  std::string masked;
  ASSERT_TRUE(append_csv_rows(*items, cols, true, masked).ok());
  EXPECT_NE(masked.find("138****5678"), std::string::npos) << masked;
  EXPECT_EQ(masked.find("13812345678"), std::string::npos);
  EXPECT_NE(masked.find("\"'=cmd|' /C calc'!A0\""), std::string::npos) << masked;
  EXPECT_NE(masked.find("2026-01-02T03:04:05Z"), std::string::npos);
  EXPECT_NE(masked.find("a; b"), std::string::npos);
  EXPECT_EQ(masked.substr(masked.size() - 2), "\r\n");

  std::string clear;
  ASSERT_TRUE(append_csv_rows(*items, cols, false, clear).ok());
  EXPECT_NE(clear.find("13812345678"), std::string::npos);
}

}  // namespace
}  // namespace kai::gateway
