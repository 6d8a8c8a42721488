#include <array>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zmq.h>

#include "bus/curve.hpp"
#include "kaictl/kaictl_test_util.hpp"
#include "support/process.hpp"

namespace kai::kaictl {
namespace {

using testing::run_kaictl;

std::string value_after(const std::string& text, const std::string& label) {
  const std::size_t at = text.find(label);
  if (at == std::string::npos) return {};
  const std::size_t start = at + label.size();
  return text.substr(start, text.find('\n', start) - start);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

std::string public_of(const std::string& secret) {
  std::array<char, 41> pub{};
  if (zmq_curve_public(pub.data(), secret.c_str()) != 0) return {};
  return pub.data();
}

TEST(KaictlKeygen, PrintsAMatchingZ85KeyPair) {
  const auto r = run_kaictl({"keygen"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const std::string pub = value_after(r.out, "public-key: ");
  const std::string sec = value_after(r.out, "secret-key: ");
  EXPECT_TRUE(bus::valid_z85_key(pub)) << r.out;
  EXPECT_TRUE(bus::valid_z85_key(sec)) << r.out;
  EXPECT_EQ(public_of(sec), pub);
  EXPECT_NE(value_after(run_kaictl({"keygen"}).out, "secret-key: "), sec);
}

TEST(KaictlKeygen, OutWritesTheSecretKeyWithMode0600AndNeverOverwrites) {
  kai::testing::TempDir dir;
  const std::string prefix = dir.file("membership");
  const auto r = run_kaictl({"keygen", "--out", prefix});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const std::string sec = read_file(prefix + ".key");
  const std::string pub = read_file(prefix + ".pub");
  ASSERT_EQ(sec.size(), 41u);
  ASSERT_EQ(pub.size(), 41u);
  EXPECT_EQ(sec.back(), '\n');
  EXPECT_EQ(public_of(sec.substr(0, 40)), pub.substr(0, 40));
  EXPECT_EQ(value_after(r.out, "public-key: "), pub.substr(0, 40));
  EXPECT_EQ(r.out.find(sec.substr(0, 40)), std::string::npos) << "the secret key is not printed";
  EXPECT_EQ(mode_of(prefix + ".key"), 0600u);
  EXPECT_EQ(mode_of(prefix + ".pub"), 0644u);

  const auto again = run_kaictl({"keygen", "--out=" + prefix});
  EXPECT_EQ(again.code, kExitFailed);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(read_file(prefix + ".key"), sec);

  // A lone existing .pub also stops it, leaving no .key behind.
  std::ofstream(dir.file("other.pub")) << "x\n";
  EXPECT_EQ(run_kaictl({"keygen", "--out", dir.file("other")}).code, kExitFailed);
  EXPECT_NE(::access(dir.file("other.key").c_str(), F_OK), 0);

  const auto nowhere = run_kaictl({"keygen", "--out", dir.file("missing-dir/k")});
  EXPECT_EQ(nowhere.code, kExitFailed);
  EXPECT_NE(nowhere.err.find("cannot create"), std::string::npos) << nowhere.err;
}

}  // namespace
}  // namespace kai::kaictl
