#include "common/config.hpp"

#include <gtest/gtest.h>

namespace kai {
namespace {

std::vector<SettingSpec> specs() {
  return {
      {"broker", "tcp://127.0.0.1:5555", "broker endpoints", SettingKind::list},
      {"worker-slots", "8", "concurrent requests", SettingKind::integer, 1, 1024},
      {"heartbeat", "2500ms", "heartbeat interval", SettingKind::duration_ms, 10, 60'000},
      {"verbose", "false", "chatty", SettingKind::boolean},
      {"curve-secret-key", "", "secret", SettingKind::string, INT64_MIN, INT64_MAX, true},
  };
}

Config::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ConfigTest, DefaultsEnvAndFlagsInOrderOfPrecedence) {
  const char* argv[] = {"prog", "--worker-slots", "32", "--heartbeat=1s"};
  auto cfg =
      Config::parse(specs(), 4, argv, false,
                    env_of({{"KAI_WORKER_SLOTS", "16"}, {"KAI_BROKER", "tcp://a:1,tcp://b:2"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().to_string();
  EXPECT_EQ(cfg->integer("worker-slots"), 32);
  EXPECT_EQ(cfg->duration("heartbeat"), std::chrono::milliseconds(1000));
  EXPECT_EQ(cfg->list("broker"), (std::vector<std::string>{"tcp://a:1", "tcp://b:2"}));
  EXPECT_FALSE(cfg->boolean("verbose"));
}

TEST(ConfigTest, BareBooleanFlagSwitchesOn) {
  const char* argv[] = {"prog", "--verbose"};
  auto cfg = Config::parse(specs(), 2, argv, false, env_of({}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_TRUE(cfg->boolean("verbose"));
}

TEST(ConfigTest, RejectsUnknownFlagOutOfRangeAndMalformedValues) {
  const char* unknown[] = {"prog", "--no-such-thing", "1"};
  auto a = Config::parse(specs(), 3, unknown, false, env_of({}));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().field(), "no-such-thing");

  const char* range[] = {"prog", "--worker-slots=0"};
  auto b = Config::parse(specs(), 2, range, false, env_of({}));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::invalid_argument);
  EXPECT_EQ(b.status().field(), "worker-slots");

  auto c = Config::parse(specs(), 1, range, false, env_of({{"KAI_HEARTBEAT", "soon"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().field(), "heartbeat");

  const char* positional[] = {"prog", "stray"};
  EXPECT_FALSE(Config::parse(specs(), 2, positional, false, env_of({})).ok());
  auto d = Config::parse(specs(), 2, positional, true, env_of({}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->positionals(), std::vector<std::string>{"stray"});
}

TEST(ConfigTest, HelpListsEverySettingAndHidesSecrets) {
  const char* argv[] = {"prog", "--help"};
  auto cfg =
      Config::parse(specs(), 2, argv, false, env_of({{"KAI_CURVE_SECRET_KEY", "do-not-print-me"}}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_TRUE(cfg->help_requested());
  const std::string help = cfg->help_text("prog", "does things");
  EXPECT_NE(help.find("KAI_WORKER_SLOTS / --worker-slots"), std::string::npos);
  EXPECT_NE(help.find("default: 2500ms"), std::string::npos);
  EXPECT_EQ(help.find("do-not-print-me"), std::string::npos);
}

TEST(ConfigTest, DurationFormats) {
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("5s"), 5000);
  EXPECT_EQ(parse_duration_ms("2m"), 120000);
  EXPECT_EQ(parse_duration_ms("1h"), 3600000);
  EXPECT_EQ(parse_duration_ms("75"), 75);
  EXPECT_EQ(parse_duration_ms("-5s"), std::nullopt);
  EXPECT_EQ(parse_duration_ms("s"), std::nullopt);
  EXPECT_EQ(parse_duration_ms("5 s"), std::nullopt);
}

}  // namespace
}  // namespace kai
