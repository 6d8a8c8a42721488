#include "e2e/gateway_cluster.hpp"

#include <cstdlib>
#include <stdexcept>

#include "auth/tokens.hpp"

namespace kai::testing {
namespace {

std::string new_token(const std::string& file, const std::string& principal,
                      const std::string& department, const std::vector<std::string>& scopes) {
  auth::TokenEntry e;
  const std::string token = auth::generate_token();
  e.hash = auth::hash_token(token);
  e.principal = principal;
  e.department = department;
  e.scopes = scopes;
  if (Status s = auth::append_token(file, e); !s.ok()) {
    throw std::runtime_error("cannot write the tokens file: " + s.to_string());
  }
  return token;
}

// The address of the HTTP server `name` ("ops", "gateway") that `p` logged as listening; throws
// with the process's output when it exits or takes too long.
std::string listening_address(Process& p, const std::string& name, const std::string& what) {
  const std::string needle = R"("http listening","name":")" + name + "\"";
  if (!wait_until([&] { return p.count_output(needle) > 0 || !p.running(); }, 30s) ||
      p.count_output(needle) == 0) {
    throw std::runtime_error(what + " did not start:\n" + p.output());
  }
  return json_field(*p.wait_for_output(needle, 1s), "addr");
}

bool ready(const std::string& address) {
  http::Client c(address);
  auto r = c.get("/readyz", std::chrono::seconds(2));
  return r.ok() && r->status == 200;
}

}  // namespace

std::string scrape(const std::string& ops_address) {
  http::Client c(ops_address);
  auto r = c.get("/metrics", std::chrono::seconds(5));
  return r.ok() ? r->body : std::string();
}

std::string ApiResponse::header(std::string_view name) const {
  auto v = http::find_header(headers, name);
  return v ? std::string(*v) : std::string();
}

ApiResponse Api::call(const std::string& method, const std::string& target, const std::string& body,
                      http::Headers extra) {
  http::Headers h;
  if (!token_.empty()) h.push_back({"Authorization", "Bearer " + token_});
  if (!body.empty() && !http::find_header(extra, "content-type")) {
    h.push_back({"Content-Type", "application/json"});
  }
  for (auto& x : extra)
    h.push_back(std::move(x));
  auto r = client_.request(method, target, h, body, std::chrono::seconds(15));
  ApiResponse out;
  if (!r.ok()) {
    out.status = -1;
    out.body = r.status().to_string();
    return out;
  }
  out.status = r->status;
  out.headers = r->headers;
  out.body = r->body;
  out.json = nlohmann::json::parse(out.body, nullptr, false);
  if (out.json.is_discarded()) out.json = nullptr;
  return out;
}

GatewayCluster::GatewayCluster(GatewayClusterOptions options) : options_(std::move(options)) {
  redis_ = std::make_unique<RedisServer>();
  broker_ = std::make_unique<BrokerProcess>();
  tokens_file_ = dir_.file("tokens");
  gateway_dir_ = dir_.file("gateway");
  tokens_.admin = new_token(tokens_file_, "admin", "", {"admin"});
  tokens_.reader = new_token(tokens_file_, "office-reader", "membership", {"membership:read"});
  tokens_.writer = new_token(tokens_file_, "office-writer", "membership", {"membership:write"});
  tokens_.pii_reader =
      new_token(tokens_file_, "office-pii", "membership", {"membership:read", "pii:read"});
  tokens_.auditor = new_token(tokens_file_, "auditor", "", {"audit:read"});
  tokens_.clubs = new_token(tokens_file_, "clubs-staff", "clubs", {"clubs:read", "clubs:write"});
  start_membership();
  start_gateway();
}

GatewayCluster::~GatewayCluster() {
  if (gateway_) gateway_->kill_now();
  if (membership_) membership_->kill_now();
}

void GatewayCluster::start_membership() {
  std::vector<std::string> args = {
      "--broker=" + broker_->endpoint(), "--events-pub=" + broker_->xsub_endpoint(),
      "--events-sub=" + broker_->xpub_endpoint(), "--redis-url=" + redis_->url(),
      "--data-dir=" + dir_.file("membership"), "--ops-addr=127.0.0.1:0",
      // debug: every request served is logged with its request id
      "--log-level=debug"};
  for (const auto& a : broker_->heartbeat_args())
    args.push_back(a);
  membership_ = std::make_unique<Process>(bin_path("kai-membership"), args);
  membership_ops_address_ = listening_address(*membership_, "ops", "kai-membership");
  if (!wait_until([&] { return ready(membership_ops_address_) || !membership_->running(); }, 30s) ||
      !membership_->running()) {
    throw std::runtime_error("kai-membership did not become ready:\n" + membership_->output());
  }
}

void GatewayCluster::start_gateway() {
  std::vector<std::string> args = {"--broker=" + broker_->endpoint(),
                                   "--tokens-file=" + tokens_file_,
                                   "--data-dir=" + gateway_dir_,
                                   "--http-addr=127.0.0.1:0",
                                   "--ops-addr=127.0.0.1:0",
                                   "--rate-limit=10000",
                                   "--rate-burst=10000",
                                   "--request-timeout=5s",
                                   "--log-level=info"};
  for (const auto& a : options_.gateway_args)
    args.push_back(a);
  gateway_ = std::make_unique<Process>(bin_path("kai-gateway"), args);
  ops_address_ = listening_address(*gateway_, "ops", "kai-gateway");
  http_address_ = listening_address(*gateway_, "gateway", "kai-gateway");
  if (!wait_until([&] { return ready(ops_address_) || !gateway_->running(); }, 30s) ||
      !gateway_->running()) {
    throw std::runtime_error("kai-gateway did not become ready:\n" + gateway_->output());
  }
  // The broker knows the membership worker once a read through the gateway reaches it.
  Api api(http_address(), tokens_.admin);
  if (!wait_until([&] { return api.get("/api/v1/membership/organizations?limit=1").status == 200; },
                  30s)) {
    throw std::runtime_error("membership not reachable through the gateway:\n" +
                             gateway_->output() + "\n" + membership_->output());
  }
}

}  // namespace kai::testing
