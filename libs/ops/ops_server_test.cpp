#include "ops/ops_server.hpp"

#include <atomic>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/client.hpp"
#include "http/test_helpers.hpp"

namespace kai::ops {
namespace {

using namespace std::chrono_literals;

class OpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    process_ = "ops_test_" + std::to_string(counter++);
    ops_ = std::make_unique<OpsServer>("127.0.0.1:0", process_, "1.2.3");
    const Status st = ops_->start();
    ASSERT_TRUE(st.ok()) << st.to_string();
    client_ = std::make_unique<http::Client>(ops_->local_address());
  }

  http::Response get(std::string_view path, std::string_view method = "GET") {
    auto r = client_->request(method, path);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? std::move(r).value() : http::Response{};
  }

  nlohmann::json json(const http::Response& r) {
    return nlohmann::json::parse(r.body, nullptr, false);
  }

  std::string process_;
  std::unique_ptr<OpsServer> ops_;
  std::unique_ptr<http::Client> client_;
};

TEST_F(OpsServerTest, Healthz) {
  const http::Response r = get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  const http::Response head = get("/healthz", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), "15");
  EXPECT_TRUE(head.body.empty());
}

TEST_F(OpsServerTest, MetricsInPrometheusFormat) {
  const http::Response r = get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("kai_up{process=\"" + process_ + "\"} 1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("kai_build_info{process=\"" + process_ + "\",version=\"1.2.3\"} 1"),
            std::string::npos);
  EXPECT_NE(r.body.find("# TYPE kai_http_connections_open gauge"), std::string::npos);
  EXPECT_NE(r.body.find("kai_http_connections_total{server=\"ops\"}"), std::string::npos);
  EXPECT_NE(r.body.find("kai_http_bad_requests_total{reason=\"malformed\",server=\"ops\"}"),
            std::string::npos);
}

TEST_F(OpsServerTest, DefaultVersionIsTheBuildVersion) {
  OpsServer other("127.0.0.1:0", process_ + "_default");
  EXPECT_FALSE(build_version().empty());
  EXPECT_EQ(
      http::testing::metric_value("kai_build_info{process=\"" + process_ + "_default\",version=\"" +
                                  std::string(build_version()) + "\"}"),
      1);
}

TEST_F(OpsServerTest, ReadyWithoutChecks) {
  const http::Response r = get("/readyz");
  EXPECT_EQ(r.status, 200);
  const auto j = json(r);
  EXPECT_EQ(j["status"], "ready");
  EXPECT_TRUE(j["checks"].is_object());
  EXPECT_TRUE(j["checks"].empty());
}

TEST_F(OpsServerTest, ReadinessFollowsChecks) {
  std::atomic<bool> db_ready{true};
  std::atomic<bool> redis_up{true};
  ops_->add_check("database", [&] { return CheckResult{db_ready.load(), false, "sqlite open"}; });
  ops_->add_check("redis", [&] {
    return redis_up.load() ? CheckResult{true, false, "connected"}
                           : CheckResult{true, true, "connection refused"};
  });

  auto r = get("/readyz");
  EXPECT_EQ(r.status, 200);
  auto j = json(r);
  EXPECT_EQ(j["status"], "ready");
  EXPECT_EQ(j["checks"]["database"]["ready"], true);
  EXPECT_EQ(j["checks"]["database"]["degraded"], false);
  EXPECT_EQ(j["checks"]["database"]["detail"], "sqlite open");

  redis_up = false;  // the service still answers from its database
  r = get("/readyz");
  EXPECT_EQ(r.status, 200);
  j = json(r);
  EXPECT_EQ(j["status"], "degraded");
  EXPECT_EQ(j["checks"]["redis"]["degraded"], true);
  EXPECT_EQ(j["checks"]["redis"]["detail"], "connection refused");

  db_ready = false;
  r = get("/readyz");
  EXPECT_EQ(r.status, 503);
  j = json(r);
  EXPECT_EQ(j["status"], "not_ready");
  EXPECT_EQ(j["checks"]["database"]["ready"], false);

  db_ready = true;
  redis_up = true;
  EXPECT_EQ(get("/readyz").status, 200);
}

TEST_F(OpsServerTest, ReplacingAndThrowingChecks) {
  ops_->add_check("bus", [] { return CheckResult{false, false, "connecting"}; });
  EXPECT_EQ(get("/readyz").status, 503);
  ops_->add_check("bus", [] { return CheckResult{true, false, "connected"}; });
  auto r = get("/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json(r)["checks"].size(), 1u);

  ops_->add_check("flaky", []() -> CheckResult { throw std::runtime_error("boom"); });
  r = get("/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json(r)["checks"]["flaky"]["ready"], false);
  EXPECT_EQ(json(r)["checks"]["flaky"]["detail"], "check failed: boom");
  // Liveness is not readiness.
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(OpsServerTest, DrainingIsNotReady) {
  ops_->add_check("database", [] { return CheckResult{true, false, "ok"}; });
  ops_->set_draining(true);
  auto r = get("/readyz");
  EXPECT_EQ(r.status, 503);
  auto j = json(r);
  EXPECT_EQ(j["status"], "not_ready");
  EXPECT_EQ(j["draining"], true);
  EXPECT_EQ(get("/healthz").status, 200);
  ops_->set_draining(false);
  EXPECT_EQ(get("/readyz").status, 200);
}

TEST_F(OpsServerTest, UnknownPathsAndMethods) {
  auto r = get("/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json(r)["error"]["code"], "not_found");
  for (const char* path : {"/metrics", "/healthz", "/readyz"}) {
    r = get(path, "POST");
    EXPECT_EQ(r.status, 405) << path;
    EXPECT_EQ(r.header("allow"), "GET, HEAD");
    EXPECT_EQ(json(r)["error"]["code"], "invalid_argument");
  }
  r = get("/healthz", "DELETE");
  EXPECT_EQ(r.status, 405);
}

TEST_F(OpsServerTest, PortInUseAndStop) {
  OpsServer clash(ops_->local_address(), process_ + "_clash");
  EXPECT_EQ(clash.start().code(), StatusCode::unavailable);
  ops_->stop();
  ops_->stop();
  http::Client c(ops_->local_address());
  EXPECT_FALSE(c.get("/healthz", 1s).ok());
}

}  // namespace
}  // namespace kai::ops
