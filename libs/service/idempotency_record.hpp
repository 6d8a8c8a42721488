// What the chassis stores with a processed idempotency key (store/runtime.hpp idempotency::), so a
// repeated key can be told apart from a key reused for another request:
//   reply column = MessagePack [digest (bin 16), reply payload (bin)]
// The digest is BLAKE2b-128 of the operation name and the request in canonical form (map entries
// sorted by key, nil entries dropped, numbers in their smallest encoding), so a client or the
// gateway re-encoding the same request differently still matches. Internal to libs/service.
#pragma once

#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "common/result.hpp"

namespace kai::svc::detail {

// The canonical MessagePack form of `obj` (see above).
std::string canonical_msgpack(const msgpack::object& obj);

// 16 raw bytes identifying (op, request).
std::string request_digest(std::string_view op, const msgpack::object& request);

struct StoredReply {
  std::string digest;
  std::string reply;
};

std::string encode_stored_reply(std::string_view digest, std::string_view reply);
// internal when the stored bytes are not what encode_stored_reply() makes.
Result<StoredReply> decode_stored_reply(std::string_view bytes);

}  // namespace kai::svc::detail
