#include "gateway/openapi_document.hpp"

#include <exception>

#include <nlohmann/json.hpp>

namespace kai::gateway {
namespace {

using Json = nlohmann::ordered_json;

Json error_response(std::string description) {
  return {{"description", std::move(description)},
          {"headers", {{"X-Request-Id", {{"$ref", "#/components/headers/X-Request-Id"}}}}},
          {"content",
           {{"application/json", {{"schema", {{"$ref", "#/components/schemas/common.Error"}}}}}}}};
}

Json format_parameter() {
  return {{"name", "format"},
          {"in", "query"},
          {"required", false},
          {"description",
           "`csv` answers text/csv (for spreadsheets) instead of JSON, like `Accept: text/csv`; "
           "a CSV export follows next_cursor itself and sets X-Next-Cursor when rows remain."},
          {"schema", {{"type", "string"}, {"enum", {"json", "csv"}}, {"default", "json"}}}};
}

Json audit_parameters(bool with_format) {
  Json params = Json::array();
  params.push_back({{"name", "principal"},
                    {"in", "query"},
                    {"required", false},
                    {"description", "Only writes by this principal."},
                    {"schema", {{"type", "string"}, {"maxLength", 128}}}});
  params.push_back({{"name", "operation"},
                    {"in", "query"},
                    {"required", false},
                    {"description", "Only this operation, e.g. membership.organization.create."},
                    {"schema", {{"type", "string"}, {"maxLength", 128}}}});
  params.push_back({{"name", "from"},
                    {"in", "query"},
                    {"required", false},
                    {"description", "Only writes at or after this time (RFC 3339)."},
                    {"schema", {{"type", "string"}, {"format", "date-time"}}}});
  params.push_back({{"name", "to"},
                    {"in", "query"},
                    {"required", false},
                    {"description", "Only writes before this time (RFC 3339)."},
                    {"schema", {{"type", "string"}, {"format", "date-time"}}}});
  params.push_back({{"name", "limit"},
                    {"in", "query"},
                    {"required", false},
                    {"description", "Most records to return (newest first)."},
                    {"schema",
                     {{"type", "integer"},
                      {"format", "int32"},
                      {"minimum", 1},
                      {"maximum", 10000},
                      {"default", 100}}}});
  params.push_back({{"name", "cursor"},
                    {"in", "query"},
                    {"required", false},
                    {"description", "next_cursor of the previous page."},
                    {"schema", {{"type", "string"}, {"maxLength", 32}}}});
  if (with_format) params.push_back(format_parameter());
  params.push_back({{"$ref", "#/components/parameters/RequestId"}});
  return params;
}

Json audit_operation(bool csv_only) {
  Json ok_content = Json::object();
  if (!csv_only) {
    ok_content["application/json"] = {
        {"schema", {{"$ref", "#/components/schemas/gateway.AuditPage"}}}};
  }
  ok_content["text/csv"] = {{"schema", {{"type", "string"}}}};
  Json responses = {
      {"200",
       {{"description", "OK"},
        {"headers",
         {{"X-Request-Id", {{"$ref", "#/components/headers/X-Request-Id"}}},
          {"X-Next-Cursor",
           {{"description", "CSV only: the cursor of the next page when more records match."},
            {"schema", {{"type", "string"}}}}}}},
        {"content", ok_content}}},
      {"400", error_response("Bad request: `invalid_argument`")},
      {"401", error_response("Unauthenticated: `unauthenticated`")},
      {"403", error_response("Forbidden: `permission_denied`")},
      {"429", error_response("Too many requests: `resource_exhausted`")},
      {"500", error_response("Internal error: `internal`")},
      {"503", error_response("Unavailable: `unavailable`")},
  };
  return {{"operationId", csv_only ? "gateway.audit.export" : "gateway.audit.list"},
          {"summary", csv_only ? "The audit log as CSV." : "The audit log of writes."},
          {"description",
           "Every write made through the gateway: who (principal, department), what (operation, "
           "route), which record (target_id), when, the request id and the outcome, newest "
           "first. Requires scope `audit:read` (or `admin`)."},
          {"tags", {"gateway"}},
          {"parameters", audit_parameters(!csv_only)},
          {"responses", responses},
          {"security", {{{"bearer", Json::array()}}}},
          {"x-kai-scopes", {"audit:read"}}};
}

Json public_operation(std::string id, std::string summary, Json content, Json parameters) {
  Json op = {{"operationId", std::move(id)},
             {"summary", std::move(summary)},
             {"tags", {"gateway"}},
             {"security", Json::array()},
             {"responses", {{"200", {{"description", "OK"}, {"content", std::move(content)}}}}}};
  if (!parameters.empty()) {
    op["parameters"] = std::move(parameters);
    op["responses"]["404"] = error_response("No such file: `not_found`");
  }
  return op;
}

Json audit_schemas() {
  Json str = {{"type", "string"}};
  Json record = {
      {"type", "object"},
      {"description", "One write made through the gateway."},
      {"required",
       {"id", "at", "principal", "department", "operation", "method", "route", "target_id",
        "request_id", "idempotency_key", "outcome", "http_status"}},
      {"properties",
       {{"id", {{"type", "integer"}, {"format", "int64"}}},
        {"at", {{"type", "string"}, {"format", "date-time"}}},
        {"principal", str},
        {"department", str},
        {"operation", {{"type", "string"}, {"example", "membership.organization.create"}}},
        {"method", str},
        {"route", {{"type", "string"}, {"example", "/api/v1/membership/organizations"}}},
        {"target_id",
         {{"type", "string"}, {"description", "The record written; empty when none."}}},
        {"request_id", str},
        {"idempotency_key", str},
        {"outcome", {{"$ref", "#/components/schemas/common.ErrorCode"}}},
        {"http_status", {{"type", "integer"}, {"format", "int32"}}}}}};
  // `outcome` may also be "ok", which ErrorCode does not list.
  record["properties"]["outcome"] = {{"type", "string"},
                                     {"description", "`ok` or the error code of the answer."}};
  Json page = {
      {"type", "object"},
      {"description", "A page of the audit log."},
      {"required", {"items"}},
      {"properties",
       {{"items",
         {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/gateway.AuditRecord"}}}}},
        {"next_cursor", {{"type", "string"}}}}}};
  return {{"gateway.AuditRecord", record}, {"gateway.AuditPage", page}};
}

}  // namespace

Result<std::string> build_openapi_document(std::string_view generated) {
  try {
    Json doc = Json::parse(generated);
    if (!doc.is_object() || !doc.contains("paths") || !doc["paths"].is_object()) {
      return invalid_argument("the generated OpenAPI document has no paths");
    }
    for (auto& [path, item] : doc["paths"].items()) {
      for (auto& [method, op] : item.items()) {
        if (!op.is_object()) continue;
        const bool list = method == "get" && op.contains("responses") &&
                          op["responses"].contains("200") &&
                          op["responses"]["200"].contains("content") &&
                          op["responses"]["200"]["content"].contains("text/csv");
        if (list) {
          Json& params = op["parameters"];
          if (!params.is_array()) params = Json::array();
          params.push_back(format_parameter());
          op["responses"]["200"]["headers"]["X-Next-Cursor"] = {
              {"description", "CSV only: the cursor of the next page when rows remain."},
              {"schema", {{"type", "string"}}}};
        }
        if (method == "post" || method == "put" || method == "patch") {
          op["responses"]["413"] = error_response("Request body too large");
          op["responses"]["415"] = error_response("Body is not application/json");
        }
      }
    }
    doc["tags"].push_back({{"name", "gateway"},
                           {"description",
                            "The gateway's own routes: the audit log, this document and the "
                            "API page."}});
    doc["paths"]["/audit"] = {{"get", audit_operation(false)}};
    doc["paths"]["/audit.csv"] = {{"get", audit_operation(true)}};
    doc["paths"]["/openapi.json"] = {
        {"get", public_operation("gateway.openapi", "This OpenAPI document.",
                                 {{"application/json", {{"schema", {{"type", "object"}}}}}},
                                 Json::array())}};
    doc["paths"]["/docs"] = {
        {"get",
         public_operation("gateway.docs", "The browsable API page.",
                          {{"text/html", {{"schema", {{"type", "string"}}}}}}, Json::array())}};
    Json asset_param = Json::array();
    asset_param.push_back({{"name", "asset"},
                           {"in", "path"},
                           {"required", true},
                           {"description", "A file of the API page (scripts, styles, icons)."},
                           {"schema", {{"type", "string"}}}});
    doc["paths"]["/docs/{asset}"] = {
        {"get", public_operation("gateway.docs.asset", "A file of the API page.",
                                 {{"application/octet-stream",
                                   {{"schema", {{"type", "string"}, {"format", "binary"}}}}}},
                                 asset_param)}};
    const Json schemas = audit_schemas();
    for (auto it = schemas.begin(); it != schemas.end(); ++it) {
      doc["components"]["schemas"][it.key()] = it.value();
    }
    return doc.dump();
  } catch (const std::exception& e) {
    return invalid_argument(std::string("the generated OpenAPI document is not valid: ") +
                            e.what());
  }
}

}  // namespace kai::gateway
