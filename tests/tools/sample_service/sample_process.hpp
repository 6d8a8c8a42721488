// Test and benchmark harness for the sample services: starts kai-sample-ledger or
// kai-sample-tally as a real process against a given broker, event bus, data dir and Redis, on a
// fixed ops port so a restarted process answers at the same address, and reads its ops port.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bus/client.hpp"
#include "common/result.hpp"
#include "http/message.hpp"
#include "schema/unpack.hpp"
#include "support/process.hpp"

namespace kai::sample::testing {

struct SampleOptions {
  std::string program;  // "kai-sample-ledger" or "kai-sample-tally"
  std::string data_dir;
  std::string broker;      // tcp://127.0.0.1:PORT
  std::string events_pub;  // the broker's XSUB endpoint
  std::string events_sub;  // the broker's XPUB endpoint
  std::string redis_url;   // empty: no cache
  std::vector<std::string> extra_args;
};

class SampleService {
 public:
  // Starts the process and waits until it logs "service ready" (throws std::runtime_error with
  // its output when it does not).
  explicit SampleService(SampleOptions options);
  ~SampleService();

  void start();
  void kill_now();
  // SIGTERM and wait; the exit code.
  std::optional<int> terminate();
  bool running();

  kai::testing::Process& process() { return *proc_; }
  int ops_port() const { return ops_port_; }
  const SampleOptions& options() const { return options_; }

  // GET on the ops port.
  Result<http::Response> get(const std::string& path);
  // The /metrics text (empty when unreachable).
  std::string metrics();
  // The value of one series in /metrics (see libs/service/service_test_util.hpp), -1 if absent.
  double metric(const std::string& series);

 private:
  SampleOptions options_;
  int ops_port_;
  std::unique_ptr<kai::testing::Process> proc_;
};

// Calls operation Op over the bus and decodes its reply (writes get an idempotency key from the
// client unless `options` carries one).
template <class Op>
Result<typename Op::Reply> call(bus::Client& client, const typename Op::Request& request,
                                bus::CallOptions options = {}) {
  options.write = Op::write;
  bus::Reply reply = client.call(Op::service, Op::name, encode(request), options);
  if (!reply.status.ok()) return reply.status;
  auto obj = schema::unpack(reply.payload);
  if (!obj.ok()) return obj.status();
  typename Op::Reply out;
  KAI_RETURN_IF_ERROR(decode(obj->get(), out));
  return out;
}

}  // namespace kai::sample::testing
