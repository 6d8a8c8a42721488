#include "integration/membership_cluster.hpp"

#include <stdexcept>

#include <signal.h>

#include "http/client.hpp"
#include "support/metrics_text.hpp"

namespace kai::testing {

MembershipCluster::MembershipCluster(MembershipOptions options) : options_(std::move(options)) {
  if (options_.redis) redis_ = std::make_unique<RedisServer>();
  broker_ = std::make_unique<BrokerProcess>();
  bus::ClientOptions o;
  o.brokers = {broker_->endpoint()};
  client_ = std::make_unique<bus::Client>(ctx_, o);
  start_service();
}

MembershipCluster::~MembershipCluster() {
  client_.reset();
  if (service_) service_->kill_now();
}

void MembershipCluster::start_service() {
  std::vector<std::string> args = {
      "--broker=" + broker_->endpoint(),
      "--events-pub=" + broker_->xsub_endpoint(),
      "--events-sub=" + broker_->xpub_endpoint(),
      "--redis-url=" + (redis_ ? redis_->url() : std::string()),
      "--data-dir=" + dir_.path(),
      "--ops-addr=127.0.0.1:0",
      "--log-level=info",
      "--gauge-interval=100ms",
      std::string("--demo-data=") + (options_.demo_data ? "true" : "false"),
  };
  for (const auto& a : broker_->heartbeat_args())
    args.push_back(a);
  for (const auto& a : options_.extra)
    args.push_back(a);
  service_ = std::make_unique<Process>(bin_path("kai-membership"), args);
  const auto ready = service_->wait_for_output("\"service ready\"", std::chrono::seconds(30));
  if (!ready) throw std::runtime_error("kai-membership did not start:\n" + service_->output());
  ops_address_ = json_field(*ready, "ops");
  const bool registered = wait_until(
      [&] {
        auto r = client_->mmi("mmi.service", "membership", std::chrono::milliseconds(500));
        return r.ok() && *r == "200";
      },
      std::chrono::seconds(10));
  if (!registered) throw std::runtime_error("kai-membership did not register with the broker");
}

std::optional<int> MembershipCluster::stop_service() {
  service_->signal(SIGTERM);
  return service_->wait(std::chrono::seconds(15));
}

bus::Reply MembershipCluster::call_raw(std::string_view op, std::string payload, bool write,
                                       std::string idempotency_key) {
  bus::CallOptions o;
  o.timeout = std::chrono::seconds(10);
  o.attempt_timeout = std::chrono::seconds(3);
  o.write = write;
  o.idempotency_key = std::move(idempotency_key);
  return client_->call("membership", op, std::move(payload), o);
}

std::string MembershipCluster::metrics() {
  http::Client c(ops_address_);
  auto r = c.get("/metrics");
  return r.ok() ? r->body : std::string();
}

std::optional<double> MembershipCluster::metric(const std::string& name,
                                                const std::map<std::string, std::string>& labels) {
  LabelPieces pieces;
  for (const auto& [k, v] : labels)
    pieces.push_back(k + "=\"" + v + "\"");
  return metric_first(metrics(), name, pieces);
}

}  // namespace kai::testing
