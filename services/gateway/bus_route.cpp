// The bus routes of the gateway: HTTP request -> validated MessagePack -> bus call -> JSON or CSV.
#include <string>

#include "common/log.hpp"
#include "gateway/api_error.hpp"
#include "gateway/gateway.hpp"
#include "gateway/gateway_exchange.hpp"
#include "schema/codec.hpp"
#include "schema/unpack.hpp"

namespace kai::gateway {
namespace {

// 1..128 visible ASCII characters, as OpenAPI documents the header.
bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 128) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// The media type of the first range of an Accept header ("text/csv" of "text/csv;q=1, ...").
std::string_view first_media_range(std::string_view accept) {
  const std::size_t end = accept.find_first_of(",;");
  std::string_view r = accept.substr(0, end);
  while (!r.empty() && r.front() == ' ')
    r.remove_prefix(1);
  while (!r.empty() && r.back() == ' ')
    r.remove_suffix(1);
  return r;
}

bool is_json_content_type(std::string_view ct) {
  const std::string_view type = first_media_range(ct);
  return http::iequals(type, "application/json");
}

const msgpack::object* member(const msgpack::object& map, std::string_view name) {
  for (const msgpack::object_kv& kv : schema::codec::entries(map)) {
    if (schema::codec::key_of(kv.key) == name) return &kv.val;
  }
  return nullptr;
}

// The id of the record a reply describes ("42"), empty when it has none.
std::string reply_id(const msgpack::object& reply) {
  const msgpack::object* id = member(reply, "id");
  if (id == nullptr) return {};
  if (id->type == msgpack::type::POSITIVE_INTEGER) return std::to_string(id->via.u64);
  if (id->type == msgpack::type::NEGATIVE_INTEGER) return std::to_string(id->via.i64);
  if (id->type == msgpack::type::STR) return std::string(id->via.str.ptr, id->via.str.size);
  return {};
}

// The target of a write before any reply: its `id` path parameter, else the last one.
std::string path_target(const std::vector<std::pair<std::string, std::string>>& params) {
  for (const auto& [k, v] : params) {
    if (k == "id") return v;
  }
  return params.empty() ? std::string() : params.back().second;
}

// The item message of a list reply: the message of its `items` field.
const schema::MessageDesc* list_item(const schema::OperationDesc& op) {
  const schema::FieldDesc* items = op.reply->find("items");
  if (items == nullptr || items->items == nullptr || items->items->message == nullptr) {
    return nullptr;
  }
  return items->items->message;
}

std::string csv_file_name(const Route& r) {
  std::string name;
  for (const std::string& seg : r.segments) {
    if (seg == "api" || seg == "v1" || seg.front() == '{') continue;
    name += (name.empty() ? "" : "-") + seg;
  }
  return name + ".csv";
}

}  // namespace

void Gateway::handle_bus_route(http::Request& req, std::shared_ptr<Exchange> ex,
                               const RouteMatch& m) {
  const schema::OperationDesc& op = *m.route->op;
  ex->route = m.route;
  ex->path_params = m.params;

  ex->principal = authenticate(req, *ex);
  if (ex->principal == nullptr) return;
  ex->mask_pii = !auth::has_scope(*ex->principal, "pii:read");

  // A write is audited whatever happens from here on, refusals included.
  auto refuse = [&](http::Response resp, const Status& st) {
    if (op.write) {
      finish_write(ex, std::move(resp), st.code(), path_target(ex->path_params));
    } else {
      ex->finish(std::move(resp));
    }
  };
  if (Status st = check_scope(*ex->principal, op.scope); !st.ok()) {
    refuse(api_error(st, ex->request_id), st);
    return;
  }

  if (op.write) {
    if (auto key = req.header("idempotency-key")) {
      if (!valid_idempotency_key(*key)) {
        Status st = invalid_argument("Idempotency-Key must be 1 to 128 visible ASCII characters",
                                     "Idempotency-Key");
        refuse(api_error(st, ex->request_id), st);
        return;
      }
      ex->client_key = std::string(*key);
      // Scoped to the principal, so one caller's key can never replay another caller's reply.
      ex->bus_key = "http:" + auth::hash_token(ex->principal->principal + "\n" + ex->client_key);
    }
  }

  auto query = http::parse_query(req.query);
  if (!query.ok()) {
    Status st = invalid_argument(query.status().message(), "query");
    refuse(api_error(st, ex->request_id), st);
    return;
  }
  schema::Params query_params;
  std::string format;
  for (auto& [k, v] : *query) {
    if (k == "format") {
      format = v;
    } else {
      query_params.emplace_back(std::move(k), std::move(v));
    }
  }
  if (!format.empty() && format != "json" && format != "csv") {
    Status st = invalid_argument("format must be json or csv", "format");
    refuse(api_error(st, ex->request_id), st);
    return;
  }
  const bool list = op.http->list;
  if (format == "csv" && !list) {
    Status st = invalid_argument("CSV export is offered by list routes only", "format");
    refuse(api_error(st, ex->request_id), st);
    return;
  }
  if (list &&
      (format == "csv" || (format.empty() && req.header("accept") &&
                           http::iequals(first_media_range(*req.header("accept")), "text/csv")))) {
    const schema::MessageDesc* item = list_item(op);
    if (item != nullptr) {
      ex->csv = true;
      ex->columns = csv_columns(*item);
    }
  }

  Result<std::string> payload = std::string();
  if (m.route->body) {
    if (!query_params.empty()) {
      Status st = invalid_argument("unknown query parameter '" + query_params.front().first +
                                       "': this route takes a JSON body",
                                   query_params.front().first);
      refuse(api_error(st, ex->request_id), st);
      return;
    }
    if (auto ct = req.header("content-type");
        ct && !req.body.empty() && !is_json_content_type(*ct)) {
      Status st = invalid_argument("the body must be application/json", "Content-Type");
      refuse(api_error(415, st, ex->request_id), st);
      return;
    }
    schema::Params params(ex->path_params.begin(), ex->path_params.end());
    payload = schema::request_to_msgpack(*op.request, params, req.body);
  } else {
    if (!req.body.empty()) {
      Status st =
          invalid_argument(req.method + " takes no body; pass parameters in the query", "body");
      refuse(api_error(st, ex->request_id), st);
      return;
    }
    ex->params.assign(ex->path_params.begin(), ex->path_params.end());
    for (auto& p : query_params)
      ex->params.push_back(std::move(p));
    if (ex->csv && !http::query_value(ex->params, "limit")) {
      // A CSV export gathers every page: ask for the largest pages the operation allows.
      const schema::FieldDesc* limit = op.request->find("limit");
      if (limit != nullptr && limit->max_int) {
        ex->params.emplace_back("limit", std::to_string(*limit->max_int));
      }
    }
    payload = schema::params_to_msgpack(ex->params, *op.request);
  }
  if (!payload.ok()) {
    refuse(api_error(payload.status(), ex->request_id), payload.status());
    return;
  }
  send_to_bus(std::move(ex), std::move(payload).value());
}

void Gateway::send_to_bus(std::shared_ptr<Exchange> ex, std::string payload) {
  const schema::OperationDesc& op = *ex->route->op;
  bus::CallOptions opts;
  opts.timeout = options_.request_timeout;
  opts.attempt_timeout = options_.bus_attempt_timeout;
  opts.max_attempts = 3;
  opts.write = op.write;
  opts.idempotency_key = ex->bus_key;
  opts.request_id = ex->request_id;
  opts.trace_id = ex->trace_id;
  opts.principal = ex->principal->principal;
  parts_.bus->call_async(op.service, op.name, std::move(payload), std::move(opts),
                         [this, ex = std::move(ex)](bus::Reply&& reply) mutable {
                           on_reply(std::move(ex), std::move(reply));
                         });
}

void Gateway::on_reply(std::shared_ptr<Exchange> ex, bus::Reply&& reply) {
  const schema::OperationDesc& op = *ex->route->op;
  const std::string path_id = path_target(ex->path_params);
  if (!reply.status.ok()) {
    if (http_status_for(reply.status.code()) >= 500) {
      log::warn("bus call failed")
          .kv("request_id", ex->request_id)
          .kv("op", std::string(op.service) + "." + std::string(op.name))
          .kv("error", reply.status.to_string());
    }
    http::Response resp = api_error(reply.status, ex->request_id);
    if (op.write) {
      finish_write(std::move(ex), std::move(resp), reply.status.code(), path_id);
    } else {
      ex->finish(std::move(resp));
    }
    return;
  }

  // A reply is rendered as JSON straight from its bytes. A write's reply names the record for the
  // audit and a CSV page is cut into rows: those look into the unpacked reply.
  Result<msgpack::object_handle> handle = msgpack::object_handle();
  if (op.write || ex->csv) handle = schema::unpack_borrowed(reply.payload);
  Status bad;
  if (!handle.ok()) bad = handle.status();
  std::string body;
  std::string target = path_id;
  if (bad.ok()) {
    const msgpack::object& obj = handle->get();
    if (op.write) {
      if (std::string id = reply_id(obj); !id.empty()) target = std::move(id);
    }
    if (ex->csv) {
      if (ex->csv_rows == 0 && ex->csv_body.empty()) {
        ex->csv_body = kUtf8Bom;
        append_csv_header(ex->csv_body, ex->columns);
      }
      const msgpack::object* items = member(obj, "items");
      bad = items == nullptr ? invalid_argument("list reply without items", "items")
                             : append_csv_rows(*items, ex->columns, ex->mask_pii, ex->csv_body);
      if (bad.ok()) {
        ex->csv_rows += schema::codec::items(*items).size();
        const msgpack::object* next = member(obj, "next_cursor");
        std::string cursor;
        if (next != nullptr && next->type == msgpack::type::STR) {
          cursor.assign(next->via.str.ptr, next->via.str.size);
        }
        if (!cursor.empty() && ex->csv_rows < options_.csv_max_rows) {
          bool replaced = false;
          for (auto& [k, v] : ex->params) {
            if (k == "cursor") {
              v = cursor;
              replaced = true;
            }
          }
          if (!replaced) ex->params.emplace_back("cursor", cursor);
          auto payload = schema::params_to_msgpack(ex->params, *op.request);
          if (payload.ok()) {
            send_to_bus(std::move(ex), std::move(payload).value());
            return;
          }
          bad = payload.status();
        } else {
          http::Response resp =
              http::Response::with_body(200, std::string(kCsvContentType), std::move(ex->csv_body));
          resp.headers.push_back({"Content-Disposition",
                                  "attachment; filename=\"" + csv_file_name(*ex->route) + "\""});
          if (!cursor.empty()) resp.headers.push_back({"X-Next-Cursor", cursor});
          add_api_headers(resp, ex->request_id);
          ex->finish(std::move(resp));
          return;
        }
      }
    } else {
      schema::JsonOptions jo;
      jo.mask_pii = ex->mask_pii;
      bad = schema::msgpack_to_json(reply.payload, *op.reply, jo, body);
    }
  }
  if (!bad.ok()) {
    // The service answered something its own schema does not allow: our bug, not the client's.
    log::error("service reply does not match its schema")
        .kv("request_id", ex->request_id)
        .kv("op", std::string(op.service) + "." + std::string(op.name))
        .kv("error", bad.to_string());
    http::Response resp =
        api_error(internal_error("the service answered a malformed reply"), ex->request_id);
    if (op.write) {
      // The write itself went through; the audit says so.
      finish_write(std::move(ex), std::move(resp), StatusCode::ok, target);
    } else {
      ex->finish(std::move(resp));
    }
    return;
  }

  const int status = op.http->status;
  http::Response resp = status == 204 ? http::Response{204, {}, {}, {}, false}
                                      : http::Response::json(status, std::move(body));
  add_api_headers(resp, ex->request_id);
  if (op.write) {
    finish_write(std::move(ex), std::move(resp), StatusCode::ok, target);
  } else {
    ex->finish(std::move(resp));
  }
}

void Gateway::finish_write(std::shared_ptr<Exchange> ex, http::Response resp, StatusCode outcome,
                           std::string target_id) {
  const schema::OperationDesc& op = *ex->route->op;
  AuditRecord rec;
  rec.principal = ex->principal->principal;
  rec.department = ex->principal->department;
  rec.operation = std::string(op.service) + "." + std::string(op.name);
  rec.method = ex->method;
  rec.route = ex->route->template_path;
  rec.target_id = std::move(target_id);
  rec.request_id = ex->request_id;
  rec.idempotency_key = ex->client_key;
  rec.outcome = std::string(status_code_name(outcome));
  rec.http_status = resp.status;
  auto pending = std::make_shared<http::Response>(std::move(resp));
  parts_.audit->record(std::move(rec), [this, ex = std::move(ex), pending](Status st) {
    if (st.ok()) {
      metrics_.audit_recorded();
    } else {
      log::error("audit record not stored")
          .kv("request_id", ex->request_id)
          .kv("error", st.to_string());
    }
    ex->finish(std::move(*pending));
  });
}

}  // namespace kai::gateway
