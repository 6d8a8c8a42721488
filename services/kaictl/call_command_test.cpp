#include "kaictl/call_command.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kaictl/kaictl_test_util.hpp"
#include "schema/all_services.hpp"
#include "schema/transcode.hpp"

namespace kai::kaictl {
namespace {

using testing::run_kaictl;

// An address where no broker listens: tests that must fail before the bus is used point here.
const std::map<std::string, std::string> kNoBroker = {{"KAI_BROKER", "tcp://127.0.0.1:9"},
                                                      {"KAI_TIMEOUT", "200ms"}};

const schema::OperationDesc& op(std::string_view service, std::string_view name) {
  auto found = find_call_operation(service, name);
  EXPECT_TRUE(found.ok()) << found.status().to_string();
  return **found;
}

nlohmann::json error_of(const std::string& err) {
  const std::string first_line = err.substr(0, err.find('\n'));
  return nlohmann::json::parse(first_line)["error"];
}

TEST(KaictlCall, UnknownServicesAndOperationsAreNamedWithTheKnownOnes) {
  auto svc = find_call_operation("parking", "lot.get");
  ASSERT_FALSE(svc.ok());
  EXPECT_EQ(svc.status().code(), StatusCode::invalid_argument);
  EXPECT_EQ(svc.status().field(), "service");
  EXPECT_NE(svc.status().message().find("'parking'"), std::string::npos);
  EXPECT_NE(svc.status().message().find("membership"), std::string::npos);

  auto unknown_op = find_call_operation("membership", "organization.destroy");
  ASSERT_FALSE(unknown_op.ok());
  EXPECT_EQ(unknown_op.status().field(), "op");
  EXPECT_NE(unknown_op.status().message().find("organization.create"), std::string::npos);

  const schema::OperationDesc& create = op("membership", "organization.create");
  EXPECT_TRUE(create.write);
  EXPECT_FALSE(op("membership", "organization.get").write);
}

TEST(KaictlCall, RequestsAreTranscodedAndValidatedAgainstTheSchema) {
  const schema::OperationDesc& create = op("membership", "organization.create");
  auto good = request_payload(create, R"({"name":"杭州凯旋科技有限公司","kind":"enterprise",
      "contact":{"name":"王丽","phone":"13812345678"}})");
  ASSERT_TRUE(good.ok()) << good.status().to_string();

  struct Case {
    std::string json;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"kind":"enterprise"})", "name"},
      {R"({"name":"x","kind":"spaceship"})", "kind"},
      {R"({"name":"","kind":"enterprise"})", "name"},
      {R"({"name":"x","kind":"enterprise","contact":{"name":"w","phone":"call me"}})",
       "contact.phone"},
      {R"({"name":"x","kind":"enterprise","colour":"red"})", "colour"},
      {R"({"name":42,"kind":"enterprise"})", "name"},
  };
  for (const Case& c : cases) {
    auto bad = request_payload(create, c.json);
    ASSERT_FALSE(bad.ok()) << c.json;
    EXPECT_EQ(bad.status().code(), StatusCode::invalid_argument);
    EXPECT_EQ(bad.status().field(), c.field) << c.json << ": " << bad.status().to_string();
  }
  EXPECT_FALSE(request_payload(create, R"({"name":"x",)").ok());
  EXPECT_FALSE(request_payload(create, "[1,2]").ok());
  // Blank input is the empty request: fine for a list, missing the name of a create.
  EXPECT_TRUE(request_payload(op("membership", "organization.list"), " \n").ok());
  EXPECT_EQ(request_payload(create, "").status().field(), "name");
}

TEST(KaictlCall, RepliesAreRenderedAsJsonWithPersonalDataMaskedOnlyWhenAsked) {
  const schema::OperationDesc& get = op("membership", "organization.get");
  auto payload = schema::json_to_msgpack(
      R"({"id":7,"name":"凯旋街道社区","kind":"social","contact":{"name":"王丽",
          "phone":"13812345678"},"version":1,"created_at":"2026-11-25T08:00:00Z",
          "updated_at":"2026-11-25T08:00:00.5Z"})",
      *get.reply);
  ASSERT_TRUE(payload.ok()) << payload.status().to_string();

  auto plain = render_reply(get, *payload, false, false);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  const auto j = nlohmann::json::parse(*plain);
  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j["name"], "凯旋街道社区");
  EXPECT_EQ(j["contact"]["phone"], "13812345678");
  EXPECT_EQ(j["updated_at"], "2026-11-25T08:00:00.500Z");
  EXPECT_EQ(plain->find('\n'), std::string::npos);

  auto masked = render_reply(get, *payload, true, true);
  ASSERT_TRUE(masked.ok());
  EXPECT_EQ(nlohmann::json::parse(*masked)["contact"]["phone"], "138****5678");
  EXPECT_NE(masked->find("\n  \"contact\""), std::string::npos) << *masked;

  auto garbage = render_reply(get, "\xc1", false, false);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::internal);
  auto wrong_type = render_reply(get, "\x81\xa2id\xa3one", false, false);  // {"id":"one"}
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.status().code(), StatusCode::internal);
}

TEST(KaictlCall, ErrorJsonCarriesCodeMessageFieldAndIds) {
  const auto full = nlohmann::json::parse(
      error_json(invalid_argument("name: \"quoted\"\nnewline", "contact.phone"), "rid-1", "ik-2"));
  EXPECT_EQ(full["error"]["code"], "invalid_argument");
  EXPECT_EQ(full["error"]["message"], "name: \"quoted\"\nnewline");
  EXPECT_EQ(full["error"]["field"], "contact.phone");
  EXPECT_EQ(full["error"]["request_id"], "rid-1");
  EXPECT_EQ(full["error"]["idempotency_key"], "ik-2");
  const auto bare = nlohmann::json::parse(error_json(not_found("gone"), "", ""));
  EXPECT_EQ(bare["error"]["code"], "not_found");
  EXPECT_FALSE(bare["error"].contains("field"));
  EXPECT_FALSE(bare["error"].contains("request_id"));
  EXPECT_FALSE(bare["error"].contains("idempotency_key"));
}

TEST(KaictlCall, CommandReportsUnknownNamesAsUsageErrorsInJson) {
  auto r = run_kaictl({"call", "parking", "lot.get", "{}"}, kNoBroker);
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(error_of(r.err)["field"], "service");
  r = run_kaictl({"call", "membership", "organization.destroy", "{}"}, kNoBroker);
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(error_of(r.err)["field"], "op");
  EXPECT_TRUE(r.out.empty());
}

TEST(KaictlCall, CommandRefusesBadInputBeforeUsingTheBus) {
  auto r = run_kaictl({"call", "membership", "organization.create", R"({"kind":"enterprise"})"},
                      kNoBroker);
  EXPECT_EQ(r.code, kExitFailed);
  auto e = error_of(r.err);
  EXPECT_EQ(e["code"], "invalid_argument");
  EXPECT_EQ(e["field"], "name");
  EXPECT_EQ(e["request_id"].get<std::string>().size(), 32u);

  r = run_kaictl({"call", "membership", "organization.create", "{not json"}, kNoBroker);
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_EQ(error_of(r.err)["code"], "invalid_argument");

  // From stdin: "-" or no argument.
  r = run_kaictl({"call", "membership", "organization.create", "-"}, kNoBroker,
                 R"({"name":"x","kind":"rocket"})");
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_EQ(error_of(r.err)["field"], "kind");
  r = run_kaictl({"call", "membership", "organization.create"}, kNoBroker,
                 R"({"name":"x","kind":"enterprise","extra":1})");
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_EQ(error_of(r.err)["field"], "extra");
  // No argument and a terminal on stdin: the empty request.
  r = run_kaictl({"call", "membership", "organization.create"}, kNoBroker, "", true);
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_EQ(error_of(r.err)["field"], "name");
  // Oversized input on stdin.
  r = run_kaictl({"call", "membership", "organization.create"}, kNoBroker,
                 "{\"name\":\"" + std::string(2u << 20, 'a') + "\"}");
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_EQ(error_of(r.err)["code"], "invalid_argument");
}

TEST(KaictlCall, IdempotencyKeysAreForWritesOnly) {
  auto r = run_kaictl(
      {"call", "membership", "organization.get", R"({"id":1})", "--idempotency-key=k1"}, kNoBroker);
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(error_of(r.err)["field"], "idempotency-key");
  r = run_kaictl({"call", "membership", "organization.create", R"({"name":"x","kind":"social"})",
                  "--idempotency-key=" + std::string(200, 'k')},
                 kNoBroker);
  EXPECT_EQ(r.code, kExitUsage);
}

TEST(KaictlCall, AnUnreachableBrokerIsReportedWithTheWritesIdempotencyKey) {
  auto r =
      run_kaictl({"call", "membership", "organization.create", R"({"name":"x","kind":"social"})",
                  "--idempotency-key=retry-me", "--request-id=req-9"},
                 kNoBroker);
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_TRUE(r.out.empty());
  auto e = error_of(r.err);
  EXPECT_TRUE(e["code"] == "unavailable" || e["code"] == "deadline_exceeded") << r.err;
  EXPECT_EQ(e["request_id"], "req-9");
  EXPECT_EQ(e["idempotency_key"], "retry-me");
}

}  // namespace
}  // namespace kai::kaictl
