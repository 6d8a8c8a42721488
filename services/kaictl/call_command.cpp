#include "kaictl/call_command.hpp"

#include <exception>
#include <istream>
#include <ostream>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "bus/client.hpp"
#include "bus/settings.hpp"
#include "common/json_writer.hpp"
#include "kaictl/commands.hpp"
#include "schema/all_services.hpp"
#include "schema/transcode.hpp"
#include "schema/unpack.hpp"

namespace kai::kaictl {
namespace {

constexpr std::size_t kMaxRequestBytes = schema::JsonLimits{}.max_bytes;
// Request ids and idempotency keys travel in the envelope header and in logs; keep them short.
constexpr std::size_t kMaxIdBytes = 128;

std::string known_services() {
  std::string out;
  for (const schema::ServiceDesc* s : schema::all_services()) {
    if (!out.empty()) out += ", ";
    out += s->name;
  }
  return out;
}

std::string known_operations(const schema::ServiceDesc& service) {
  std::string out;
  for (const schema::OperationDesc& op : service.operations) {
    if (!out.empty()) out += ", ";
    out += op.name;
  }
  return out;
}

// The request text: the argument, or stdin ("-", or no argument and stdin not a terminal).
Result<std::string> read_request(const Invocation& inv) {
  if (inv.args.size() > 2 && inv.args[2] != "-") return inv.args[2];
  if (inv.args.size() <= 2 && inv.io.in_is_terminal) return std::string("{}");
  std::string text;
  char buf[65536];
  while (inv.io.in.read(buf, sizeof buf) || inv.io.in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(inv.io.in.gcount()));
    if (text.size() > kMaxRequestBytes) {
      return invalid_argument("the JSON request on stdin is larger than " +
                              std::to_string(kMaxRequestBytes) + " bytes");
    }
  }
  if (inv.io.in.bad()) return invalid_argument("cannot read the JSON request from stdin");
  return text;
}

int fail(const Invocation& inv, const Status& status, std::string_view request_id,
         std::string_view idempotency_key, int exit_code = kExitFailed) {
  inv.io.err << error_json(status, request_id, idempotency_key) << "\n";
  return exit_code;
}

int run_call(const Invocation& inv) {
  const Config& cfg = inv.cfg;
  for (const char* name : {"request-id", "idempotency-key"}) {
    if (cfg.str(name).size() > kMaxIdBytes) {
      return fail(inv,
                  invalid_argument("--" + std::string(name) + " is longer than " +
                                       std::to_string(kMaxIdBytes) + " bytes",
                                   name),
                  {}, {}, kExitUsage);
    }
  }
  const std::string request_id =
      cfg.str("request-id").empty() ? bus::random_id() : cfg.str("request-id");
  auto op = find_call_operation(inv.args[0], inv.args[1]);
  if (!op.ok()) return fail(inv, op.status(), request_id, {}, kExitUsage);
  const schema::OperationDesc& desc = **op;

  std::string idempotency_key = cfg.str("idempotency-key");
  if (!idempotency_key.empty() && !desc.write) {
    return fail(
        inv,
        invalid_argument(std::string(desc.name) + " is a read: only writes take an idempotency key",
                         "idempotency-key"),
        request_id, {}, kExitUsage);
  }
  if (desc.write && idempotency_key.empty()) idempotency_key = bus::random_id();

  auto client_options = bus::client_options_from(cfg);
  if (!client_options.ok()) return fail(inv, client_options.status(), request_id, {}, kExitUsage);

  auto text = read_request(inv);
  if (!text.ok()) return fail(inv, text.status(), request_id, {});
  auto payload = request_payload(desc, *text);
  if (!payload.ok()) return fail(inv, payload.status(), request_id, {});

  bus::CallOptions options;
  options.timeout = cfg.duration("timeout");
  options.max_attempts = static_cast<int>(cfg.integer("attempts"));
  options.write = desc.write;
  options.idempotency_key = idempotency_key;
  options.request_id = request_id;

  bus::Reply reply;
  try {
    zmq::context_t ctx(1);
    bus::Client client(ctx, std::move(client_options).value());
    reply = client.call(desc.service, desc.name, std::move(payload).value(), options);
  } catch (const zmq::error_t& e) {
    // ZeroMQ refuses a malformed endpoint when the client connects.
    return fail(
        inv,
        invalid_argument("cannot use broker endpoint '" + cfg.str("broker") + "': " + e.what(),
                         "broker"),
        request_id, {}, kExitUsage);
  }
  if (!reply.status.ok()) return fail(inv, reply.status, request_id, idempotency_key);

  auto json = render_reply(desc, reply.payload, cfg.boolean("mask-pii"), cfg.boolean("pretty"));
  if (!json.ok()) return fail(inv, json.status(), request_id, idempotency_key);
  inv.io.out << *json << "\n";
  return kExitOk;
}

}  // namespace

Result<const schema::OperationDesc*> find_call_operation(std::string_view service,
                                                         std::string_view op) {
  const schema::ServiceDesc* svc = schema::find_service(service);
  if (svc == nullptr) {
    return invalid_argument("unknown service '" + std::string(service) +
                                "' (services in the schemas: " + known_services() + ")",
                            "service");
  }
  const schema::OperationDesc* found = svc->find_operation(op);
  if (found == nullptr) {
    return invalid_argument("service " + std::string(service) + " has no operation '" +
                                std::string(op) + "' (its operations: " + known_operations(*svc) +
                                ")",
                            "op");
  }
  return found;
}

Result<std::string> request_payload(const schema::OperationDesc& op, std::string_view json) {
  return schema::request_to_msgpack(*op.request, {}, json);
}

Result<std::string> render_reply(const schema::OperationDesc& op, std::string_view payload,
                                 bool mask_pii, bool pretty) {
  auto handle = schema::unpack(payload);
  if (!handle.ok()) {
    return internal_error("the reply of " + std::string(op.name) +
                          " is not valid MessagePack: " + handle.status().message());
  }
  std::string out;
  const Status rendered =
      schema::msgpack_to_json(handle->get(), *op.reply, schema::JsonOptions{mask_pii}, out);
  if (!rendered.ok()) {
    return Status(StatusCode::internal,
                  "the reply of " + std::string(op.name) + " does not match its schema (" +
                      std::string(op.reply->full_name) + "): " + rendered.message(),
                  rendered.field());
  }
  if (!pretty) return out;
  try {
    return nlohmann::json::parse(out).dump(2);
  } catch (const std::exception& e) {
    return internal_error(std::string("cannot indent the reply: ") + e.what());
  }
}

std::string error_json(const Status& status, std::string_view request_id,
                       std::string_view idempotency_key) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("error").begin_object();
  w.key("code").value(status_code_name(status.code()));
  w.key("message").value(status.message());
  if (!status.field().empty()) w.key("field").value(status.field());
  if (!request_id.empty()) w.key("request_id").value(request_id);
  if (!idempotency_key.empty()) w.key("idempotency_key").value(idempotency_key);
  w.end_object().end_object();
  return out;
}

CommandSpec call_command() {
  CommandSpec c;
  c.words = {"call"};
  c.usage = "kaictl call SERVICE OP [JSON|-] [--timeout 5s] [--idempotency-key KEY]";
  c.summary = "send one request of a schema operation: JSON in, JSON out";
  c.min_args = 2;
  c.max_args = 3;
  c.settings = bus_command_settings();
  c.settings.push_back({"attempts", "3",
                        "attempts within the timeout (retries are safe: writes carry an "
                        "idempotency key)",
                        SettingKind::integer, 1, 100});
  c.settings.push_back({"idempotency-key", "",
                        "idempotency key of a write (empty: a fresh one, shown with any error so "
                        "the write can be retried with it)"});
  c.settings.push_back({"request-id", "", "request id passed to the service (empty: a fresh one)"});
  c.settings.push_back({"mask-pii", "false",
                        "mask personal data in the reply as the gateway does without pii:read",
                        SettingKind::boolean});
  c.settings.push_back({"pretty", "false", "indent the JSON reply", SettingKind::boolean});
  c.run = run_call;
  return c;
}

}  // namespace kai::kaictl
