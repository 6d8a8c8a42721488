// UTF-8 helpers for the schema runtime: code-point counting for length constraints and the
// conversion to wide strings that pattern matching works on (one wchar_t per code point).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kai::schema {

// Number of code points in `s`, or nullopt when `s` is not well-formed UTF-8.
std::optional<std::size_t> utf8_length(std::string_view s);

// Replaces `out` with the code points of `s`; false (out unspecified) when `s` is not valid UTF-8.
bool utf8_to_wide(std::string_view s, std::wstring& out);

// Byte length of the character starting at s[i]: the length of a valid sequence, or 1 for an
// invalid byte (so that walking arbitrary bytes always advances and never splits a valid
// character).
std::size_t utf8_char_bytes(std::string_view s, std::size_t i);

}  // namespace kai::schema
