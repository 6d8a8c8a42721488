// Test harness: real child processes with captured output, free loopback ports, temp dirs.
// Everything started here is killed and reaped by its destructor, so a failing test leaves nothing
// running behind it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace kai::testing {

using namespace std::chrono_literals;

// The folder of the programs built into build/bin: KAI_BIN_DIR when set, else the build folder
// these tests were compiled in (so a test binary run by hand finds them too).
std::string bin_dir();
// Path of a program in bin_dir().
std::string bin_path(std::string_view program);
// Path below the source tree: KAI_SOURCE_DIR when set, else the tree these tests were built from.
std::string source_path(std::string_view relative);

// CPU time (user + system) process `pid` has used so far, in microseconds (0 if it is gone).
double process_cpu_us(pid_t pid);

// A loopback TCP port that nothing listens on right now, outside the kernel's ephemeral range so
// that outgoing connections do not take it in the meantime.
int free_port();

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

class Process {
 public:
  // Starts `program` with `args`; `env` entries are added to (or override) this process's
  // environment. stdout and stderr are captured line by line.
  Process(std::string program, std::vector<std::string> args,
          std::map<std::string, std::string> env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends a signal (SIGTERM, SIGKILL, SIGSTOP, SIGCONT, ...).
  void signal(int sig);
  // Waits for exit; returns the exit code, 128+signal when killed, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout = 10s);
  // SIGKILL and reap.
  void kill_now();

  // Waits until some output line contains `needle`; returns that line.
  std::optional<std::string> wait_for_output(std::string_view needle,
                                             std::chrono::milliseconds timeout = 10s);
  // Number of output lines containing `needle` so far.
  int count_output(std::string_view needle);
  std::string output();

 private:
  void reader_loop(int fd);

  std::string program_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::string partial_;
};

// A real redis-server on a free loopback port, persistence off, owned by the test.
class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }
  void start();
  void kill_now();
  bool running() const { return proc_ != nullptr; }

 private:
  int port_;
  std::unique_ptr<Process> proc_;
};

}  // namespace kai::testing
