#include "store/pg_server.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/process.hpp"

namespace kai::store::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The newest /usr/lib/postgresql/<major>/bin holding a postgres binary (KAI_PG_BINDIR wins).
std::string find_bindir() {
  if (const char* env = std::getenv("KAI_PG_BINDIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  int best = -1;
  std::string found;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = entry.path().filename().string();
    const int major = std::atoi(name.c_str());
    const fs::path bin = entry.path() / "bin";
    if (major > best && fs::exists(bin / "postgres", ec) && fs::exists(bin / "initdb", ec)) {
      best = major;
      found = bin.string();
    }
  }
  return found;
}

// fork + exec `argv` as the server user with stdout/stderr appended to `log`. Everything the
// child needs is prepared before fork: a multi-threaded parent's child may only call
// async-signal-safe functions.
pid_t spawn(const std::vector<std::string>& args, const std::string& log, bool as_postgres,
            uid_t uid, gid_t gid, int parent_death_signal) {
  std::vector<std::string> owned = args;
  std::vector<char*> argv;
  for (auto& a : owned)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string env_lc = "LC_ALL=C";
  std::string env_path = "PATH=/usr/bin:/bin";
  std::vector<char*> envp = {env_lc.data(), env_path.data(), nullptr};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  // Child.
  ::setpgid(0, 0);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
  }
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
  if (as_postgres) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(126);
  }
  // Set after the credential change, which clears it.
  if (parent_death_signal != 0) {
    ::prctl(PR_SET_PDEATHSIG, parent_death_signal);
    if (::getppid() != parent) ::_exit(125);
  }
  ::execve(argv[0], argv.data(), envp.data());
  ::_exit(127);
}

// Waits for `pid` without blocking forever; true when it exited. `code` gets the exit status.
bool reap(pid_t pid, std::chrono::milliseconds timeout, int* code) {
  bool done = false;
  kai::testing::wait_until(
      [&] {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
          done = true;
          if (code != nullptr) *code = (r == pid && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
        }
        return done;
      },
      timeout);
  return done;
}

struct ProcStat {
  char state = 0;
  long ppid = 0;
};
std::optional<ProcStat> proc_stat(const fs::path& dir) {
  std::ifstream in(dir / "stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // pid (comm) state ppid ...; comm may hold spaces, so parse after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(stat.substr(close + 1));
  ProcStat ps;
  rest >> ps.state >> ps.ppid;
  return ps;
}

// The postmaster's children: backends and auxiliary processes. Each calls setsid(), so they are
// not in the postmaster's process group.
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto ps = proc_stat(entry.path());
    if (ps && ps->ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

// True while one of `pids` is still a live (non-zombie) process.
bool any_alive(const std::vector<pid_t>& pids) {
  for (const pid_t pid : pids) {
    const auto ps = proc_stat(fs::path("/proc") / std::to_string(pid));
    if (ps && ps->state != 'Z' && ps->state != 'X') return true;
  }
  return false;
}

// SIGKILL to the postmaster and every process it started, then wait until all are gone, so that
// nothing holds the old shared memory when a new postmaster starts on the same data.
void kill_server(pid_t postmaster) {
  ::kill(postmaster, SIGSTOP);  // no new children while we look
  std::vector<pid_t> all = children_of(postmaster);
  for (const pid_t child : all)
    ::kill(child, SIGKILL);
  ::kill(-postmaster, SIGKILL);  // its process group (the postmaster itself)
  reap(postmaster, 30s, nullptr);
  all.push_back(postmaster);
  kai::testing::wait_until([&] { return !any_alive(all); }, 30s);
}

}  // namespace

Result<std::unique_ptr<PgServer>> PgServer::start() {
  std::unique_ptr<PgServer> s(new PgServer());
  s->bindir_ = find_bindir();
  if (s->bindir_.empty()) {
    return unavailable(
        "no PostgreSQL server found under /usr/lib/postgresql (Debian package "
        "`postgresql`; scripts/install-deps.sh installs it)");
  }
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) return unavailable("running as root but there is no `postgres` user");
    s->as_postgres_ = true;
    s->uid_ = pw->pw_uid;
    s->gid_ = pw->pw_gid;
  }
  std::string tmpl = (fs::temp_directory_path() / "kai-pg-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return unavailable("mkdtemp failed");
  s->dir_ = tmpl;
  if (s->as_postgres_ && ::chown(s->dir_.c_str(), s->uid_, s->gid_) != 0) {
    return unavailable("chown " + s->dir_ + ": " + std::strerror(errno));
  }
  const std::string log = s->dir_ + "/server.log";
  const pid_t initdb = spawn({s->bindir_ + "/initdb", "-D", s->dir_ + "/data", "-A", "trust", "-U",
                              "postgres", "-E", "UTF8", "--locale=C", "--no-sync"},
                             log, s->as_postgres_, s->uid_, s->gid_, SIGKILL);
  int code = -1;
  if (initdb < 0 || !reap(initdb, 120s, &code) || code != 0) {
    return unavailable("initdb failed (exit " + std::to_string(code) + "): " + s->log_tail());
  }
  // A port picked as free can be taken before the server binds it; try a few.
  Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    s->port_ = kai::testing::free_port();
    last = s->launch();
    if (last.ok()) return s;
  }
  return last;
}

Status PgServer::launch() {
  const std::string log = dir_ + "/server.log";
  pid_ = spawn(
      {bindir_ + "/postgres", "-D", dir_ + "/data", "-p", std::to_string(port_), "-k", dir_, "-c",
       "listen_addresses=127.0.0.1", "-c", "shared_buffers=16MB", "-c", "max_connections=60", "-c",
       "logging_collector=off", "-c", "fsync=on", "-c", "synchronous_commit=on"},
      log, as_postgres_, uid_, gid_, SIGQUIT);
  if (pid_ < 0) return unavailable("fork failed");
  const std::string conninfo = url();
  bool exited = false;
  const bool ready = kai::testing::wait_until(
      [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          exited = true;
          return true;
        }
        return PQping(conninfo.c_str()) == PQPING_OK;
      },
      60s);
  if (exited || !ready) {
    if (!exited) kill_server(pid_);
    pid_ = -1;
    return unavailable("postgres did not start on port " + std::to_string(port_) + ": " +
                       log_tail());
  }
  return Status::Ok();
}

void PgServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);  // fast shutdown: roll back sessions, checkpoint, exit
  if (!reap(pid_, 30s, nullptr)) kill_server(pid_);
  pid_ = -1;
}

PgServer::~PgServer() {
  stop();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string PgServer::url(std::string_view db) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + std::string(db);
}

Result<std::string> PgServer::create_database() {
  static std::mt19937_64 rng(std::random_device{}());
  const std::string name =
      "kai_" + std::to_string(++next_db_) + "_" + std::to_string(rng() % 1000000);
  PGconn* conn = PQconnectdb(url().c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string err = PQerrorMessage(conn);
    PQfinish(conn);
    return unavailable("connect to create a database: " + err);
  }
  PGresult* r = PQexec(conn, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string err = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
  if (!ok) return unavailable("CREATE DATABASE: " + err);
  return url(name);
}

void PgServer::crash() {
  if (pid_ <= 0) return;
  kill_server(pid_);
  pid_ = -1;
}

Status PgServer::restart() {
  if (pid_ > 0) return failed_precondition("the server is running");
  return launch();
}

std::string PgServer::log_tail() const {
  std::ifstream in(dir_ + "/server.log");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  if (all.size() > 2000) all = all.substr(all.size() - 2000);
  return all;
}

}  // namespace kai::store::testing
