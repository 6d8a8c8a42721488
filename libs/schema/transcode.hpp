// JSON <-> MessagePack transcoding driven by message descriptors: how the gateway turns an HTTP
// request into a bus request and a bus reply into an HTTP response, and how kaictl speaks JSON.
//
// JSON side conventions (proto-schemas/README.md): timestamps are RFC 3339 strings (rendered in
// UTC, "2026-11-25T08:00:00Z" or with ".123" milliseconds), money and all integers are JSON
// integers (a float such as 1.0 is refused for them), bytes are base64 strings, dates are
// "YYYY-MM-DD", a JSON null is the same as an absent optional field.
//
// All functions are thread-safe, never throw, and report bad input as invalid_argument naming the
// field (Status::field()).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "common/result.hpp"
#include "schema/descriptor.hpp"

namespace kai::schema {

struct JsonLimits {
  std::size_t max_bytes = 1u << 20;  // the JSON text
  std::size_t max_depth = 32;        // nested objects/arrays; checked while parsing
  std::size_t max_items = 10000;     // members of one object, items of one array (at most 65535)
};

// Name/value pairs as they come from a URL: path parameters, then the query string, decoded.
using Params = std::vector<std::pair<std::string, std::string>>;

// A JSON object -> a MessagePack map for `desc`, type-converted (RFC 3339 -> int64 ms, base64 ->
// bin) and then validated against every constraint of `desc`. Refuses invalid JSON, invalid
// UTF-8, duplicate members, unknown fields, numbers that do not fit the field type, and input
// beyond `limits`.
Result<std::string> json_to_msgpack(std::string_view json, const MessageDesc& desc,
                                    const JsonLimits& limits = {});

// URL parameters -> a MessagePack map for `desc` (for GET/DELETE routes: path parameters plus the
// query string). Each value is parsed as its field's type: integers in decimal, booleans as
// true/false, timestamps as RFC 3339; a list field takes one parameter per item (`tag=a&tag=b`).
// Unknown parameters, repeated scalars and fields that cannot be parameters (messages) are refused.
// The result is validated against `desc`.
Result<std::string> params_to_msgpack(const Params& params, const MessageDesc& desc);

// For body routes with path parameters (PATCH /membership/organizations/{id}): the fields of
// `params` and the members of the JSON body object together form the request. A field given in
// both is refused. An empty (or all-whitespace) body counts as {}. Validated against `desc`.
Result<std::string> request_to_msgpack(const MessageDesc& desc, const Params& params,
                                       std::string_view json_body, const JsonLimits& limits = {});

struct JsonOptions {
  bool mask_pii = true;  // mask fields marked pii (callers without the pii:read scope)
};

// Appends the JSON rendering of a message, given as its MessagePack bytes, to `out` (on failure
// `out` is left as it was). Timestamps become RFC 3339 UTC, bytes base64, pii strings are masked
// when asked. Fields the descriptor does not know are skipped (a newer service may have added
// them; being unknown, they cannot be known not to be personal data). A value of the wrong type,
// malformed MessagePack or bytes after the message are an invalid_argument naming the field.
// Made for the gateway's hot path: it reads the bytes as it writes (schema/reader.hpp), without
// building an object tree, and apart from growing `out` allocates only when masking.
Status msgpack_to_json(std::string_view msgpack, const MessageDesc& desc,
                       const JsonOptions& options, std::string& out);
// The same for a message already unpacked (re-encoded first: for the places off the hot path).
Status msgpack_to_json(const msgpack::object& obj, const MessageDesc& desc,
                       const JsonOptions& options, std::string& out);

// Descriptor-less rendering for tools: maps (with scalar keys), arrays, strings, numbers, booleans,
// nil; bin and ext become base64 strings. Nesting beyond 48 levels is refused.
Status msgpack_to_json(const msgpack::object& obj, std::string& out);

// Formats a timestamp like kai::format_rfc3339 into `buf` without allocating; returns the length
// written (at most 24), or 0 when `ms` is outside years 0001..9999.
std::size_t format_timestamp(std::int64_t ms, char (&buf)[32]);

}  // namespace kai::schema
