// kai-gateway over real HTTP against the real cluster (redis-server, kai-broker, kai-membership):
// the organisation routes of DESIGN.md §3, errors, auth, idempotency, personal data, the audit
// log, CSV export, rate limiting, token reload, deadlines and metrics.
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <signal.h>

#include "auth/tokens.hpp"
#include "e2e/gateway_cluster.hpp"

namespace kai::testing {
namespace {

using nlohmann::json;

const std::string kOrgs = "/api/v1/membership/organizations";

json org(const std::string& name, json extra = json::object()) {
  json j = {{"name", name}, {"kind", "enterprise"}};
  for (auto& [k, v] : extra.items())
    j[k] = v;
  return j;
}

// Every error body has the documented shape and names the request id of its response.
void expect_error(const ApiResponse& r, int status, const std::string& code,
                  const std::string& field = {}) {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_TRUE(r.json.is_object()) << r.body;
  ASSERT_TRUE(r.json.contains("error")) << r.body;
  const json& e = r.json["error"];
  EXPECT_EQ(e.value("code", ""), code) << r.body;
  EXPECT_FALSE(e.value("message", "").empty()) << r.body;
  EXPECT_EQ(e.value("request_id", ""), r.header("x-request-id")) << r.body;
  if (!field.empty()) {
    EXPECT_EQ(e.value("field", ""), field) << r.body;
  }
}

class GatewayApiTest : public ::testing::Test {
 protected:
  GatewayCluster cluster_;
  Api admin_{cluster_.http_address(), cluster_.tokens().admin};
};

TEST_F(GatewayApiTest, OrganizationsAreCreatedReadListedAndUpdated) {
  auto created = admin_.post(kOrgs, org("杭州凯旋科技有限公司"));
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_TRUE(created.json.contains("id"));
  const std::int64_t id = created.json["id"];
  EXPECT_EQ(created.json["name"], "杭州凯旋科技有限公司");
  EXPECT_EQ(created.json["kind"], "enterprise");
  EXPECT_EQ(created.header("content-type"), "application/json");
  EXPECT_FALSE(created.header("x-request-id").empty());

  auto got = admin_.get(kOrgs + "/" + std::to_string(id));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json["id"], id);
  EXPECT_EQ(got.json["name"], "杭州凯旋科技有限公司");

  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(admin_.post(kOrgs, org("凯旋社区单位" + std::to_string(i))).status, 201);
  }
  std::set<std::int64_t> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = admin_.get(kOrgs + "?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(page.status, 200) << page.body;
    ASSERT_TRUE(page.json["items"].is_array());
    EXPECT_LE(page.json["items"].size(), 2u);
    for (const auto& item : page.json["items"])
      seen.insert(item["id"].get<std::int64_t>());
    cursor = page.json.value("next_cursor", "");
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_GE(pages, 2);

  auto filtered = admin_.get(kOrgs + "?q=" + http::percent_encode("凯旋社区") + "&sort=-name");
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  ASSERT_EQ(filtered.json["items"].size(), 3u) << filtered.body;
  EXPECT_EQ(filtered.json["items"][0]["name"], "凯旋社区单位2");

  auto updated = admin_.call("PATCH", kOrgs + "/" + std::to_string(id),
                             json{{"tags", {"重点企业"}}, {"expected_version", 1}}.dump());
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.json["version"], 2);
  EXPECT_EQ(updated.json["tags"], json::array({"重点企业"}));
}

TEST_F(GatewayApiTest, AbsentRecordsAre404WithTheErrorBody) {
  expect_error(admin_.get(kOrgs + "/987654"), 404, "not_found");
  expect_error(admin_.get("/api/v1/membership/no-such-thing"), 404, "not_found");
  auto wrong_method = admin_.call("DELETE", kOrgs);
  expect_error(wrong_method, 405, "invalid_argument");
  EXPECT_NE(wrong_method.header("allow").find("POST"), std::string::npos);
}

TEST_F(GatewayApiTest, EveryKindOfInvalidBodyIs400NamingTheFieldBeforeTheBus) {
  const std::string metrics_before = scrape(cluster_.membership_ops_address());
  const double create_calls_before =
      metric_sum(metrics_before, "kai_requests_total", {"op=\"organization.create\""});

  struct Case {
    std::string body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"kind":"enterprise"})", "name"},                        // missing
      {R"({"name":5,"kind":"enterprise"})", "name"},               // wrong type
      {R"({"name":"a","kind":"bogus"})", "kind"},                  // not in the enum
      {R"({"name":"a","kind":"enterprise","bogus":1})", "bogus"},  // unknown field
      {R"({"name":")" + std::string(201, 'x') + R"(","kind":"enterprise"})", "name"},  // too long
      {R"({"name":"","kind":"enterprise"})", "name"},                                  // too short
      {R"({"name":"a","kind":"enterprise","contact":{"name":"王","phone":"call me"}})",
       "contact.phone"},  // pattern
      {R"({"name":"a","kind":"enterprise","contact":{"phone":"13812345678"}})",
       "contact.name"},  // nested missing
      {R"({"name":"a","kind":"enterprise","joined_on":"2026-02-30"})",
       "joined_on"},                                                  // no such date
      {R"({"name":"a","kind":"enterprise","tags":[1]})", "tags[0]"},  // list item type
      {R"({"name":"a","name":"b","kind":"enterprise"})", "name"},     // duplicate member
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    expect_error(admin_.call("POST", kOrgs, c.body), 400, "invalid_argument", c.field);
  }
  // Malformed JSON and a body that is not an object: 400 whatever the field.
  for (const std::string& body :
       std::vector<std::string>{"{\"name\":", "[1,2]", "nul", "{\"name\":\"a\"} trailing"}) {
    SCOPED_TRACE(body);
    expect_error(admin_.call("POST", kOrgs, body), 400, "invalid_argument");
  }
  // Bad parameters in paths and query strings name the parameter.
  expect_error(admin_.get(kOrgs + "/abc"), 400, "invalid_argument", "id");
  expect_error(admin_.get(kOrgs + "?limit=0"), 400, "invalid_argument", "limit");
  expect_error(admin_.get(kOrgs + "?limit=ten"), 400, "invalid_argument", "limit");
  expect_error(admin_.get(kOrgs + "?colour=red"), 400, "invalid_argument", "colour");
  expect_error(admin_.get(kOrgs + "?format=xml"), 400, "invalid_argument", "format");
  // Not JSON at all.
  auto form =
      admin_.call("POST", kOrgs, "name=a", {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(form.status, 415) << form.body;

  // None of it reached the service.
  const double create_calls_after =
      metric_sum(scrape(cluster_.membership_ops_address()), "kai_requests_total",
                 {"op=\"organization.create\""});
  EXPECT_EQ(create_calls_after, create_calls_before);
}

TEST_F(GatewayApiTest, TokensAndScopesDecide401And403) {
  Api anonymous(cluster_.http_address(), "");
  auto none = anonymous.get(kOrgs);
  expect_error(none, 401, "unauthenticated");
  EXPECT_NE(none.header("www-authenticate").find("Bearer"), std::string::npos);

  Api forged(cluster_.http_address(), "kai_" + std::string(43, 'A'));
  auto bad = forged.get(kOrgs);
  expect_error(bad, 401, "unauthenticated");
  EXPECT_NE(bad.header("www-authenticate").find("invalid_token"), std::string::npos);

  Api reader(cluster_.http_address(), cluster_.tokens().reader);
  EXPECT_EQ(reader.get(kOrgs).status, 200);
  expect_error(reader.post(kOrgs, org("只读")), 403, "permission_denied");

  Api writer(cluster_.http_address(), cluster_.tokens().writer);
  auto w = writer.post(kOrgs, org("可写单位"));
  EXPECT_EQ(w.status, 201) << w.body;
  EXPECT_EQ(writer.get(kOrgs).status, 200);  // write implies read of the same service

  Api clubs(cluster_.http_address(), cluster_.tokens().clubs);
  expect_error(clubs.get(kOrgs), 403, "permission_denied");
  expect_error(clubs.post(kOrgs, org("俱乐部")), 403, "permission_denied");

  Api auditor(cluster_.http_address(), cluster_.tokens().auditor);
  expect_error(auditor.get(kOrgs), 403, "permission_denied");

  const std::string m = scrape(cluster_.ops_address());
  EXPECT_GE(metric_sum(m, "kai_gateway_auth_failures_total", {"reason=\"missing\""}), 1);
  EXPECT_GE(metric_sum(m, "kai_gateway_auth_failures_total", {"reason=\"invalid\""}), 1);
  EXPECT_GE(metric_sum(m, "kai_gateway_auth_failures_total", {"reason=\"forbidden\""}), 4);
}

TEST_F(GatewayApiTest, ConflictsAre409) {
  const json code = {{"credit_code", "91330104MA2GL1234X"}};
  ASSERT_EQ(admin_.post(kOrgs, org("第一家", code)).status, 201);
  expect_error(admin_.post(kOrgs, org("第二家", code)), 409, "already_exists");

  auto created = admin_.post(kOrgs, org("版本单位"));
  ASSERT_EQ(created.status, 201);
  const std::string path = kOrgs + "/" + std::to_string(created.json["id"].get<std::int64_t>());
  ASSERT_EQ(admin_.call("PATCH", path, R"({"tags":["一"],"expected_version":1})").status, 200);
  expect_error(admin_.call("PATCH", path, R"({"tags":["二"],"expected_version":1})"), 409,
               "aborted");
}

TEST_F(GatewayApiTest, RetriedPostWithTheSameIdempotencyKeyIsAppliedOnce) {
  const http::Headers key = {{"Idempotency-Key", "e2e-create-0001"}};
  auto first = admin_.post(kOrgs, org("幂等单位"), key);
  ASSERT_EQ(first.status, 201) << first.body;
  auto retry = admin_.post(kOrgs, org("幂等单位"), key);
  ASSERT_EQ(retry.status, 201) << retry.body;
  EXPECT_EQ(retry.json["id"], first.json["id"]);
  EXPECT_EQ(retry.json["created_at"], first.json["created_at"]);

  auto list = admin_.get(kOrgs + "?q=" + http::percent_encode("幂等单位"));
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json["items"].size(), 1u) << list.body;

  // The same key with another body is refused rather than silently replayed.
  expect_error(admin_.post(kOrgs, org("别的单位"), key), 400, "invalid_argument");
  // Keys belong to their caller: another principal's identical key is a different request.
  Api writer(cluster_.http_address(), cluster_.tokens().writer);
  auto other = writer.post(kOrgs, org("另一家幂等单位"), key);
  ASSERT_EQ(other.status, 201) << other.body;
  EXPECT_NE(other.json["id"], first.json["id"]);
  // A key that cannot be a key is refused up front.
  expect_error(admin_.post(kOrgs, org("坏键"), {{"Idempotency-Key", std::string(200, 'k')}}), 400,
               "invalid_argument", "Idempotency-Key");
}

TEST_F(GatewayApiTest, PersonalDataIsMaskedUnlessTheTokenHoldsPiiRead) {
  auto created = admin_.post(
      kOrgs, org("隐私单位", {{"contact", {{"name", "王丽"}, {"phone", "13812345678"}}}}));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json["contact"]["phone"], "13812345678");  // admin holds every scope
  const std::string path = kOrgs + "/" + std::to_string(created.json["id"].get<std::int64_t>());

  Api reader(cluster_.http_address(), cluster_.tokens().reader);
  auto masked = reader.get(path);
  ASSERT_EQ(masked.status, 200);
  EXPECT_EQ(masked.json["contact"]["phone"], "138****5678");
  EXPECT_EQ(masked.body.find("13812345678"), std::string::npos);
  auto masked_list = reader.get(kOrgs);
  EXPECT_EQ(masked_list.body.find("13812345678"), std::string::npos);
  EXPECT_NE(masked_list.body.find("138****5678"), std::string::npos);
  auto masked_csv = reader.get(kOrgs + "?format=csv");
  EXPECT_EQ(masked_csv.body.find("13812345678"), std::string::npos);
  EXPECT_NE(masked_csv.body.find("138****5678"), std::string::npos);

  Api pii(cluster_.http_address(), cluster_.tokens().pii_reader);
  auto clear = pii.get(path);
  ASSERT_EQ(clear.status, 200);
  EXPECT_EQ(clear.json["contact"]["phone"], "13812345678");

  // A writer without pii:read sees its own write masked in the answer too.
  Api writer(cluster_.http_address(), cluster_.tokens().writer);
  auto written = writer.post(
      kOrgs, org("写入单位", {{"contact", {{"name", "李"}, {"phone", "13900001111"}}}}));
  ASSERT_EQ(written.status, 201) << written.body;
  EXPECT_EQ(written.json["contact"]["phone"], "139****1111");
}

TEST_F(GatewayApiTest, EveryWriteIsAuditedAndTheLogIsQueryableAndExportable) {
  const std::string rid = "audit-e2e-0001";
  auto created = admin_.post(kOrgs, org("审计单位"),
                             {{"X-Request-Id", rid}, {"Idempotency-Key", "audit-key"}});
  ASSERT_EQ(created.status, 201);
  const std::string id = std::to_string(created.json["id"].get<std::int64_t>());
  Api reader(cluster_.http_address(), cluster_.tokens().reader);
  ASSERT_EQ(reader.post(kOrgs, org("拒绝")).status, 403);
  ASSERT_EQ(admin_.call("PATCH", kOrgs + "/" + id, R"({"tags":["三"]})").status, 200);
  ASSERT_EQ(admin_.post(kOrgs, json{{"kind", "enterprise"}}).status, 400);

  Api auditor(cluster_.http_address(), cluster_.tokens().auditor);
  auto all = auditor.get("/api/v1/audit");
  ASSERT_EQ(all.status, 200) << all.body;
  const json& items = all.json["items"];
  ASSERT_EQ(items.size(), 4u) << all.body;
  // Newest first.
  EXPECT_EQ(items[0]["outcome"], "invalid_argument");
  EXPECT_EQ(items[0]["http_status"], 400);
  EXPECT_EQ(items[1]["operation"], "membership.organization.update");
  EXPECT_EQ(items[1]["target_id"], id);
  EXPECT_EQ(items[1]["method"], "PATCH");
  EXPECT_EQ(items[1]["route"], "/api/v1/membership/organizations/{id}");
  EXPECT_EQ(items[2]["principal"], "office-reader");
  EXPECT_EQ(items[2]["outcome"], "permission_denied");
  EXPECT_EQ(items[3]["principal"], "admin");
  EXPECT_EQ(items[3]["operation"], "membership.organization.create");
  EXPECT_EQ(items[3]["target_id"], id);
  EXPECT_EQ(items[3]["request_id"], rid);
  EXPECT_EQ(items[3]["idempotency_key"], "audit-key");
  EXPECT_EQ(items[3]["outcome"], "ok");
  EXPECT_EQ(items[3]["http_status"], 201);
  EXPECT_FALSE(items[3]["at"].get<std::string>().empty());

  auto by_who = auditor.get("/api/v1/audit?principal=office-reader");
  ASSERT_EQ(by_who.status, 200);
  EXPECT_EQ(by_who.json["items"].size(), 1u);
  auto by_what = auditor.get("/api/v1/audit?operation=membership.organization.update");
  EXPECT_EQ(by_what.json["items"].size(), 1u);
  auto future = auditor.get("/api/v1/audit?from=2999-01-01T00:00:00Z");
  EXPECT_EQ(future.json["items"].size(), 0u);
  auto past = auditor.get("/api/v1/audit?to=2000-01-01T00:00:00Z");
  EXPECT_EQ(past.json["items"].size(), 0u);
  auto paged = auditor.get("/api/v1/audit?limit=3");
  ASSERT_EQ(paged.json["items"].size(), 3u);
  auto rest =
      auditor.get("/api/v1/audit?limit=3&cursor=" + paged.json["next_cursor"].get<std::string>());
  EXPECT_EQ(rest.json["items"].size(), 1u);
  expect_error(auditor.get("/api/v1/audit?from=yesterday"), 400, "invalid_argument", "from");

  auto csv = auditor.get("/api/v1/audit.csv?principal=admin");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("\xEF\xBB\xBFid,at,principal,", 0), 0u) << csv.body;
  EXPECT_NE(csv.body.find(rid), std::string::npos);
  EXPECT_EQ(csv.body.find("office-reader"), std::string::npos);
  auto csv_by_accept = auditor.get("/api/v1/audit", {{"Accept", "text/csv"}});
  EXPECT_EQ(csv_by_accept.header("content-type"), "text/csv; charset=utf-8");

  // Only audit:read (or admin) may read it.
  expect_error(reader.get("/api/v1/audit"), 403, "permission_denied");
  EXPECT_EQ(admin_.get("/api/v1/audit").status, 200);
  EXPECT_GE(metric_sum(scrape(cluster_.ops_address()), "kai_gateway_audit_records_total"), 4);
}

TEST_F(GatewayApiTest, ListsExportAsCsvFollowingCursorsWithFormulasDefused) {
  ASSERT_EQ(admin_.post(kOrgs, org("=HYPERLINK(\"http://evil\")")).status, 201);
  ASSERT_EQ(admin_.post(kOrgs, org("逗号, 引号\"单位")).status, 201);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(admin_.post(kOrgs, org("导出单位" + std::to_string(i))).status, 201);
  }
  auto csv = admin_.get(kOrgs + "?format=csv&limit=2");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_NE(csv.header("content-disposition").find(".csv"), std::string::npos);
  EXPECT_EQ(csv.body.rfind("\xEF\xBB\xBFid,name,kind", 0), 0u) << csv.body;
  int rows = 0;
  for (std::size_t p = 0; (p = csv.body.find("\r\n", p)) != std::string::npos; p += 2)
    ++rows;
  EXPECT_EQ(rows, 6) << csv.body;  // header + 5 rows gathered over 3 pages of 2
  EXPECT_NE(csv.body.find("\"'=HYPERLINK(\"\"http://evil\"\")\""), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find("\"逗号, 引号\"\"单位\""), std::string::npos) << csv.body;
  EXPECT_TRUE(csv.header("x-next-cursor").empty());

  auto by_accept = admin_.get(kOrgs, {{"Accept", "text/csv"}});
  EXPECT_EQ(by_accept.header("content-type"), "text/csv; charset=utf-8");
  expect_error(admin_.get(kOrgs + "/1?format=csv"), 400, "invalid_argument", "format");
}

TEST_F(GatewayApiTest, RequestAndTraceIdsReachTheServiceLogs) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto r =
      admin_.get(kOrgs + "?limit=1", {{"X-Request-Id", "e2e-trace-check-42"},
                                      {"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-request-id"), "e2e-trace-check-42");
  auto line = cluster_.membership().wait_for_output("e2e-trace-check-42", 10s);
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find(trace), std::string::npos) << *line;

  auto generated = admin_.get(kOrgs + "?limit=1");
  EXPECT_EQ(generated.header("x-request-id").size(), 32u);
}

TEST_F(GatewayApiTest, NewTokensApplyAfterSighupAndBadFilesKeepTheOldOnes) {
  auth::TokenEntry e;
  const std::string token = auth::generate_token();
  e.hash = auth::hash_token(token);
  e.principal = "late-joiner";
  e.scopes = {"membership:read"};
  ASSERT_TRUE(auth::append_token(cluster_.tokens_file(), e).ok());
  Api late(cluster_.http_address(), token);
  EXPECT_EQ(late.get(kOrgs).status, 401);
  cluster_.gateway().signal(SIGHUP);
  EXPECT_TRUE(wait_until([&] { return late.get(kOrgs).status == 200; }, 10s));

  // A malformed file is refused on reload; every token in force keeps working.
  { std::ofstream(cluster_.tokens_file(), std::ios::app) << "not a token line\n"; }
  cluster_.gateway().signal(SIGHUP);
  ASSERT_TRUE(cluster_.gateway().wait_for_output("tokens not reloaded", 10s));
  EXPECT_EQ(late.get(kOrgs).status, 200);
  EXPECT_EQ(admin_.get(kOrgs).status, 200);
}

TEST_F(GatewayApiTest, RedMetricsByRouteTemplateAndStatus) {
  auto created = admin_.post(kOrgs, org("指标单位"));
  ASSERT_EQ(created.status, 201);
  ASSERT_EQ(admin_.get(kOrgs + "/" + std::to_string(created.json["id"].get<std::int64_t>())).status,
            200);
  ASSERT_EQ(admin_.get(kOrgs + "/99999").status, 404);
  ASSERT_EQ(admin_.get("/api/v1/nowhere").status, 404);
  const std::string m = scrape(cluster_.ops_address());
  const std::string by_id = "route=\"/api/v1/membership/organizations/{id}\"";
  EXPECT_EQ(
      metric_sum(m, "kai_gateway_requests_total", {by_id, "status=\"200\"", "method=\"GET\""}), 1);
  EXPECT_EQ(metric_sum(m, "kai_gateway_requests_total", {by_id, "status=\"404\""}), 1);
  EXPECT_EQ(metric_sum(m, "kai_gateway_requests_total",
                       {"route=\"/api/v1/membership/organizations\"", "method=\"POST\"",
                        "status=\"201\""}),
            1);
  EXPECT_GE(metric_sum(m, "kai_gateway_requests_total", {"route=\"unmatched\"", "status=\"404\""}),
            1);
  EXPECT_EQ(metric_sum(m, "kai_gateway_request_duration_seconds_count", {by_id}), 2);
  EXPECT_GT(metric_sum(m, "kai_gateway_request_duration_seconds_sum", {by_id}), 0);
  // The ops port answers /healthz and /readyz.
  http::Client ops(cluster_.ops_address());
  EXPECT_EQ(ops.get("/healthz")->status, 200);
  EXPECT_EQ(ops.get("/readyz")->status, 200);
}

TEST_F(GatewayApiTest, SigtermDrainsAndExitsZero) {
  ASSERT_EQ(admin_.post(kOrgs, org("停机前单位")).status, 201);
  cluster_.gateway().signal(SIGTERM);
  EXPECT_EQ(cluster_.gateway().wait(30s), std::optional<int>(0)) << cluster_.gateway().output();
  EXPECT_EQ(cluster_.gateway().count_output("gateway stopped"), 1);
}

TEST(GatewayLimitsTest, EachTokenIsRateLimitedWith429AndRetryAfter) {
  GatewayCluster cluster({.gateway_args = {"--rate-limit=1", "--rate-burst=3"}});
  Api reader(cluster.http_address(), cluster.tokens().reader);
  int ok = 0;
  ApiResponse limited;
  for (int i = 0; i < 10 && limited.status != 429; ++i) {
    ApiResponse r = reader.get(kOrgs + "?limit=1");
    if (r.status == 200) ++ok;
    if (r.status == 429) limited = r;
  }
  ASSERT_EQ(limited.status, 429);
  expect_error(limited, 429, "resource_exhausted");
  EXPECT_GE(std::stoi(limited.header("retry-after")), 1);
  EXPECT_GE(ok, 3);  // the burst
  // Another token has its own bucket.
  Api pii(cluster.http_address(), cluster.tokens().pii_reader);
  EXPECT_EQ(pii.get(kOrgs + "?limit=1").status, 200);
  EXPECT_GE(metric_sum(scrape(cluster.ops_address()), "kai_gateway_rate_limited_total"), 1);
}

TEST(GatewayLimitsTest, ARequestPastItsDeadlineIs504AndTheGatewayCarriesOn) {
  GatewayCluster cluster({.gateway_args = {"--request-timeout=1s"}});
  Api admin(cluster.http_address(), cluster.tokens().admin);
  cluster.membership().signal(SIGSTOP);
  auto r = admin.get(kOrgs + "?limit=1");
  cluster.membership().signal(SIGCONT);
  expect_error(r, 504, "deadline_exceeded");
  EXPECT_TRUE(wait_until([&] { return admin.get(kOrgs + "?limit=1").status == 200; }, 20s));
}

}  // namespace
}  // namespace kai::testing
