#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "auth/tokens.hpp"
#include "kaictl/kaictl_test_util.hpp"
#include "support/process.hpp"

namespace kai::kaictl {
namespace {

using testing::run_kaictl;

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

TEST(KaictlToken, CreatePrintsTheTokenAloneOnTheFirstLineAndStoresOnlyItsHash) {
  kai::testing::TempDir dir;
  const std::string file = dir.file("tokens");
  const auto r = run_kaictl({"token", "create", "--principal", "alliance-office", "--scopes",
                             "membership:write,pii:read", "--department", "联盟办公室",
                             "--tokens-file", file});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const std::string token = first_line(r.out);
  ASSERT_EQ(token.size(), 47u) << r.out;
  EXPECT_TRUE(token.starts_with("kai_"));
  EXPECT_NE(r.out.find("alliance-office"), std::string::npos);

  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::stringstream content;
  content << std::ifstream(file).rdbuf();
  EXPECT_EQ(content.str().find(token), std::string::npos);

  auto set = auth::TokenSet::load(file);
  ASSERT_TRUE(set.ok()) << set.status().to_string();
  const auth::TokenEntry* e = set->find(token);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->principal, "alliance-office");
  EXPECT_EQ(e->department, "联盟办公室");
  EXPECT_EQ(e->scopes, (std::vector<std::string>{"membership:write", "pii:read"}));
  EXPECT_TRUE(e->created_at.ends_with("Z")) << e->created_at;
}

TEST(KaictlToken, ListShowsPrincipalsAndScopesButNeverHashes) {
  kai::testing::TempDir dir;
  const std::string file = dir.file("tokens");
  ASSERT_EQ(
      run_kaictl({"token", "create", "--principal=ops", "--scopes=admin", "--tokens-file=" + file})
          .code,
      kExitOk);
  ASSERT_EQ(run_kaictl({"token", "create", "--principal=凯商会", "--scopes=training:read",
                        "--department=training", "--tokens-file=" + file})
                .code,
            kExitOk);
  const auto r = run_kaictl({"token", "list", "--tokens-file", file});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(r.out.starts_with("PRINCIPAL")) << r.out;
  EXPECT_NE(r.out.find("ops"), std::string::npos);
  EXPECT_NE(r.out.find("凯商会"), std::string::npos);
  EXPECT_NE(r.out.find("training:read"), std::string::npos);
  EXPECT_EQ(r.out.find("sha256:"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("kai_"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3);
}

TEST(KaictlToken, BadScopesOrMissingSettingsAreUsageErrorsAndWriteNothing) {
  kai::testing::TempDir dir;
  const std::string file = dir.file("tokens");
  auto r = run_kaictl(
      {"token", "create", "--principal=p", "--scopes=membership:delete", "--tokens-file=" + file});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("unknown scope 'membership:delete'"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  r = run_kaictl({"token", "create", "--scopes=admin", "--tokens-file=" + file});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--principal"), std::string::npos) << r.err;
  r = run_kaictl({"token", "create", "--principal=p", "--tokens-file=" + file});
  EXPECT_EQ(r.code, kExitUsage);
  r = run_kaictl(
      {"token", "create", "--principal=p\tq", "--scopes=admin", "--tokens-file=" + file});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("principal"), std::string::npos) << r.err;
  r = run_kaictl({"token", "create", "--principal=p", "--scopes=admin"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--tokens-file"), std::string::npos) << r.err;
  EXPECT_NE(::access(file.c_str(), F_OK), 0);
  EXPECT_EQ(run_kaictl({"token", "list"}).code, kExitUsage);
}

TEST(KaictlToken, FileProblemsAreFailures) {
  kai::testing::TempDir dir;
  auto r = run_kaictl({"token", "list", "--tokens-file", dir.file("absent")});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  std::ofstream(dir.file("broken")) << "# tokens\nnot a token line\n";
  r = run_kaictl({"token", "list", "--tokens-file", dir.file("broken")});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  r = run_kaictl(
      {"token", "create", "--principal=p", "--scopes=admin", "--tokens-file", dir.file("broken")});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << "no token is shown when it was not stored";
}

}  // namespace
}  // namespace kai::kaictl
