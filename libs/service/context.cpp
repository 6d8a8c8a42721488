#include "service/context.hpp"

#include <algorithm>

#include "bus/client.hpp"
#include "cache/cache.hpp"
#include "common/log.hpp"
#include "schema/unpack.hpp"
#include "schema/validate.hpp"
#include "service/context_core.hpp"
#include "store/runtime.hpp"

namespace kai::svc {

namespace {

Result<msgpack::object_handle> unpack_as(std::string_view bytes, const schema::MessageDesc& desc) {
  auto obj = schema::unpack(bytes);
  if (!obj.ok()) return obj.status();
  KAI_RETURN_IF_ERROR(schema::validate(obj->get(), desc));
  return std::move(*obj);
}

}  // namespace

const RequestMeta& Context::meta() const {
  return core_.meta();
}
store::Tx& Context::tx() {
  return core_.tx();
}
UnixMillis Context::now() const {
  return core_.services().clock();
}
const std::string& Context::service() const {
  return core_.services().service;
}

Result<msgpack::object_handle> ReadContext::cached_bytes(
    std::string_view key, std::chrono::milliseconds ttl, const schema::MessageDesc& desc,
    const std::function<Result<std::string>()>& load) {
  // When the load runs on this thread the typed caller already holds the value: it gets an empty
  // handle and uses that value, so nothing is decoded twice.
  bool loaded_here = false;
  auto tracked = [&]() -> Result<std::string> {
    loaded_here = true;
    return load();
  };
  cache::Cache* cache = core_.services().cache;
  if (cache == nullptr) {
    auto v = tracked();
    if (!v.ok()) return v.status();
    return msgpack::object_handle();
  }
  auto bytes = cache->get_or_load(key, ttl, tracked);
  if (!bytes.ok()) return bytes.status();
  if (loaded_here) return msgpack::object_handle();
  auto obj = unpack_as(*bytes, desc);
  if (obj.ok()) return obj;
  // Another build, or garbage: never let a cache entry decide an answer. Drop it and load.
  log::warn("cached value does not match its schema; reloading")
      .kv("key", key)
      .kv("message", desc.full_name)
      .kv("error", obj.status().message());
  cache->del(key);
  auto v = tracked();
  if (!v.ok()) return v.status();
  return msgpack::object_handle();
}

Result<msgpack::object_handle> ReadContext::call_bytes(std::string_view service,
                                                       std::string_view op, std::string payload,
                                                       const schema::MessageDesc& reply_desc,
                                                       std::chrono::milliseconds timeout) {
  bus::Client* client = core_.services().client;
  if (client == nullptr) {
    return unavailable("no bus configured to call " + std::string(service) + " " + std::string(op));
  }
  const RequestMeta& m = core_.meta();
  bus::CallOptions opts;
  opts.timeout = timeout;
  if (m.deadline_ms != 0) {
    const auto left = std::chrono::milliseconds(m.deadline_ms - now_unix_ms());
    if (left <= std::chrono::milliseconds(0)) {
      return deadline_exceeded("deadline passed before calling " + std::string(service) + " " +
                               std::string(op));
    }
    opts.timeout = std::min(opts.timeout, left);
  }
  opts.request_id = m.request_id;
  opts.trace_id = m.trace_id;
  opts.principal = m.principal;
  bus::Reply reply = client->call(service, op, std::move(payload), opts);
  if (!reply.status.ok()) return reply.status;
  auto obj = unpack_as(reply.payload, reply_desc);
  if (!obj.ok()) {
    return internal_error("reply of " + std::string(service) + " " + std::string(op) +
                          " does not match its schema: " + obj.status().message());
  }
  return obj;
}

const EventMeta* WriteContext::event() const {
  return core_.event();
}

Status WriteContext::emit_bytes(const schema::EventDesc& event, std::string payload) {
  if (event.service != core_.services().service) {
    return internal_error("service " + core_.services().service + " cannot emit " +
                          std::string(event.topic) + ", an event of " + std::string(event.service));
  }
  auto obj = unpack_as(payload, *event.message);
  if (!obj.ok()) {
    return internal_error("event " + std::string(event.topic) +
                          " does not match its schema: " + obj.status().message());
  }
  auto seq = store::outbox::append(core_.tx(), event.topic, payload);
  if (!seq.ok()) return seq.status();
  core_.emitted().push_back(detail::EmittedEvent{
      .seq = *seq,
      .topic = std::string(event.topic),
      .payload = std::move(payload),
      .created_at = now_unix_ms(),
  });
  return Status::Ok();
}

void WriteContext::invalidate_key(std::string key) {
  core_.invalidations().push_back(std::move(key));
}

}  // namespace kai::svc
