// Real platform processes for cross-process tests: a kai-broker on free loopback ports and bus
// workers, each started, restarted and killed by the test.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace kai::testing {

// The value of "key":"..." in a JSON log line (no unescaping; for simple values such as addresses).
std::string json_field(const std::string& line, const std::string& key);

class BrokerProcess {
 public:
  // Heartbeats default to 100 ms so expiry tests take a fraction of a second.
  explicit BrokerProcess(std::vector<std::string> extra_args = {},
                         std::map<std::string, std::string> env = {});
  ~BrokerProcess();

  void start();  // on the same ports as before
  void kill_now();
  // SIGTERM and wait; returns the exit code.
  std::optional<int> terminate();
  Process& process() { return *proc_; }

  std::string endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  std::string xsub_endpoint() const { return "tcp://127.0.0.1:" + std::to_string(xsub_port_); }
  std::string xpub_endpoint() const { return "tcp://127.0.0.1:" + std::to_string(xpub_port_); }
  int ops_port() const { return ops_port_; }
  std::vector<std::string> heartbeat_args() const;

 private:
  int port_, xsub_port_, xpub_port_, ops_port_ = 0;
  std::vector<std::string> extra_args_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Process> proc_;
};

// kai-echo-worker connected to one or more brokers.
std::unique_ptr<Process> start_echo_worker(const std::vector<std::string>& brokers,
                                           std::vector<std::string> extra_args = {},
                                           std::map<std::string, std::string> env = {});

}  // namespace kai::testing
