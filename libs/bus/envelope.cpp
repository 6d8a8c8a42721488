#include "bus/envelope.hpp"

#include <msgpack.hpp>

namespace kai::bus {
namespace {

void pack_str(msgpack::packer<msgpack::sbuffer>& pk, std::string_view key, std::string_view v) {
  pk.pack_str(static_cast<uint32_t>(key.size()));
  pk.pack_str_body(key.data(), static_cast<uint32_t>(key.size()));
  pk.pack_str(static_cast<uint32_t>(v.size()));
  pk.pack_str_body(v.data(), static_cast<uint32_t>(v.size()));
}

void pack_key(msgpack::packer<msgpack::sbuffer>& pk, std::string_view key) {
  pk.pack_str(static_cast<uint32_t>(key.size()));
  pk.pack_str_body(key.data(), static_cast<uint32_t>(key.size()));
}

std::string_view as_str(const msgpack::object& o) {
  return o.type == msgpack::type::STR ? std::string_view(o.via.str.ptr, o.via.str.size)
                                      : std::string_view();
}

// Unpacks a header map with tight limits; the callback sees each (key, value).
template <typename F>
Status for_each_entry(std::string_view bytes, F&& f) {
  if (bytes.size() > kMaxHeaderBytes) return invalid_argument("envelope header too large");
  try {
    msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size(), nullptr, nullptr,
                                                msgpack::unpack_limit(0, 16, 1024, 0, 0, 2));
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::MAP) return invalid_argument("envelope header is not a map");
    for (uint32_t i = 0; i < o.via.map.size; ++i) {
      const auto& kv = o.via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR) return invalid_argument("envelope key not a string");
      KAI_RETURN_IF_ERROR(f(as_str(kv.key), kv.val));
    }
    return Status::Ok();
  } catch (const std::exception& e) {
    return invalid_argument(std::string("envelope header is not valid MessagePack: ") + e.what());
  }
}

Status read_uint(const msgpack::object& v, std::uint64_t& out, const char* name) {
  if (v.type != msgpack::type::POSITIVE_INTEGER) {
    return invalid_argument(std::string("envelope '") + name + "' must be an unsigned integer");
  }
  out = v.via.u64;
  return Status::Ok();
}

Status read_int(const msgpack::object& v, std::int64_t& out, const char* name) {
  if (v.type == msgpack::type::POSITIVE_INTEGER && v.via.u64 <= INT64_MAX) {
    out = static_cast<std::int64_t>(v.via.u64);
  } else if (v.type == msgpack::type::NEGATIVE_INTEGER) {
    out = v.via.i64;
  } else {
    return invalid_argument(std::string("envelope '") + name + "' must be an integer");
  }
  return Status::Ok();
}

Status read_str(const msgpack::object& v, std::string& out, const char* name) {
  if (v.type != msgpack::type::STR) {
    return invalid_argument(std::string("envelope '") + name + "' must be a string");
  }
  out.assign(v.via.str.ptr, v.via.str.size);
  return Status::Ok();
}

}  // namespace

std::string encode_request_header(const RequestHeader& h) {
  msgpack::sbuffer buf(128);
  msgpack::packer<msgpack::sbuffer> pk(buf);
  const uint32_t n = 3 + !h.idempotency_key.empty() + !h.request_id.empty() + !h.trace_id.empty() +
                     !h.principal.empty();
  pk.pack_map(n);
  pack_key(pk, "id");
  pk.pack_uint64(h.id);
  pack_str(pk, "op", h.op);
  pack_key(pk, "dl");
  pk.pack_int64(h.deadline_ms);
  if (!h.idempotency_key.empty()) pack_str(pk, "ik", h.idempotency_key);
  if (!h.request_id.empty()) pack_str(pk, "rid", h.request_id);
  if (!h.trace_id.empty()) pack_str(pk, "tid", h.trace_id);
  if (!h.principal.empty()) pack_str(pk, "who", h.principal);
  return std::string(buf.data(), buf.size());
}

Result<RequestHeader> decode_request_header(std::string_view bytes) {
  RequestHeader h;
  bool has_id = false, has_op = false;
  Status s = for_each_entry(bytes, [&](std::string_view k, const msgpack::object& v) -> Status {
    if (k == "id") {
      has_id = true;
      return read_uint(v, h.id, "id");
    }
    if (k == "op") {
      has_op = true;
      return read_str(v, h.op, "op");
    }
    if (k == "dl") return read_int(v, h.deadline_ms, "dl");
    if (k == "ik") return read_str(v, h.idempotency_key, "ik");
    if (k == "rid") return read_str(v, h.request_id, "rid");
    if (k == "tid") return read_str(v, h.trace_id, "tid");
    if (k == "who") return read_str(v, h.principal, "who");
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!has_id || !has_op || h.op.empty()) {
    return invalid_argument("envelope header needs 'id' and 'op'");
  }
  return h;
}

std::string encode_reply_header(const ReplyHeader& h) {
  msgpack::sbuffer buf(64);
  msgpack::packer<msgpack::sbuffer> pk(buf);
  const Status& st = h.status;
  pk.pack_map(2 + !st.message().empty() + !st.field().empty());
  pack_key(pk, "id");
  pk.pack_uint64(h.id);
  pack_str(pk, "code", status_code_name(st.code()));
  if (!st.message().empty()) pack_str(pk, "msg", st.message());
  if (!st.field().empty()) pack_str(pk, "field", st.field());
  return std::string(buf.data(), buf.size());
}

Result<ReplyHeader> decode_reply_header(std::string_view bytes) {
  ReplyHeader h;
  bool has_id = false;
  StatusCode code = StatusCode::internal;
  std::string code_name = "missing", msg, field;
  Status s = for_each_entry(bytes, [&](std::string_view k, const msgpack::object& v) -> Status {
    if (k == "id") {
      has_id = true;
      return read_uint(v, h.id, "id");
    }
    if (k == "code") {
      KAI_RETURN_IF_ERROR(read_str(v, code_name, "code"));
      // A code from a newer peer that this build does not know is still an error, not success.
      code = status_code_from_name(code_name).value_or(StatusCode::internal);
      return Status::Ok();
    }
    if (k == "msg") return read_str(v, msg, "msg");
    if (k == "field") return read_str(v, field, "field");
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!has_id) return invalid_argument("reply header needs 'id'");
  if (code != StatusCode::ok || code_name != "ok") {
    if (code == StatusCode::ok) code = StatusCode::internal;
    if (msg.empty()) msg = "error " + code_name;
    h.status = Status(code, std::move(msg), std::move(field));
  }
  return h;
}

}  // namespace kai::bus
