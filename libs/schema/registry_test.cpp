// Drift tests for the platform's real schemas: the registry (all_services()), the generated
// OpenAPI document and the status codes of libs/common must agree, and the fixed contract of
// DESIGN.md §3 must hold.
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/status.hpp"
#include "schema/all_services.hpp"
#include "schema/common.hpp"
#include "schema/membership.hpp"
#include "schema/openapi.hpp"
#include "schema/transcode.hpp"
#include "schema/unpack.hpp"
#include "schema/validate.hpp"

namespace kai::schema {
namespace {

using nlohmann::json;

json openapi() {
  return json::parse(openapi_json());
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

TEST(RegistryTest, OpenApiRoutesAreExactlyTheHttpBindings) {
  std::set<std::pair<std::string, std::string>> bindings;
  for (const ServiceDesc* s : all_services()) {
    for (const OperationDesc& op : s->operations) {
      if (op.http == nullptr) continue;
      EXPECT_TRUE(bindings.emplace(std::string(op.http->path), lower(op.http->method)).second)
          << "duplicate route " << op.http->method << " " << op.http->path;
    }
  }
  std::set<std::pair<std::string, std::string>> documented;
  const json doc = openapi();
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const auto& [method, operation] : item.items())
      documented.emplace(path, method);
  }
  EXPECT_EQ(bindings, documented);
  EXPECT_EQ(doc.at("servers").at(0).at("url"), "/api/v1");
  EXPECT_EQ(doc.at("openapi"), "3.0.3");
}

TEST(RegistryTest, OpenApiDocumentsEachRouteFromItsDescriptor) {
  const json doc = openapi();
  for (const ServiceDesc* s : all_services()) {
    for (const OperationDesc& op : s->operations) {
      if (op.http == nullptr) continue;
      const json& o = doc.at("paths").at(std::string(op.http->path)).at(lower(op.http->method));
      SCOPED_TRACE(std::string(op.name));
      EXPECT_EQ(o.at("x-kai-operation"), std::string(op.name));
      EXPECT_EQ(o.at("x-kai-service"), std::string(s->name));
      EXPECT_EQ(o.at("x-kai-scopes"), json::array({std::string(op.scope)}));
      EXPECT_EQ(op.scope, std::string(s->name) + (op.write ? ":write" : ":read"));
      const json& responses = o.at("responses");
      EXPECT_TRUE(responses.contains(std::to_string(op.http->status)));
      // Every declared code is documented at the HTTP status libs/common maps it to.
      for (StatusCode code : op.errors) {
        const std::string status = std::to_string(http_status_for(code));
        ASSERT_TRUE(responses.contains(status)) << status_code_name(code);
        EXPECT_NE(responses.at(status)
                      .at("description")
                      .get<std::string>()
                      .find(std::string(status_code_name(code))),
                  std::string::npos);
      }
      for (int status : {400, 401, 403, 429, 500, 503, 504}) {
        EXPECT_TRUE(responses.contains(std::to_string(status))) << status;
      }
      bool idempotency = false;
      for (const json& p : o.at("parameters")) {
        if (p.contains("$ref") && p.at("$ref") == "#/components/parameters/IdempotencyKey") {
          idempotency = true;
        }
      }
      EXPECT_EQ(idempotency, op.write);
      EXPECT_EQ(o.contains("requestBody"), op.http->method != "GET" && op.http->method != "DELETE");
    }
  }
}

TEST(RegistryTest, ErrorCodeEnumIsThePlatformsStatusSet) {
  const MessageDesc& detail = msg::common::ErrorDetail::desc();
  const FieldDesc* code = detail.find("code");
  ASSERT_NE(code, nullptr);
  ASSERT_NE(code->enumeration, nullptr);
  std::set<std::string> from_schema(code->enumeration->values.begin(),
                                    code->enumeration->values.end());
  std::set<std::string> from_code;
  for (int i = 1; i < kStatusCodeCount; ++i) {
    from_code.emplace(status_code_name(static_cast<StatusCode>(i)));
  }
  EXPECT_EQ(from_schema, from_code);
}

TEST(RegistryTest, EveryServiceAnswersTheStandardOperations) {
  ASSERT_FALSE(all_services().empty());
  for (const ServiceDesc* s : all_services()) {
    const OperationDesc* since = s->find_operation("events.since");
    ASSERT_NE(since, nullptr) << s->name;
    EXPECT_TRUE(since->standard);
    EXPECT_EQ(since->http, nullptr);
    EXPECT_EQ(since->service, s->name);
    EXPECT_EQ(since->request, &msg::common::EventsSinceRequest::desc());
    for (const EventDesc& e : s->events) {
      EXPECT_EQ(e.topic.substr(0, s->name.size() + 1), std::string(s->name) + ".");
      EXPECT_EQ(find_event(e.topic), &e);
    }
  }
}

// Every pattern compiles, every example and default satisfies its own field.
void check_field(const FieldDesc& f, const std::string& path) {
  SCOPED_TRACE(path);
  if (f.pattern != nullptr) {
    EXPECT_TRUE(f.pattern->compile().ok()) << f.pattern->source();
  }
  for (std::string_view sample : {f.example_json, f.default_json}) {
    if (sample.empty()) continue;
    // Through the JSON transcoder, as a client would send it, inside a one-field message.
    const FieldDesc copy = [&] {
      FieldDesc c = f;
      c.required = true;
      return c;
    }();
    const FieldDesc fields[] = {copy};
    const MessageDesc one{.name = "One", .full_name = "test.One", .fields = fields};
    auto r = json_to_msgpack("{\"" + std::string(f.name) + "\":" + std::string(sample) + "}", one);
    EXPECT_TRUE(r.ok()) << sample << ": " << r.status().to_string();
  }
  if (f.items != nullptr) check_field(*f.items, path + "[]");
}

TEST(RegistryTest, PatternsExamplesAndDefaultsAreValid) {
  ASSERT_FALSE(all_messages().empty());
  for (const MessageDesc* m : all_messages()) {
    EXPECT_EQ(find_message(m->full_name), m);
    for (const FieldDesc& f : m->fields)
      check_field(f, std::string(m->full_name) + "." + std::string(f.name));
  }
}

TEST(RegistryTest, MembershipContractFromTheDesign) {
  using namespace msg::membership;
  static_assert(OrganizationCreate::name == "organization.create");
  static_assert(OrganizationGet::name == "organization.get");
  static_assert(OrganizationList::name == "organization.list");
  static_assert(std::is_same_v<OrganizationCreate::Reply, Organization>);
  const OperationDesc* create = find_operation("membership", "organization.create");
  ASSERT_NE(create, nullptr);
  ASSERT_NE(create->http, nullptr);
  EXPECT_EQ(create->http->method, "POST");
  EXPECT_EQ(create->http->path, "/membership/organizations");
  EXPECT_EQ(create->http->status, 201);
  EXPECT_TRUE(create->write);
  const OperationDesc* get = find_operation("membership", "organization.get");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->http->path, "/membership/organizations/{id}");
  EXPECT_TRUE(get->declares(StatusCode::not_found));
  const OperationDesc* list = find_operation("membership", "organization.list");
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->http->path, "/membership/organizations");
  EXPECT_TRUE(list->http->list);
  EXPECT_NE(find_operation("membership", "organization.update"), nullptr);
  EXPECT_NE(find_event("membership.organization.changed"), nullptr);

  // POST body: name + kind "enterprise", optional contact {name, phone} with phone as pii.
  auto body = json_to_msgpack(R"({"name":"杭州凯旋科技有限公司","kind":"enterprise",)"
                              R"("contact":{"name":"王丽","phone":"13812345678"}})",
                              *create->request);
  ASSERT_TRUE(body.ok()) << body.status().to_string();
  EXPECT_TRUE(json_to_msgpack(R"({"name":"x","kind":"enterprise"})", *create->request).ok());
  const FieldDesc* contact = Organization::desc().find("contact");
  ASSERT_NE(contact, nullptr);
  EXPECT_EQ(contact->message->find("phone")->pii, PiiKind::phone);
  EXPECT_TRUE(Organization::desc().find("id")->required);

  // GET ?limit=N&cursor=C, answered with {"items": [...], "next_cursor": ...}.
  EXPECT_TRUE(params_to_msgpack({{"limit", "10"}, {"cursor", "abc"}}, *list->request).ok());
  EXPECT_TRUE(params_to_msgpack({{"id", "42"}}, *get->request).ok());
  OrganizationListReply reply;
  reply.items.emplace_back();
  reply.items[0].id = 1;
  reply.items[0].name = "凯旋";
  reply.items[0].kind = OrganizationKind::enterprise;
  reply.items[0].contact.emplace();
  reply.items[0].contact->name = "王丽";
  reply.items[0].contact->phone = "13812345678";
  reply.items[0].version = 1;
  reply.items[0].created_at = 1719705600000;
  reply.items[0].updated_at = 1719705600000;
  reply.next_cursor = "c2";
  auto h = unpack(encode(reply));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(validate(h->get(), *list->reply).ok());
  std::string out;
  ASSERT_TRUE(msgpack_to_json(h->get(), *list->reply, {.mask_pii = true}, out).ok());
  const json j = json::parse(out);
  EXPECT_EQ(j.at("items").at(0).at("kind"), "enterprise");
  EXPECT_EQ(j.at("items").at(0).at("contact").at("phone"), "138****5678");
  EXPECT_EQ(j.at("items").at(0).at("created_at"), "2024-06-30T00:00:00Z");
  EXPECT_EQ(j.at("next_cursor"), "c2");
}

// Compile-time: every service's Operations tuple names tags with a descriptor of that service.
template <typename Tuple, std::size_t... I>
void check_tags(const ServiceDesc& s, std::index_sequence<I...>) {
  (
      [&] {
        using Op = std::tuple_element_t<I, Tuple>;
        EXPECT_EQ(&Op::desc(), s.find_operation(Op::name));
        EXPECT_EQ(Op::desc().request, &Op::Request::desc());
        EXPECT_EQ(Op::desc().reply, &Op::Reply::desc());
        EXPECT_EQ(Op::service, s.name);
      }(),
      ...);
}

TEST(RegistryTest, MembershipOperationTags) {
  using Ops = msg::membership::Operations;
  check_tags<Ops>(msg::membership::service_desc(),
                  std::make_index_sequence<std::tuple_size_v<Ops>>());
  EXPECT_EQ(std::tuple_size_v<Ops>, msg::membership::service_desc().operations.size());
}

TEST(RegistryTest, FindWithAHintFindsEveryFieldInAnyOrder) {
  const MessageDesc& desc = msg::membership::Organization::desc();
  ASSERT_GE(desc.fields.size(), 3u);
  std::size_t next = 0;
  for (const FieldDesc& f : desc.fields) {  // declaration order: each found where expected
    EXPECT_EQ(desc.find(f.name, next), &f);
    EXPECT_EQ(next, static_cast<std::size_t>(&f - desc.fields.data()) + 1);
  }
  EXPECT_EQ(next, desc.fields.size());
  for (std::size_t i = desc.fields.size(); i-- > 0;) {  // reverse order: the hint is wrong
    EXPECT_EQ(desc.find(desc.fields[i].name, next), &desc.fields[i]);
    EXPECT_EQ(desc.find(desc.fields[i].name), &desc.fields[i]);
  }
  const std::size_t before = next;
  EXPECT_EQ(desc.find("no_such_field", next), nullptr);
  EXPECT_EQ(next, before);
}

}  // namespace
}  // namespace kai::schema
