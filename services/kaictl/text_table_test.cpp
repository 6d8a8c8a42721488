#include "kaictl/text_table.hpp"

#include <gtest/gtest.h>

namespace kai::kaictl {
namespace {

TEST(TextTable, DisplayWidthCountsWideCharactersTwice) {
  EXPECT_EQ(display_width(""), 0u);
  EXPECT_EQ(display_width("admin"), 5u);
  EXPECT_EQ(display_width("凯商会"), 6u);
  EXPECT_EQ(display_width("凯尚e家"), 7u);
  EXPECT_EQ(display_width("ＡＢ"), 4u);       // fullwidth Latin
  EXPECT_EQ(display_width("e\xcc\x81"), 1u);  // e + combining acute accent
  EXPECT_EQ(display_width("\xff\xfe"), 2u);   // invalid bytes: one column each
  EXPECT_EQ(display_width("\xe5\x87"), 2u);   // truncated sequence
}

TEST(TextTable, ColumnsAlignOnTheWidestCell) {
  const std::string table = format_table({{"PRINCIPAL", "DEPARTMENT", "SCOPES"},
                                          {"ops", "-", "admin"},
                                          {"office", "联盟办公室", "membership:write"}});
  EXPECT_EQ(table,
            "PRINCIPAL  DEPARTMENT  SCOPES\n"
            "ops        -           admin\n"
            "office     联盟办公室  membership:write\n");
  EXPECT_EQ(format_table({}), "");
}

}  // namespace
}  // namespace kai::kaictl
