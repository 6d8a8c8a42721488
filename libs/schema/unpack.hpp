// Safe unpacking of untrusted MessagePack (bus payloads, fuzz input).
//
// The bytes are first walked without allocating to check that they hold exactly one well-formed
// object within the limits; only then does msgpack-cxx build the object. So a five-byte input that
// claims a 4-billion-element array costs nothing, nesting cannot exhaust the stack, and nothing
// throws.
#pragma once

#include <cstddef>
#include <string_view>

#include <msgpack.hpp>

#include "common/result.hpp"

namespace kai::schema {

struct Limits {
  std::size_t max_bytes = 4u << 20;      // the whole input
  std::size_t max_depth = 32;            // nested arrays/maps (a top-level map is depth 1)
  std::size_t max_string = 1u << 20;     // one str, bin or ext payload, in bytes
  std::size_t max_container = 1u << 16;  // elements of one array, entries of one map
  std::size_t max_objects = 1u << 20;    // objects in total, containers included
};

// Checks that `bytes` hold exactly one well-formed object within `limits`, without building it
// (what the unpack functions check first); invalid_argument as they answer it. For bytes passed on
// as they are, such as a stored nested message copied into a reply.
Status check_well_formed(std::string_view bytes, const Limits& limits = {});

// Unpacks exactly one object filling all of `bytes`. invalid_argument when the input is malformed,
// truncated, followed by trailing bytes or beyond `limits` (the message says which).
// The handle owns copies of all strings: `bytes` may go away afterwards.
Result<msgpack::object_handle> unpack(std::string_view bytes, const Limits& limits = {});
// The same without copying: the handle's strings and binaries point into `bytes`, which must stay
// alive and unchanged for as long as the handle (or any object from it) is used. For a message
// looked at and dropped in one place (a reply rendered or checked, a stored blob decoded), where
// the copies were most of the work.
Result<msgpack::object_handle> unpack_borrowed(std::string_view bytes, const Limits& limits = {});

}  // namespace kai::schema
