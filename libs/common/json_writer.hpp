// A small streaming JSON writer: appends to a std::string, escapes strings, replaces invalid UTF-8
// with U+FFFD so that output is always valid JSON whatever bytes a peer sent us.
// Used by the logger, the gateway's MessagePack→JSON transcoder and every tool that prints JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kai {

// Appends `s` as a quoted JSON string literal.
void append_json_string(std::string& out, std::string_view s);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // Inside an object: the next member's name. Must be followed by exactly one value.
  JsonWriter& key(std::string_view k);
  // key() for a name that needs no escaping, written as is: lower-case letters, digits and '_'
  // only (schema field names; the schema compiler enforces it). A third of a rendered list page
  // is keys, so skipping their escape check shows.
  JsonWriter& plain_key(std::string_view k);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(std::int64_t v);
  JsonWriter& value(std::uint64_t v);
  JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
  JsonWriter& value(double v);
  JsonWriter& value(bool v);
  JsonWriter& null();
  // Already-serialized JSON, inserted as one value.
  JsonWriter& raw(std::string_view json);

 private:
  // Whether a ',' must precede the next key or value (and notes that the container has one).
  bool comma_due();
  void before_value();

  std::string& out_;
  // One bit per nesting level: does the current container already hold an element?
  std::uint64_t has_element_ = 0;
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace kai
