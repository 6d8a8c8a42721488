#include "ops/ops_server.hpp"

#include <exception>
#include <utility>

#include "common/json_writer.hpp"
#include "common/log.hpp"
#include "ops/metrics.hpp"

#ifndef KAI_VERSION
#define KAI_VERSION "0.0.0"
#endif

namespace kai::ops {
namespace {

http::ServerOptions ops_options(std::string address) {
  http::ServerOptions o;
  o.name = "ops";
  o.bind = std::move(address);
  o.threads = 1;
  // Scrapes and probes are small GETs; anything large is not for this port.
  o.limits.max_body_bytes = 64 * 1024;
  o.max_connections = 1024;
  return o;
}

void register_process_metrics(const std::string& process, const std::string& version) {
  try {
    prometheus::BuildGauge()
        .Name("kai_up")
        .Help("1 while the process is running")
        .Register(registry())
        .Add({{"process", process}})
        .Set(1);
    prometheus::BuildGauge()
        .Name("kai_build_info")
        .Help("Build of the running process (always 1)")
        .Register(registry())
        .Add({{"process", process}, {"version", version}})
        .Set(1);
  } catch (const std::exception& e) {
    log::error("ops metrics registration failed").kv("error", e.what());
  }
}

}  // namespace

std::string_view build_version() {
  return KAI_VERSION;
}

OpsServer::OpsServer(std::string address, std::string process, std::string version)
    : process_(std::move(process)),
      version_(version.empty() ? std::string(build_version()) : std::move(version)),
      server_(ops_options(std::move(address)),
              [this](http::Request& req, http::Responder r) { handle(req, std::move(r)); }) {
  register_process_metrics(process_, version_);
}

OpsServer::~OpsServer() {
  server_.stop();
}

Status OpsServer::start() {
  return server_.start();
}

void OpsServer::stop() {
  server_.stop();
}

void OpsServer::add_check(std::string name, std::function<CheckResult()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Check& c : checks_) {
    if (c.name == name) {
      c.fn = std::move(fn);
      return;
    }
  }
  checks_.push_back({std::move(name), std::move(fn)});
}

void OpsServer::set_draining(bool draining) {
  draining_.store(draining);
}

http::Response OpsServer::readiness() const {
  std::vector<Check> checks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    checks = checks_;
  }
  bool all_ready = true;
  bool any_degraded = false;
  std::string checks_json;
  JsonWriter cw(checks_json);
  cw.begin_object();
  for (const Check& c : checks) {
    CheckResult r;
    try {
      r = c.fn ? c.fn() : CheckResult{false, false, "no check function"};
    } catch (const std::exception& e) {
      r = CheckResult{false, false, std::string("check failed: ") + e.what()};
    } catch (...) {
      r = CheckResult{false, false, "check failed"};
    }
    all_ready = all_ready && r.ready;
    any_degraded = any_degraded || r.degraded;
    cw.key(c.name).begin_object();
    cw.key("ready").value(r.ready);
    cw.key("degraded").value(r.degraded);
    cw.key("detail").value(r.detail);
    cw.end_object();
  }
  cw.end_object();

  const bool draining = draining_.load();
  const bool ready = all_ready && !draining;
  const char* status = !ready ? "not_ready" : (any_degraded ? "degraded" : "ready");
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").value(status);
  if (draining) w.key("draining").value(true);
  w.key("checks").raw(checks_json).end_object();
  return http::Response::json(ready ? 200 : 503, std::move(body));
}

void OpsServer::handle(http::Request& req, http::Responder responder) const {
  const bool get = req.method == "GET" || req.method == "HEAD";
  const std::string& path = req.path;
  if (path == "/healthz") {
    if (!get) {
      http::Response r =
          http::error_response(405, invalid_argument("method not allowed on /healthz"));
      r.headers.push_back({"Allow", "GET, HEAD"});
      responder.send(std::move(r));
      return;
    }
    responder.send(http::Response::json(200, R"({"status":"ok"})"));
    return;
  }
  if (path == "/metrics" || path == "/readyz") {
    if (!get) {
      http::Response r =
          http::error_response(405, invalid_argument("method not allowed on " + path));
      r.headers.push_back({"Allow", "GET, HEAD"});
      responder.send(std::move(r));
      return;
    }
    if (path == "/metrics") {
      responder.send(http::Response::with_body(200, "text/plain; version=0.0.4; charset=utf-8",
                                               render_metrics()));
    } else {
      responder.send(readiness());
    }
    return;
  }
  responder.send(http::error_response(not_found("no such path: " + path)));
}

}  // namespace kai::ops
