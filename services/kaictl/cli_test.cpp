#include <gtest/gtest.h>

#include "kaictl/kaictl_test_util.hpp"
#include "support/process.hpp"

namespace kai::kaictl {
namespace {

using testing::run_kaictl;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(KaictlCli, NoArgumentsPrintsTheCommandsAndIsAUsageError) {
  const auto r = run_kaictl({});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(r.out.empty());
  for (const char* usage :
       {"kaictl mmi SERVICE", "kaictl call SERVICE OP", "kaictl keygen",
        "kaictl token create --principal NAME --scopes S1,S2 --tokens-file FILE",
        "kaictl token list --tokens-file FILE"}) {
    EXPECT_TRUE(contains(r.err, usage)) << usage << "\n" << r.err;
  }
}

TEST(KaictlCli, HelpListsCommandsAndEachCommandsSettings) {
  const auto general = run_kaictl({"--help"});
  EXPECT_EQ(general.code, kExitOk);
  EXPECT_TRUE(contains(general.out, "kaictl call SERVICE OP")) << general.out;

  const auto call = run_kaictl({"call", "--help"});
  EXPECT_EQ(call.code, kExitOk);
  for (const char* setting :
       {"KAI_BROKER / --broker", "KAI_TIMEOUT / --timeout",
        "KAI_IDEMPOTENCY_KEY / --idempotency-key", "KAI_CURVE_SECRET_KEY / --curve-secret-key",
        "KAI_CURVE_BROKER_KEY / --curve-broker-key"}) {
    EXPECT_TRUE(contains(call.out, setting)) << setting << "\n" << call.out;
  }
  const auto create = run_kaictl({"token", "create", "-h"});
  EXPECT_EQ(create.code, kExitOk);
  EXPECT_TRUE(contains(create.out, "KAI_TOKENS_FILE / --tokens-file"));
  EXPECT_TRUE(contains(create.out, "membership:write"));  // the known scopes are listed
  EXPECT_FALSE(contains(create.out, "--broker"));
}

TEST(KaictlCli, UnknownCommandsAreUsageErrors) {
  auto r = run_kaictl({"frobnicate"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, "unknown command 'frobnicate'")) << r.err;
  r = run_kaictl({"token", "delete", "--tokens-file", "x"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, "unknown command 'token delete'")) << r.err;
  r = run_kaictl({"token"});
  EXPECT_EQ(r.code, kExitUsage);
}

TEST(KaictlCli, WrongArgumentCountsAreUsageErrorsWithTheUsageLine) {
  auto r = run_kaictl({"mmi"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, "missing arguments")) << r.err;
  EXPECT_TRUE(contains(r.err, "usage: kaictl mmi SERVICE")) << r.err;
  r = run_kaictl({"mmi", "membership", "clubs"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, "unexpected argument 'clubs'")) << r.err;
  r = run_kaictl({"call", "membership"});
  EXPECT_EQ(r.code, kExitUsage);
  r = run_kaictl({"call", "membership", "organization.get", "{}", "extra"});
  EXPECT_EQ(r.code, kExitUsage);
  r = run_kaictl({"keygen", "now"});
  EXPECT_EQ(r.code, kExitUsage);
}

TEST(KaictlCli, FlagsOfOtherCommandsOrUnknownFlagsAreRefused) {
  auto r = run_kaictl({"mmi", "membership", "--principal", "p"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, "unknown flag --principal")) << r.err;
  r = run_kaictl({"--bogus", "keygen"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, "unknown flag --bogus")) << r.err;
  r = run_kaictl({"keygen", "--bogus=1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, "unknown flag --bogus")) << r.err;
  r = run_kaictl({"token", "list", "--tokens-file"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, "needs a value")) << r.err;
}

TEST(KaictlCli, BadSettingValuesAreUsageErrors) {
  auto r = run_kaictl({"mmi", "membership", "--timeout=soon"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, "--timeout")) << r.err;
  r = run_kaictl({"mmi", "membership"}, {{"KAI_CURVE_SECRET_KEY", "not a key"}});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, "KAI_CURVE_")) << r.err;
  r = run_kaictl({"mmi", "membership", "--log-level=loud"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, "KAI_LOG_LEVEL")) << r.err;
  r = run_kaictl({"mmi", ""});
  EXPECT_EQ(r.code, kExitUsage);
  r = run_kaictl({"mmi", "membership", "--broker=not-an-endpoint"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, "cannot use broker endpoint 'not-an-endpoint'")) << r.err;
  r = run_kaictl(
      {"call", "membership", "organization.get", R"({"id":1})", "--broker=not-an-endpoint"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(contains(r.err, R"("field":"broker")")) << r.err;
}

TEST(KaictlCli, FlagsMayComeBeforeTheCommandAndSettingsComeFromTheEnvironment) {
  kai::testing::TempDir dir;
  const std::string file = dir.file("tokens");
  auto r =
      run_kaictl({"--tokens-file", file, "token", "create", "--principal=a", "--scopes", "admin"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  r = run_kaictl({"token", "list"}, {{"KAI_TOKENS_FILE", file}});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(contains(r.out, "admin"));
  // A bad value of a setting this command does not use does not stop it.
  r = run_kaictl({"token", "list"}, {{"KAI_TOKENS_FILE", file}, {"KAI_TIMEOUT", "soon"}});
  EXPECT_EQ(r.code, kExitOk) << r.err;
}

}  // namespace
}  // namespace kai::kaictl
