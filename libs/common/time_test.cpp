#include "common/time.hpp"

#include <gtest/gtest.h>

namespace kai {
namespace {

TEST(TimeTest, Rfc3339RoundTrip) {
  const UnixMillis t = 1'795'000'000'123;
  const std::string s = format_rfc3339_ms(t);
  EXPECT_EQ(s, "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(parse_rfc3339(s), t);
  EXPECT_EQ(format_rfc3339(1'795'000'000'000), "2026-11-18T11:06:40Z");
}

TEST(TimeTest, Rfc3339OffsetsAndRejections) {
  EXPECT_EQ(parse_rfc3339("2026-11-18T19:06:40+08:00"), 1'795'000'000'000);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59.5Z"), -500);
  EXPECT_EQ(parse_rfc3339("2026-02-30T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-11-18 08:26:40Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-11-18T08:26:40"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-11-18T08:26:40Zjunk"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-11-18T08:26:40."), std::nullopt);
}

TEST(TimeTest, DatesAndYearArithmetic) {
  auto d = parse_date("2014-03-01");
  ASSERT_TRUE(d);
  EXPECT_EQ(format_date(*d), "2014-03-01");
  EXPECT_EQ(format_date(add_years(*d, 5)), "2019-03-01");
  EXPECT_EQ(format_date(add_years(*parse_date("2016-02-29"), 5)), "2021-02-28");
  EXPECT_EQ(format_date(add_years(*parse_date("2016-02-29"), 4)), "2020-02-29");
  EXPECT_EQ(parse_date("2015-02-29"), std::nullopt);
  EXPECT_EQ(parse_date("2015-13-01"), std::nullopt);
  EXPECT_EQ(parse_date("15-01-01"), std::nullopt);
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
}

}  // namespace
}  // namespace kai
