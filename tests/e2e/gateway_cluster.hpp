// A real platform for end-to-end tests of kai-gateway: redis-server, kai-broker, kai-membership
// and kai-gateway, each a real process on free loopback ports, with a tokens file holding one
// token per role the tests need. Everything is killed and removed when the object goes away.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.hpp"
#include "support/cluster.hpp"
#include "support/metrics_text.hpp"
#include "support/process.hpp"

namespace kai::testing {

struct GatewayClusterOptions {
  // Extra flags for kai-gateway (e.g. "--rate-limit=1").
  std::vector<std::string> gateway_args;
};

// The tokens of the cluster's tokens file, by role.
struct Tokens {
  std::string admin;       // admin
  std::string reader;      // membership:read
  std::string writer;      // membership:write
  std::string pii_reader;  // membership:read, pii:read
  std::string auditor;     // audit:read
  std::string clubs;       // clubs:read, clubs:write (another department)
};

class GatewayCluster {
 public:
  explicit GatewayCluster(GatewayClusterOptions options = {});
  ~GatewayCluster();

  const Tokens& tokens() const { return tokens_; }
  // "127.0.0.1:PORT" of the API and of the gateway's ops port.
  std::string http_address() const { return http_address_; }
  std::string ops_address() const { return ops_address_; }
  std::string base_url() const { return "http://" + http_address(); }
  std::string membership_ops_address() const { return membership_ops_address_; }
  Process& gateway() { return *gateway_; }
  Process& membership() { return *membership_; }
  const std::string& tokens_file() const { return tokens_file_; }
  const std::string& gateway_data_dir() const { return gateway_dir_; }

 private:
  void start_membership();
  void start_gateway();

  GatewayClusterOptions options_;
  TempDir dir_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<Process> membership_;
  std::unique_ptr<Process> gateway_;
  Tokens tokens_;
  std::string tokens_file_;
  std::string gateway_dir_;
  // Bound by the processes themselves (port 0) and read from their "http listening" lines, so
  // parallel tests can never race for a port.
  std::string http_address_;
  std::string ops_address_;
  std::string membership_ops_address_;
};

// The Prometheus text of an ops port ("127.0.0.1:PORT").
std::string scrape(const std::string& ops_address);

// A JSON API call through kai::http::Client, for readable tests.
struct ApiResponse {
  int status = 0;
  http::Headers headers;
  std::string body;
  nlohmann::json json;  // null unless the body is JSON
  std::string header(std::string_view name) const;
};

class Api {
 public:
  Api(std::string address, std::string token)
      : client_(std::move(address)), token_(std::move(token)) {}
  ApiResponse call(const std::string& method, const std::string& target,
                   const std::string& body = {}, http::Headers extra = {});
  ApiResponse get(const std::string& target, http::Headers extra = {}) {
    return call("GET", target, {}, std::move(extra));
  }
  ApiResponse post(const std::string& target, const nlohmann::json& body,
                   http::Headers extra = {}) {
    return call("POST", target, body.dump(), std::move(extra));
  }
  void set_token(std::string token) { token_ = std::move(token); }

 private:
  http::Client client_;
  std::string token_;
};

}  // namespace kai::testing
