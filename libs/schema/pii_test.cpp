#include "schema/pii.hpp"

#include <string>

#include <gtest/gtest.h>

namespace kai::schema {
namespace {

std::string mask(std::string_view v, PiiKind kind) {
  std::string scratch;
  return std::string(mask_pii(v, kind, scratch));
}

TEST(PiiTest, Phone) {
  EXPECT_EQ(mask("13812345678", PiiKind::phone), "138****5678");
  EXPECT_EQ(mask("+86 138 1234 5678", PiiKind::phone), "+86 1** **** 5678");
  EXPECT_EQ(mask("0571-8765432", PiiKind::phone), "057*-***5432");
  EXPECT_EQ(mask("1234567", PiiKind::phone), "*******");  // too short to keep anything
  EXPECT_EQ(mask("", PiiKind::phone), "");
}

TEST(PiiTest, IdNumber) {
  EXPECT_EQ(mask("330104199001011234", PiiKind::id_number), "330***********1234");
  EXPECT_EQ(mask("33010419900101123X", PiiKind::id_number), "330***********123X");
  EXPECT_EQ(mask("12345678", PiiKind::id_number), "********");
}

TEST(PiiTest, Name) {
  EXPECT_EQ(mask("张三丰", PiiKind::name), "张**");
  EXPECT_EQ(mask("张三", PiiKind::name), "张*");
  EXPECT_EQ(mask("张", PiiKind::name), "*");
  EXPECT_EQ(mask("Alice", PiiKind::name), "A****");
}

TEST(PiiTest, Address) {
  EXPECT_EQ(mask("浙江省杭州市上城区凯旋街道", PiiKind::address), "浙江省杭州市***");
  EXPECT_EQ(mask("凯旋路", PiiKind::address), "凯***");
  EXPECT_EQ(mask("", PiiKind::address), "");
}

TEST(PiiTest, Email) {
  EXPECT_EQ(mask("zhang@example.com", PiiKind::email), "z***@example.com");
  EXPECT_EQ(mask("@example.com", PiiKind::email), "***@example.com");
  EXPECT_EQ(mask("no-at-sign", PiiKind::email), "n***");
  EXPECT_EQ(mask("凯@例子.中国", PiiKind::email), "凯***@例子.中国");
}

TEST(PiiTest, NoneReturnsTheValueItself) {
  std::string scratch = "untouched";
  const std::string_view v = "13812345678";
  const std::string_view out = mask_pii(v, PiiKind::none, scratch);
  EXPECT_EQ(out.data(), v.data());
  EXPECT_EQ(scratch, "untouched");
}

TEST(PiiTest, InvalidUtf8NeverSplitsOrCrashes) {
  EXPECT_EQ(mask("\xff\xfe\xfd", PiiKind::name), "\xff**");
  EXPECT_EQ(mask("\xe5\x87", PiiKind::name), "\xe5*");
  EXPECT_EQ(mask("a\xe5\x87\xaf", PiiKind::name), "a*");
}

}  // namespace
}  // namespace kai::schema
