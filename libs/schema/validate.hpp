// Validation of a MessagePack message against its descriptor: the gate every request passes on
// its way into a service (and every reply on its way out of the gateway).
//
// It checks everything the schema says: the message is a map with string keys; no unknown,
// duplicate or missing required fields (nil counts as absent for optional fields); types and
// integer ranges; strings are valid UTF-8 within min_len/max_len code points and match their
// pattern; enum values; real calendar dates; timestamps within years 0001..9999; finite doubles;
// list sizes; nested messages recursively. It allocates nothing unless it fails.
//
// Failures are invalid_argument with the field path in Status::field() ("contact.phone",
// "items[3].name") and repeated at the start of the message.
#pragma once

#include <cstdint>

#include <msgpack.hpp>

#include "common/status.hpp"
#include "schema/descriptor.hpp"

namespace kai::schema {

// The range of timestamps the platform accepts: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z.
inline constexpr std::int64_t kMinTimestampMs = -62135596800000;
inline constexpr std::int64_t kMaxTimestampMs = 253402300799999;

Status validate(const msgpack::object& obj, const MessageDesc& desc);

// Validates one value against one field spec (used by tools and tests); `path` names it in errors.
Status validate_value(const msgpack::object& obj, const FieldDesc& field, std::string_view path);

}  // namespace kai::schema
