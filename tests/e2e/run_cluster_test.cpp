// `make run`'s script, scripts/run-cluster.sh, on free ports in a temporary state folder: it starts
// redis-server, the broker, the services and the gateway, writes a working admin token, stops
// every process on SIGINT with exit code 0, and a second run keeps the token and the data.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <signal.h>

#include "e2e/gateway_cluster.hpp"

namespace kai::testing {
namespace {

bool listening(int port) {
  return http::RawSocket::connect("127.0.0.1:" + std::to_string(port), 1s).ok();
}

// `n` consecutive ports nothing listens on.
int free_ports(int n) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int first = free_port();
    bool ok = first + n < 65535;
    for (int i = 1; ok && i < n; ++i)
      ok = !listening(first + i);
    if (ok) return first;
  }
  throw std::runtime_error("no run of free ports");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Ports {
  int http = free_ports(1);
  int broker = free_ports(3);
  int ops = free_ports(7);
  int redis = free_ports(1);
};

// The script's processes live in their own sessions, so killing the script would orphan them:
// whatever happens in a test, the script is asked to stop them (SIGTERM) before it goes away.
struct ScriptGuard {
  std::unique_ptr<Process> proc;
  ~ScriptGuard() {
    if (proc && proc->running()) {
      proc->signal(SIGTERM);
      proc->wait(90s);
    }
  }
  Process* operator->() { return proc.get(); }
  Process& operator*() { return *proc; }
};

// Starts the script on `p`. A failed start is tried again on other ports (another test may have
// taken one meanwhile); a real fault fails every attempt and is reported with the output.
ScriptGuard start_cluster(const TempDir& dir, Ports& p) {
  for (int attempt = 0;; ++attempt) {
    auto proc = std::make_unique<Process>(
        "/bin/bash", std::vector<std::string>{source_path("scripts/run-cluster.sh")},
        std::map<std::string, std::string>{{"KAI_RUN_DIR", dir.path()},
                                           {"KAI_BIN_DIR", bin_dir()},
                                           {"KAI_RUN_SKIP_BUILD", "1"},
                                           {"KAI_RUN_HTTP_PORT", std::to_string(p.http)},
                                           {"KAI_RUN_BROKER_PORT", std::to_string(p.broker)},
                                           {"KAI_RUN_OPS_PORT", std::to_string(p.ops)},
                                           {"KAI_RUN_REDIS_PORT", std::to_string(p.redis)}});
    const bool ready = wait_until(
        [&] { return proc->count_output("run-cluster: ready") > 0 || !proc->running(); }, 180s);
    if (ready && proc->count_output("run-cluster: ready") > 0) return ScriptGuard{std::move(proc)};
    proc->wait(30s);
    if (attempt < 2) {
      p = Ports();
      continue;
    }
    ADD_FAILURE() << "run-cluster.sh did not get ready:\n" << proc->output();
    return ScriptGuard{std::move(proc)};
  }
}

void stop_cluster(Process& proc, const Ports& p) {
  proc.signal(SIGINT);
  EXPECT_EQ(proc.wait(90s), std::optional<int>(0)) << proc.output();
  EXPECT_EQ(proc.count_output("did not stop in time"), 0) << proc.output();
  EXPECT_FALSE(listening(p.http));
  EXPECT_FALSE(listening(p.broker));
  EXPECT_FALSE(listening(p.redis));
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(listening(p.ops + i)) << p.ops + i;
}

TEST(RunClusterTest, StartsEverythingAndStopsCleanlyTwiceKeepingTokenAndData) {
  TempDir dir;
  Ports ports;
  std::string token;
  std::int64_t id = 0;
  {
    auto run = start_cluster(dir, ports);
    token = read_file(dir.file("admin.token"));
    while (!token.empty() && token.back() == '\n')
      token.pop_back();
    ASSERT_EQ(token.rfind("kai_", 0), 0u) << token;
    const std::string out = run->output();
    const std::string base = "http://127.0.0.1:" + std::to_string(ports.http);
    EXPECT_NE(out.find(base + "/api/v1/"), std::string::npos) << out;
    EXPECT_NE(out.find(base + "/api/v1/docs"), std::string::npos) << out;
    EXPECT_NE(out.find(std::to_string(ports.ops + 1)), std::string::npos) << out;

    Api admin("127.0.0.1:" + std::to_string(ports.http), token);
    auto demo = admin.get("/api/v1/membership/organizations");
    ASSERT_EQ(demo.status, 200) << demo.body;
    EXPECT_FALSE(demo.json["items"].empty()) << "no demo data: " << demo.body;
    auto created = admin.post("/api/v1/membership/organizations",
                              {{"name", "两次运行单位"}, {"kind", "social"}});
    ASSERT_EQ(created.status, 201) << created.body;
    id = created.json["id"];
    for (int i = 0; i < 3; ++i) {
      http::Client ops("127.0.0.1:" + std::to_string(ports.ops + i));
      auto ready = ops.get("/readyz");
      ASSERT_TRUE(ready.ok());
      EXPECT_EQ(ready->status, 200) << i;
    }
    stop_cluster(*run, ports);
  }
  {
    auto run = start_cluster(dir, ports);
    std::string again = read_file(dir.file("admin.token"));
    while (!again.empty() && again.back() == '\n')
      again.pop_back();
    EXPECT_EQ(again, token);
    Api admin("127.0.0.1:" + std::to_string(ports.http), token);
    auto kept = admin.get("/api/v1/membership/organizations/" + std::to_string(id));
    EXPECT_EQ(kept.status, 200) << kept.body;
    EXPECT_EQ(kept.json["name"], "两次运行单位");
    stop_cluster(*run, ports);
  }
}

}  // namespace
}  // namespace kai::testing
