#include <gtest/gtest.h>

#include "auth/tokens.hpp"

namespace kai::auth {
namespace {

TokenEntry with_scopes(std::vector<std::string> scopes) {
  TokenEntry e;
  e.hash = hash_token("t");
  e.principal = "p";
  e.scopes = std::move(scopes);
  return e;
}

TEST(Scopes, EveryServiceHasReadAndWriteAndTheSpecialScopesExist) {
  for (const char* svc : {"membership", "clubs", "unitedfront", "training", "venture"}) {
    EXPECT_TRUE(validate_scope(std::string(svc) + ":read").ok()) << svc;
    EXPECT_TRUE(validate_scope(std::string(svc) + ":write").ok()) << svc;
  }
  EXPECT_TRUE(validate_scope("pii:read").ok());
  EXPECT_TRUE(validate_scope("audit:read").ok());
  EXPECT_TRUE(validate_scope("admin").ok());
  EXPECT_EQ(known_scopes().size(), 13u);
}

TEST(Scopes, UnknownScopesAreRefusedWithTheirName) {
  for (const char* bad : {"", "membership", "membership:delete", "pii:write", "audit:write",
                          "Admin", "admin ", "broker:read", "membership:read,clubs:read"}) {
    const Status s = validate_scope(bad);
    EXPECT_EQ(s.code(), StatusCode::invalid_argument) << bad;
    EXPECT_EQ(s.field(), "scopes");
    EXPECT_NE(s.message().find(std::string("'") + bad + "'"), std::string::npos) << s.message();
  }
}

TEST(Scopes, ParseScopesSplitsValidatesAndRefusesEmptyOrRepeatedItems) {
  auto ok = parse_scopes("membership:read,pii:read");
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(*ok, (std::vector<std::string>{"membership:read", "pii:read"}));
  EXPECT_FALSE(parse_scopes("").ok());
  EXPECT_FALSE(parse_scopes("admin,").ok());
  EXPECT_FALSE(parse_scopes(",admin").ok());
  EXPECT_FALSE(parse_scopes("admin,,pii:read").ok());
  EXPECT_FALSE(parse_scopes("admin, pii:read").ok());
  EXPECT_FALSE(parse_scopes("admin,admin").ok());
  const auto unknown = parse_scopes("clubs:read,clubs:admin");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("clubs:admin"), std::string::npos);
}

TEST(Scopes, AdminGrantsEverything) {
  const TokenEntry admin = with_scopes({"admin"});
  for (const std::string& s : known_scopes())
    EXPECT_TRUE(has_scope(admin, s)) << s;
}

TEST(Scopes, WriteImpliesReadOfTheSameServiceOnly) {
  const TokenEntry e = with_scopes({"clubs:write"});
  EXPECT_TRUE(has_scope(e, "clubs:write"));
  EXPECT_TRUE(has_scope(e, "clubs:read"));
  EXPECT_FALSE(has_scope(e, "membership:read"));
  EXPECT_FALSE(has_scope(e, "membership:write"));
  EXPECT_FALSE(has_scope(e, "pii:read"));
  EXPECT_FALSE(has_scope(e, "admin"));
  // A service whose name is a prefix of another's gains nothing from it.
  const TokenEntry prefix = with_scopes({"unitedfront:write"});
  EXPECT_FALSE(has_scope(prefix, "united:read"));
  EXPECT_FALSE(has_scope(prefix, "unitedfrontx:read"));
}

TEST(Scopes, ReadDoesNotImplyWriteAndSpecialScopesStandAlone) {
  const TokenEntry e = with_scopes({"membership:read", "pii:read"});
  EXPECT_TRUE(has_scope(e, "membership:read"));
  EXPECT_FALSE(has_scope(e, "membership:write"));
  EXPECT_TRUE(has_scope(e, "pii:read"));
  EXPECT_FALSE(has_scope(e, "audit:read"));
  EXPECT_FALSE(has_scope(e, "admin"));
  EXPECT_FALSE(has_scope(with_scopes({}), "membership:read"));
}

}  // namespace
}  // namespace kai::auth
