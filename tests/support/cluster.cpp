#include "support/cluster.hpp"

#include <stdexcept>

#include <signal.h>

namespace kai::testing {

std::string json_field(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":\"";
  const auto p = line.find(needle);
  if (p == std::string::npos) return {};
  const auto start = p + needle.size();
  const auto end = line.find('"', start);
  return line.substr(start, end - start);
}

BrokerProcess::BrokerProcess(std::vector<std::string> extra_args,
                             std::map<std::string, std::string> env)
    : port_(free_port()),
      xsub_port_(free_port()),
      xpub_port_(free_port()),
      extra_args_(std::move(extra_args)),
      env_(std::move(env)) {
  start();
}

BrokerProcess::~BrokerProcess() {
  kill_now();
}

std::vector<std::string> BrokerProcess::heartbeat_args() const {
  return {"--heartbeat-interval=100ms", "--heartbeat-liveness=3"};
}

void BrokerProcess::start() {
  std::vector<std::string> args = {
      "--broker-bind=" + endpoint(), "--events-xsub-bind=" + xsub_endpoint(),
      "--events-xpub-bind=" + xpub_endpoint(), "--ops-addr=127.0.0.1:0", "--log-level=debug"};
  for (const auto& a : heartbeat_args())
    args.push_back(a);
  for (const auto& a : extra_args_)
    args.push_back(a);
  proc_ = std::make_unique<Process>(bin_path("kai-broker"), args, env_);
  if (!proc_->wait_for_output("\"broker listening\"", 10s)) {
    throw std::runtime_error("kai-broker did not start:\n" + proc_->output());
  }
  const auto ops = proc_->wait_for_output("\"http listening\"", 5s);
  if (ops) {
    const std::string addr = json_field(*ops, "addr");
    ops_port_ = std::stoi(addr.substr(addr.rfind(':') + 1));
  }
}

void BrokerProcess::kill_now() {
  if (proc_) proc_->kill_now();
}

std::optional<int> BrokerProcess::terminate() {
  proc_->signal(SIGTERM);
  return proc_->wait(10s);
}

std::unique_ptr<Process> start_echo_worker(const std::vector<std::string>& brokers,
                                           std::vector<std::string> extra_args,
                                           std::map<std::string, std::string> env) {
  std::string list;
  for (const auto& b : brokers)
    list += (list.empty() ? "" : ",") + b;
  std::vector<std::string> args = {"--broker=" + list, "--heartbeat-interval=100ms",
                                   "--heartbeat-liveness=3", "--log-level=debug"};
  for (auto& a : extra_args)
    args.push_back(std::move(a));
  auto p = std::make_unique<Process>(bin_path("kai-echo-worker"), args, std::move(env));
  if (!p->wait_for_output("worker connections opened", 10s)) {
    throw std::runtime_error("kai-echo-worker did not start:\n" + p->output());
  }
  return p;
}

}  // namespace kai::testing
