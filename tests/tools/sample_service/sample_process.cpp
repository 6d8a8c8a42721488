#include "sample_service/sample_process.hpp"

#include <stdexcept>

#include <signal.h>

#include "http/client.hpp"
#include "service/service_test_util.hpp"

namespace kai::sample::testing {

using namespace std::chrono_literals;

SampleService::SampleService(SampleOptions options)
    : options_(std::move(options)), ops_port_(kai::testing::free_port()) {
  start();
}

SampleService::~SampleService() {
  kill_now();
}

void SampleService::start() {
  std::vector<std::string> args = {
      "--broker=" + options_.broker,         "--events-pub=" + options_.events_pub,
      "--events-sub=" + options_.events_sub, "--redis-url=" + options_.redis_url,
      "--data-dir=" + options_.data_dir,     "--ops-addr=127.0.0.1:" + std::to_string(ops_port_),
      "--heartbeat-interval=100ms",          "--heartbeat-liveness=3",
      "--redis-retry-after=200ms",           "--events-beacon-interval=200ms",
  };
  for (const auto& a : options_.extra_args)
    args.push_back(a);
  proc_ = std::make_unique<kai::testing::Process>(kai::testing::bin_path(options_.program), args);
  if (!proc_->wait_for_output("\"service ready\"", 20s)) {
    throw std::runtime_error(options_.program + " did not start:\n" + proc_->output());
  }
}

void SampleService::kill_now() {
  if (proc_) proc_->kill_now();
}

std::optional<int> SampleService::terminate() {
  proc_->signal(SIGTERM);
  return proc_->wait(30s);
}

bool SampleService::running() {
  return proc_ && proc_->running();
}

Result<http::Response> SampleService::get(const std::string& path) {
  http::Client client("127.0.0.1:" + std::to_string(ops_port_));
  return client.get(path, 5s);
}

std::string SampleService::metrics() {
  auto r = get("/metrics");
  return r.ok() && r->status == 200 ? r->body : std::string();
}

double SampleService::metric(const std::string& series) {
  return kai::svc::testing::metric_value(metrics(), series);
}

}  // namespace kai::sample::testing
