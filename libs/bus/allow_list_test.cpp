#include "bus/allow_list.hpp"

#include <gtest/gtest.h>

#include "bus/curve.hpp"

namespace kai::bus {
namespace {

TEST(AllowListTest, ParsesRolesAndComments) {
  const auto worker = generate_keypair();
  const auto client = generate_keypair();
  const std::string text = "# keys\n\n" + worker.public_key + "  worker:membership  # svc\n" +
                           client.public_key + " client,subscriber\n";
  auto list = AllowList::parse(text);
  ASSERT_TRUE(list.ok()) << list.status().to_string();
  EXPECT_EQ(list->size(), 2u);
  const Roles* w = list->find(worker.public_key);
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->may_serve("membership"));
  EXPECT_FALSE(w->may_serve("clubs"));
  EXPECT_TRUE(w->may_request());
  EXPECT_TRUE(w->may_publish());
  const Roles* c = list->find(client.public_key);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->may_request());
  EXPECT_FALSE(c->may_publish());
  EXPECT_TRUE(c->may_subscribe());
  EXPECT_FALSE(c->may_serve("membership"));
  EXPECT_EQ(list->find(generate_keypair().public_key), nullptr);
}

TEST(AllowListTest, RejectsMistakesNamingTheLine) {
  const auto k = generate_keypair().public_key;
  auto bad_role = AllowList::parse(k + " superuser\n");
  ASSERT_FALSE(bad_role.ok());
  EXPECT_NE(bad_role.status().message().find("line 1"), std::string::npos);
  EXPECT_FALSE(AllowList::parse("short-key client\n").ok());
  EXPECT_FALSE(AllowList::parse(k + "\n").ok());
  EXPECT_FALSE(AllowList::parse(k + " client extra\n").ok());
  EXPECT_FALSE(AllowList::parse(k + " worker:mmi.service\n").ok());
  EXPECT_FALSE(AllowList::parse(k + " worker:\n").ok());
}

TEST(CurveTest, KeypairsAreValidAndDistinct) {
  const auto a = generate_keypair();
  const auto b = generate_keypair();
  EXPECT_TRUE(valid_z85_key(a.public_key));
  EXPECT_TRUE(valid_z85_key(a.secret_key));
  EXPECT_NE(a.public_key, b.public_key);
  EXPECT_FALSE(valid_z85_key("too-short"));
  EXPECT_FALSE(valid_z85_key(std::string(40, '"')));  // not in the Z85 alphabet
}

}  // namespace
}  // namespace kai::bus
