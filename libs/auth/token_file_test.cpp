#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/tokens.hpp"
#include "support/process.hpp"

namespace kai::auth {
namespace {

const std::string kHashA = hash_token("token-a");
const std::string kHashB = hash_token("token-b");

TokenEntry entry(std::string principal, std::vector<std::string> scopes,
                 std::string token = generate_token()) {
  return {hash_token(token), std::move(principal), "membership", std::move(scopes),
          "2026-11-25T08:00:00Z"};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 0777;
}

TEST(TokenFile, ParsesEntriesSkippingCommentsBlankLinesAndCarriageReturns) {
  const std::string text =
      "# tokens of the platform\n"
      "\n"
      "   \t \n"
      "  # an indented comment\n" +
      kHashA + "\talliance-office\t联盟办公室\tmembership:read,membership:write\r\n" + kHashB +
      "\tops\t\tadmin\t2026-11-25T08:00:00Z";
  auto parsed = parse_tokens(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  ASSERT_EQ(parsed->size(), 2u);
  const TokenEntry& a = (*parsed)[0];
  EXPECT_EQ(a.hash, kHashA);
  EXPECT_EQ(a.principal, "alliance-office");
  EXPECT_EQ(a.department, "联盟办公室");
  EXPECT_EQ(a.scopes, (std::vector<std::string>{"membership:read", "membership:write"}));
  EXPECT_EQ(a.created_at, "");
  const TokenEntry& b = (*parsed)[1];
  EXPECT_EQ(b.principal, "ops");
  EXPECT_EQ(b.department, "");
  EXPECT_EQ(b.scopes, (std::vector<std::string>{"admin"}));
  EXPECT_EQ(b.created_at, "2026-11-25T08:00:00Z");
  EXPECT_TRUE(parse_tokens("").ok());
  EXPECT_TRUE(parse_tokens("# nothing yet\n")->empty());
}

TEST(TokenFile, FormatAndParseRoundTrip) {
  const std::vector<TokenEntry> entries = {
      entry("alliance-office", {"membership:write", "pii:read"}),
      {hash_token("x"), "凯商会 staff", "", {"training:read"}, ""},
  };
  std::string text;
  for (const TokenEntry& e : entries) {
    ASSERT_TRUE(validate_entry(e).ok());
    text += format_entry(e) + "\n";
  }
  auto parsed = parse_tokens(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, entries);
  EXPECT_EQ(format_entry(entries[1]), hash_token("x") + "\t凯商会 staff\t\ttraining:read");
}

// Each malformed line, placed on line 3 after a comment and a good entry: the error names line 3
// and says what is wrong.
TEST(TokenFile, ParseErrorsNameTheLineAndTheProblem) {
  const std::string good = kHashA + "\tp\td\tadmin\n";
  const std::string h = kHashB;
  struct Case {
    std::string line;
    std::string says;
  };
  const std::vector<Case> cases = {
      {h + "\tp\td", "found 3"},
      {h + "\tp\td\tadmin\t2026-11-25T08:00:00Z\textra", "found 6"},
      {h + " p d admin", "found 1"},
      {"sha256:abc\tp\td\tadmin", "64 lowercase hex"},
      {"sha256:" + std::string(64, 'A') + "\tp\td\tadmin", "64 lowercase hex"},
      {"md5:" + std::string(67, 'a') + "\tp\td\tadmin", "64 lowercase hex"},
      {h + "\t\td\tadmin", "principal must not be empty"},
      {h + "\t p\td\tadmin", "starts or ends with a space"},
      {h + "\tp\x01q\td\tadmin", "control character"},
      {h + "\tp\xff\td\tadmin", "not valid UTF-8"},
      {h + "\t" + std::string(129, 'p') + "\td\tadmin", "longer than 128"},
      {h + "\tp\td\t", "at least one scope"},
      {h + "\tp\td\tmembership:delete", "unknown scope 'membership:delete'"},
      {h + "\tp\td\tadmin,admin", "listed twice"},
      {h + "\tp\td\tadmin\tyesterday", "not an RFC 3339 time"},
      {kHashA + "\tother\td\tadmin", "the same token hash as line 2"},
  };
  for (const Case& c : cases) {
    auto parsed = parse_tokens("# comment\n" + good + c.line + "\n" + good);
    ASSERT_FALSE(parsed.ok()) << c.line;
    EXPECT_EQ(parsed.status().code(), StatusCode::invalid_argument);
    const std::string msg = parsed.status().message();
    EXPECT_TRUE(msg.starts_with("line 3: ")) << msg;
    EXPECT_NE(msg.find(c.says), std::string::npos) << msg;
  }
}

TEST(TokenFile, LoadReadsTheFileAndReportsMissingOrMalformedFiles) {
  testing::TempDir dir;
  const std::string path = dir.file("tokens");
  auto missing = TokenSet::load(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::not_found);

  const std::string token = generate_token();
  write_file(path, "# staff\n" + hash_token(token) + "\tzhang\tclubs\tclubs:write\n");
  auto set = TokenSet::load(path);
  ASSERT_TRUE(set.ok()) << set.status().to_string();
  EXPECT_EQ(set->size(), 1u);
  ASSERT_NE(set->find(token), nullptr);
  EXPECT_EQ(set->find(token)->principal, "zhang");

  write_file(path, "\n\n" + hash_token(token) + "\tzhang\tclubs\tclubs:own\n");
  auto bad = TokenSet::load(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::invalid_argument);
  EXPECT_NE(bad.status().message().find(path + ": line 3: unknown scope"), std::string::npos)
      << bad.status().message();
}

TEST(TokenFile, AppendCreatesTheFileWithMode0600AndAppendsLines) {
  testing::TempDir dir;
  const std::string path = dir.file("tokens");
  const std::string t1 = generate_token();
  const std::string t2 = generate_token();
  ASSERT_TRUE(append_token(path, entry("a", {"membership:read"}, t1)).ok());
  EXPECT_EQ(mode_of(path), 0600u);
  ASSERT_TRUE(append_token(path, entry("a", {"membership:write"}, t2)).ok());  // same principal
  auto set = TokenSet::load(path);
  ASSERT_TRUE(set.ok()) << set.status().to_string();
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ(set->find(t1)->scopes, std::vector<std::string>{"membership:read"});
  EXPECT_EQ(set->find(t2)->scopes, std::vector<std::string>{"membership:write"});
  // The plain tokens are nowhere in the file.
  const std::string text = read_file(path);
  EXPECT_EQ(text.find(t1), std::string::npos);
  EXPECT_EQ(text.find(t2), std::string::npos);
  EXPECT_EQ(text, format_entry(entry("a", {"membership:read"}, t1)) + "\n" +
                      format_entry(entry("a", {"membership:write"}, t2)) + "\n");
}

TEST(TokenFile, AppendKeepsAnExistingFilesModeAndEndsItsLastLine) {
  testing::TempDir dir;
  const std::string path = dir.file("tokens");
  write_file(path, "# no newline at the end");
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  const std::string token = generate_token();
  ASSERT_TRUE(append_token(path, entry("b", {"admin"}, token)).ok());
  EXPECT_EQ(mode_of(path), 0640u);
  EXPECT_EQ(read_file(path),
            "# no newline at the end\n" + format_entry(entry("b", {"admin"}, token)) + "\n");
}

TEST(TokenFile, AppendRefusesInvalidEntriesDuplicatesAndMalformedFiles) {
  testing::TempDir dir;
  const std::string path = dir.file("tokens");
  TokenEntry bad = entry("c", {"root"});
  EXPECT_EQ(append_token(path, bad).code(), StatusCode::invalid_argument);
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << "nothing may be created for an invalid entry";

  const std::string token = generate_token();
  ASSERT_TRUE(append_token(path, entry("c", {"admin"}, token)).ok());
  EXPECT_EQ(append_token(path, entry("d", {"admin"}, token)).code(), StatusCode::invalid_argument);

  write_file(path, read_file(path) + "garbage\n");
  const Status s = append_token(path, entry("e", {"admin"}));
  EXPECT_EQ(s.code(), StatusCode::failed_precondition);
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s.message();

  EXPECT_EQ(append_token(dir.file("no-such-dir/tokens"), entry("f", {"admin"})).code(),
            StatusCode::unavailable);
}

// Several processes append at the same moment; the lock keeps every line whole and none is lost.
TEST(TokenFile, ConcurrentAppendsFromSeveralProcessesKeepEveryLineIntact) {
  testing::TempDir dir;
  const std::string path = dir.file("tokens");
  constexpr int kProcesses = 4;
  constexpr int kEach = 50;
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(gate[1]);
      char c;
      (void)::read(gate[0], &c, 1);  // returns when the parent closes the pipe: all start at once
      int failures = 0;
      for (int i = 0; i < kEach; ++i) {
        TokenEntry e = entry("proc-" + std::to_string(p) + "-" + std::to_string(i),
                             {"membership:read", "clubs:write", "pii:read"});
        e.department = std::string(120, 'd');  // long lines make torn writes likelier
        if (!append_token(path, e).ok()) ++failures;
      }
      ::_exit(failures == 0 ? 0 : 1);
    }
    children.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(mode_of(path), 0600u);
  auto parsed = parse_tokens(read_file(path));
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  ASSERT_EQ(parsed->size(), static_cast<std::size_t>(kProcesses * kEach));
  std::set<std::string> principals;
  for (const TokenEntry& e : *parsed)
    principals.insert(e.principal);
  EXPECT_EQ(principals.size(), static_cast<std::size_t>(kProcesses * kEach));
}

}  // namespace
}  // namespace kai::auth
