// kill -9 in the middle of a write storm: every write acknowledged before the kill must be in the
// database afterwards. On PostgreSQL the server is killed (SIGKILL to every server process) at
// the same moment and restarted, so the server's own crash recovery is exercised too.
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/runtime.hpp"
#include "store/store_test_util.hpp"

namespace kai::store::testing {
namespace {

// The writer child, killed and reaped whatever way the test ends.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
  }
  ~Child() {
    kill();
    if (fd_ >= 0) ::close(fd_);
  }
  bool started() const { return pid_ > 0 && fd_ >= 0; }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  // Next complete output line; nullopt at EOF or when `deadline` passes.
  std::optional<std::string> line(std::chrono::steady_clock::time_point deadline) {
    while (true) {
      const auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return std::nullopt;
      char chunk[65536];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;  // EOF: the child is gone
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buf_;
};

class CrashTest : public StoreTest {};

TEST_P(CrashTest, AcknowledgedWritesSurviveKill9) {
  const int kill_after = is_pg() ? 1500 : 4000;
  const std::string data_dir = dir_.path() + "/data";
  Child child({KAI_STORE_CRASH_WRITER, data_dir, url_, "24"});
  ASSERT_TRUE(child.started());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  std::vector<std::int64_t> acked;
  std::string errors;
  bool killed = false;
  while (auto l = child.line(deadline)) {
    if (l->rfind("ack ", 0) == 0) {
      acked.push_back(std::stoll(l->substr(4)));
    } else if (l->rfind("error ", 0) == 0 && errors.size() < 2000) {
      errors += *l + "\n";
    }
    if (!killed && static_cast<int>(acked.size()) >= kill_after) {
      // Mid-load: two dozen writes are in flight right now.
      child.kill();
      if (is_pg()) shared_pg_server()->crash();
      killed = true;
    }
  }
  // Lines still in the pipe after the kill were read above, up to EOF.
  ASSERT_TRUE(killed) << "the writer acknowledged only " << acked.size() << " writes\n" << errors;
  if (is_pg()) {
    // Writes in flight fail when the server is killed; the server comes back for the check.
    KAI_ASSERT_OK(shared_pg_server()->restart());
  } else {
    EXPECT_EQ(errors, "");
  }

  StoreOptions o = options();
  o.service = "crash";
  auto db = open(o);
  ASSERT_NE(db, nullptr);
  std::set<std::int64_t> present;
  std::int64_t outbox_rows = 0;
  KAI_ASSERT_OK(db->read([&](Tx& tx) -> Status {
    auto rows = tx.query("SELECT id, payload FROM crash_row");
    if (!rows.ok()) return rows.status();
    for (const Row& r : *rows) {
      EXPECT_EQ(r.blob(1), "row " + std::to_string(r.int64(0)));
      present.insert(r.int64(0));
    }
    auto head = outbox::head(tx);
    if (!head.ok()) return head.status();
    auto n = tx.query_one("SELECT COUNT(*) FROM kai_outbox");
    if (!n.ok()) return n.status();
    outbox_rows = (*n)->int64(0);
    return Status::Ok();
  }));
  std::size_t missing = 0;
  for (const std::int64_t id : acked) {
    if (present.count(id) == 0) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged writes";
  EXPECT_GE(present.size(), acked.size());
  EXPECT_EQ(outbox_rows, static_cast<std::int64_t>(present.size()));
  std::printf("[ info ] %zu writes acknowledged before/around the kill, %zu rows present\n",
              acked.size(), present.size());
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::Values(Backend::sqlite, Backend::postgres),
                         backend_name);

}  // namespace
}  // namespace kai::store::testing
