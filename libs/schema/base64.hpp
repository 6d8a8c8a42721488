// Standard base64 (RFC 4648 §4, with padding): how `bytes` fields travel in JSON.
#pragma once

#include <string>
#include <string_view>

namespace kai::schema {

// Appends the base64 encoding of `data` to `out`.
void base64_append(std::string& out, std::string_view data);
// Appends the decoded bytes to `out`; false (out unspecified) unless `text` is canonical padded
// base64.
bool base64_decode_append(std::string_view text, std::string& out);

}  // namespace kai::schema
