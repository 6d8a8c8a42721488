// A membership cluster for cross-process tests and the benchmark: a real redis-server, a real
// kai-broker and the kai-membership process (SQLite in a temp dir), all on free loopback ports,
// with a typed bus client and the service's /metrics.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "bus/client.hpp"
#include "common/result.hpp"
#include "schema/membership.hpp"
#include "schema/unpack.hpp"
#include "schema/validate.hpp"
#include "support/cluster.hpp"

namespace kai::testing {

struct MembershipOptions {
  bool redis = true;               // start a redis-server and point the service at it
  bool demo_data = false;          // KAI_DEMO_DATA
  std::vector<std::string> extra;  // more flags for kai-membership
};

class MembershipCluster {
 public:
  explicit MembershipCluster(MembershipOptions options = {});
  ~MembershipCluster();

  // Starts (again) the service on the same data dir, broker and Redis; waits until it serves.
  void start_service();
  // SIGTERM and wait; the exit code.
  std::optional<int> stop_service();

  // Calls operation Op of membership through the broker. Writes carry `idempotency_key` (a
  // fresh one when empty). The reply is validated against its schema before it is decoded.
  template <class Op>
  Result<typename Op::Reply> call(const typename Op::Request& request,
                                  std::string idempotency_key = {}) {
    bus::Reply r = call_raw(Op::name, encode(request), Op::write, std::move(idempotency_key));
    if (!r.status.ok()) return r.status;
    auto h = schema::unpack(r.payload);
    if (!h.ok()) return h.status();
    KAI_RETURN_IF_ERROR(schema::validate(h->get(), Op::Reply::desc()));
    typename Op::Reply out;
    KAI_RETURN_IF_ERROR(decode(h->get(), out));
    return out;
  }
  // The same with any payload bytes (malformed input, unknown operations).
  bus::Reply call_raw(std::string_view op, std::string payload, bool write,
                      std::string idempotency_key = {});

  // The service's /metrics text, and the value of one series ("name{label=\"v\",...}" as
  // rendered; labels in the order Prometheus prints them); nullopt when absent.
  std::string metrics();
  std::optional<double> metric(const std::string& name,
                               const std::map<std::string, std::string>& labels = {});

  RedisServer* redis() { return redis_.get(); }
  BrokerProcess& broker() { return *broker_; }
  Process& service() { return *service_; }
  bus::Client& client() { return *client_; }
  zmq::context_t& context() { return ctx_; }
  const std::string& data_dir() const { return dir_.path(); }

 private:
  MembershipOptions options_;
  TempDir dir_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<Process> service_;
  std::string ops_address_;
  zmq::context_t ctx_{1};
  std::unique_ptr<bus::Client> client_;
};

}  // namespace kai::testing
