#include <set>

#include <gtest/gtest.h>

#include "auth/tokens.hpp"

namespace kai::auth {
namespace {

TEST(TokenCrypto, HashIsSha256InLowercaseHexOfKnownVectors) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(hash_token("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash_token(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hash_token("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(TokenCrypto, TokensHaveTheDocumentedShapeAndDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string t = generate_token();
    ASSERT_EQ(t.size(), 4u + 43u) << t;
    EXPECT_EQ(t.substr(0, 4), "kai_");
    for (char c : t.substr(4)) {
      const bool url_safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_';
      EXPECT_TRUE(url_safe) << t;
    }
    EXPECT_TRUE(seen.insert(t).second) << "repeated token " << t;
  }
}

TEST(TokenCrypto, FindMatchesThePlainTokenAgainstStoredHashes) {
  const std::string a = generate_token();
  const std::string b = generate_token();
  TokenSet set({{hash_token(a), "alice", "membership", {"membership:read"}, ""},
                {hash_token(b), "bob", "", {"admin"}, "2026-11-25T08:00:00Z"}});
  ASSERT_EQ(set.size(), 2u);
  const TokenEntry* found_a = set.find(a);
  ASSERT_NE(found_a, nullptr);
  EXPECT_EQ(found_a->principal, "alice");
  const TokenEntry* found_b = set.find(b);
  ASSERT_NE(found_b, nullptr);
  EXPECT_EQ(found_b->principal, "bob");
  EXPECT_EQ(set.find(generate_token()), nullptr);
  EXPECT_EQ(set.find(""), nullptr);
  EXPECT_EQ(set.find(a + "x"), nullptr);
  // The stored hash itself is not a token.
  EXPECT_EQ(set.find(hash_token(a)), nullptr);
  EXPECT_EQ(TokenSet().find(a), nullptr);
}

}  // namespace
}  // namespace kai::auth
