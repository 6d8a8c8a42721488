#include "cache/redis_protocol.hpp"

#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace kai::cache {
namespace {

using namespace std::string_literals;

TEST(RedisProtocol, FormatsBinarySafeCommands) {
  const std::string value = "a\0b\r\n"s;
  const std::string_view args[] = {"SET", "k", value};
  EXPECT_EQ(format_command(args), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\0b\r\n\r\n"s);
  const std::string_view empty[] = {"GET", ""};
  EXPECT_EQ(format_command(empty), "*2\r\n$3\r\nGET\r\n$0\r\n\r\n");
}

TEST(RedisProtocol, DecodesEveryAcceptedShape) {
  ReplyReader r(1024);
  ASSERT_TRUE(r.feed("+OK\r\n-ERR bad\r\n:42\r\n$-1\r\n$3\r\na\0b\r\n"s).ok());
  const auto take = [&] {
    auto n = r.next();
    EXPECT_TRUE(n.ok()) << n.status().to_string();
    EXPECT_TRUE(n.ok() && n->has_value());
    return n.ok() && n->has_value() ? **n : Reply{};
  };
  Reply a = take();
  EXPECT_EQ(a.type, Reply::Type::status);
  EXPECT_EQ(a.str, "OK");
  Reply b = take();
  EXPECT_EQ(b.type, Reply::Type::error);
  EXPECT_EQ(b.str, "ERR bad");
  Reply c = take();
  EXPECT_EQ(c.type, Reply::Type::integer);
  EXPECT_EQ(c.integer, 42);
  EXPECT_EQ(take().type, Reply::Type::nil);
  Reply e = take();
  EXPECT_EQ(e.type, Reply::Type::string);
  EXPECT_EQ(e.str, "a\0b"s);
  auto none = r.next();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(RedisProtocol, ReplySplitAcrossFeeds) {
  ReplyReader r(1024);
  const std::string wire = "$11\r\nhello world\r\n";
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    ASSERT_TRUE(r.feed(wire.substr(i, 1)).ok());
    auto n = r.next();
    ASSERT_TRUE(n.ok());
    EXPECT_FALSE(n->has_value());
  }
  ASSERT_TRUE(r.feed(wire.substr(wire.size() - 1)).ok());
  auto n = r.next();
  ASSERT_TRUE(n.ok() && n->has_value());
  EXPECT_EQ((*n)->str, "hello world");
}

TEST(RedisProtocol, RejectsArraysAndGarbage) {
  for (const std::string& wire :
       {"*2\r\n$1\r\na\r\n$1\r\nb\r\n"s, "*0\r\n"s, "*-1\r\n"s, "hello\r\n"s, "?\r\n"s}) {
    ReplyReader r(1024);
    Status fed = r.feed(wire);
    auto n = r.next();
    EXPECT_TRUE(!fed.ok() || !n.ok()) << wire;
    // Once failed, it stays failed.
    EXPECT_FALSE(r.next().ok()) << wire;
    EXPECT_FALSE(r.feed("+OK\r\n").ok()) << wire;
  }
}

TEST(RedisProtocol, BoundsTheBytesOfOneReply) {
  ReplyReader r(100);
  ASSERT_TRUE(r.feed("$1000000\r\n").ok());
  auto n = r.next();
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->has_value());
  EXPECT_FALSE(r.feed(std::string(200, 'x')).ok());
  ReplyReader endless(100);
  EXPECT_FALSE(endless.feed("+" + std::string(150, 'a')).ok());
}

TEST(RedisProtocol, RandomBytesNeverCrash) {
  std::mt19937 rng(20240611);
  const std::string alphabet = "+-:$*\r\n0123456789-abc";
  for (int round = 0; round < 2000; ++round) {
    ReplyReader r(4096);
    std::string wire;
    const int len = static_cast<int>(rng() % 64);
    for (int i = 0; i < len; ++i) {
      wire.push_back(rng() % 2 ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng()));
    }
    if (!r.feed(wire).ok()) continue;
    for (int i = 0; i < 8; ++i) {
      auto n = r.next();
      if (!n.ok() || !n->has_value()) break;
    }
  }
  SUCCEED();
}

}  // namespace
}  // namespace kai::cache
