#include "service/idempotency_record.hpp"

#include <algorithm>
#include <vector>

#include <sodium.h>

#include "schema/codec.hpp"
#include "schema/unpack.hpp"

namespace kai::svc::detail {

namespace {

constexpr std::size_t kDigestBytes = 16;

void pack_canonical(schema::Packer& pk, const msgpack::object& obj) {
  switch (obj.type) {
    case msgpack::type::MAP: {
      // Entries sorted by the canonical bytes of their key; nil values mean absent.
      std::vector<std::pair<std::string, const msgpack::object_kv*>> sorted;
      sorted.reserve(obj.via.map.size);
      for (std::uint32_t i = 0; i < obj.via.map.size; ++i) {
        const auto& kv = obj.via.map.ptr[i];
        if (kv.val.type != msgpack::type::NIL) sorted.emplace_back(canonical_msgpack(kv.key), &kv);
      }
      std::sort(sorted.begin(), sorted.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      pk.pack_map(static_cast<std::uint32_t>(sorted.size()));
      for (const auto& [key, kv] : sorted) {
        pack_canonical(pk, kv->key);
        pack_canonical(pk, kv->val);
      }
      return;
    }
    case msgpack::type::ARRAY:
      pk.pack_array(obj.via.array.size);
      for (std::uint32_t i = 0; i < obj.via.array.size; ++i)
        pack_canonical(pk, obj.via.array.ptr[i]);
      return;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      pk.pack_double(obj.via.f64);
      return;
    default:
      pk.pack(obj);  // msgpack-cxx packs integers in their smallest form
      return;
  }
}

}  // namespace

std::string canonical_msgpack(const msgpack::object& obj) {
  std::string out;
  schema::StringSink sink(out);
  schema::Packer pk(sink);
  pack_canonical(pk, obj);
  return out;
}

std::string request_digest(std::string_view op, const msgpack::object& request) {
  const std::string canonical = canonical_msgpack(request);
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kDigestBytes);
  const std::string op_prefix = std::string(op) + '\0';
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(op_prefix.data()),
                            op_prefix.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(canonical.data()),
                            canonical.size());
  std::string digest(kDigestBytes, '\0');
  crypto_generichash_final(&st, reinterpret_cast<unsigned char*>(digest.data()), kDigestBytes);
  return digest;
}

std::string encode_stored_reply(std::string_view digest, std::string_view reply) {
  std::string out;
  schema::StringSink sink(out);
  schema::Packer pk(sink);
  pk.pack_array(2);
  schema::codec::pack_bytes(pk, digest);
  schema::codec::pack_bytes(pk, reply);
  return out;
}

Result<StoredReply> decode_stored_reply(std::string_view bytes) {
  auto obj = schema::unpack(bytes);
  if (!obj.ok()) return internal_error("stored idempotent reply: " + obj.status().message());
  const msgpack::object& o = obj->get();
  if (o.type != msgpack::type::ARRAY || o.via.array.size != 2 ||
      o.via.array.ptr[0].type != msgpack::type::BIN ||
      o.via.array.ptr[1].type != msgpack::type::BIN) {
    return internal_error("stored idempotent reply is not [digest, reply]");
  }
  const auto& d = o.via.array.ptr[0].via.bin;
  const auto& r = o.via.array.ptr[1].via.bin;
  return StoredReply{std::string(d.ptr, d.size), std::string(r.ptr, r.size)};
}

}  // namespace kai::svc::detail
