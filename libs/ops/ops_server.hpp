// The ops port every process exposes (KAI_OPS_ADDR): Prometheus metrics, liveness and readiness.
//
//   GET /metrics  Prometheus text format 0.0.4 of kai::ops::registry()
//   GET /healthz  200 {"status":"ok"} while the process runs
//   GET /readyz   200 when every readiness check is ready ("ready", or "degraded" when some check
//                 is ready but degraded), 503 "not_ready" otherwise or while draining:
//                 {"status":"degraded","checks":{"redis":{"ready":true,"degraded":true,
//                  "detail":"connection refused"}}}
//   HEAD is answered like GET; other methods get 405, unknown paths 404 (JSON error bodies).
//
// It also sets kai_up{process} = 1 and kai_build_info{process,version} = 1.
//
// Thread safety: add_check() and set_draining() may be called from any thread, before or after
// start(). Checks run on the ops server's own thread, one /readyz at a time per check call: they
// must be quick and must not block (report state the service already tracks).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "http/server.hpp"

namespace kai::ops {

struct CheckResult {
  bool ready = true;
  bool degraded = false;
  std::string detail;
};

class OpsServer {
 public:
  // `address` like "0.0.0.0:9100" (port 0 picks one); `process` names the process in metrics
  // labels and logs; `version` defaults to the project version this binary was built from.
  OpsServer(std::string address, std::string process, std::string version = {});
  ~OpsServer();
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  // Binds and starts serving; logs "http listening" with name "ops". Errors as http::Server.
  Status start();
  void stop();
  int port() const { return server_.port(); }
  // "127.0.0.1:PORT" for local clients.
  std::string local_address() const { return server_.local_address(); }

  // Registers (or replaces, by name) a readiness check. A check that throws counts as not ready.
  void add_check(std::string name, std::function<CheckResult()> fn);
  // While draining (SIGTERM), /readyz answers 503 so load balancers stop sending work.
  void set_draining(bool draining);

  // The /readyz document and its HTTP status, as served (exposed for tests and tools).
  http::Response readiness() const;

 private:
  void handle(http::Request& req, http::Responder responder) const;

  struct Check {
    std::string name;
    std::function<CheckResult()> fn;
  };

  std::string process_;
  std::string version_;
  mutable std::mutex mu_;
  std::vector<Check> checks_;  // guarded by mu_
  std::atomic<bool> draining_{false};
  http::Server server_;
};

// Build version compiled into kai_ops ("0.1.0").
std::string_view build_version();

}  // namespace kai::ops
