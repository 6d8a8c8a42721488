#include "store/placeholders.hpp"

#include <gtest/gtest.h>

namespace kai::store::detail {
namespace {

TEST(PlaceholdersTest, NumbersEachQuestionMark) {
  const auto r = rewrite_placeholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?)");
  EXPECT_EQ(r.sql, "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)");
  EXPECT_EQ(r.param_count, 3);
}

TEST(PlaceholdersTest, NoPlaceholders) {
  const auto r = rewrite_placeholders("SELECT 1");
  EXPECT_EQ(r.sql, "SELECT 1");
  EXPECT_EQ(r.param_count, 0);
  EXPECT_EQ(rewrite_placeholders("").sql, "");
}

TEST(PlaceholdersTest, LeavesLiteralsIdentifiersAndCommentsAlone) {
  EXPECT_EQ(rewrite_placeholders("SELECT '?', ? -- what?\n, ?").sql,
            "SELECT '?', $1 -- what?\n, $2");
  EXPECT_EQ(rewrite_placeholders("SELECT 'it''s ?', ?").sql, "SELECT 'it''s ?', $1");
  EXPECT_EQ(rewrite_placeholders("SELECT \"we?ird\" FROM t WHERE x = ?").sql,
            "SELECT \"we?ird\" FROM t WHERE x = $1");
  EXPECT_EQ(rewrite_placeholders("SELECT /* a ? /* nested ? */ b ? */ ?").sql,
            "SELECT /* a ? /* nested ? */ b ? */ $1");
  EXPECT_EQ(rewrite_placeholders("SELECT E'\\'?', ?").sql, "SELECT E'\\'?', $1");
  EXPECT_EQ(rewrite_placeholders("SELECT $$ ? $$, $tag$ ? $ ? $tag$, ?").sql,
            "SELECT $$ ? $$, $tag$ ? $ ? $tag$, $1");
}

TEST(PlaceholdersTest, BackslashIsPlainInStandardStrings) {
  // standard_conforming_strings: 'a\' is a complete literal.
  EXPECT_EQ(rewrite_placeholders("SELECT 'a\\', ?").sql, "SELECT 'a\\', $1");
}

TEST(PlaceholdersTest, DollarDigitsAreNotAQuote) {
  // "$1" cannot open a dollar quote, so the later "?" is still a placeholder.
  EXPECT_EQ(rewrite_placeholders("SELECT x$1$, ?").sql, "SELECT x$1$, $1");
  EXPECT_EQ(rewrite_placeholders("SELECT 1 $2$ ?").sql, "SELECT 1 $2$ $1");
}

TEST(PlaceholdersTest, UnterminatedConstructsDoNotOverrun) {
  EXPECT_EQ(rewrite_placeholders("SELECT '?").sql, "SELECT '?");
  EXPECT_EQ(rewrite_placeholders("SELECT \"?").sql, "SELECT \"?");
  EXPECT_EQ(rewrite_placeholders("SELECT /* ?").sql, "SELECT /* ?");
  EXPECT_EQ(rewrite_placeholders("SELECT $x$ ?").sql, "SELECT $x$ ?");
  EXPECT_EQ(rewrite_placeholders("SELECT E'\\").sql, "SELECT E'\\");
  EXPECT_EQ(rewrite_placeholders("?").sql, "$1");
  EXPECT_EQ(rewrite_placeholders("$").sql, "$");
}

}  // namespace
}  // namespace kai::store::detail
