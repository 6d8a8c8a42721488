// The MessagePack building blocks that generated message code (build/generated/schema/*.cpp) is
// made of: a packer writing into a std::string, and typed readers that check the object's type
// and range so that decoding never misbehaves, even on objects that skipped validation.
//
// Messages are MessagePack maps keyed by field name; absent optional fields are omitted.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "common/result.hpp"

namespace kai::schema {

// A msgpack-cxx output stream that appends to a std::string.
class StringSink {
 public:
  explicit StringSink(std::string& out) : out_(&out) {}
  void write(const char* data, std::size_t size) { out_->append(data, size); }

 private:
  std::string* out_;
};

using Packer = msgpack::packer<StringSink>;

namespace codec {

inline void pack_string(Packer& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}
inline void pack_key(Packer& pk, std::string_view key) {
  pack_string(pk, key);
}
inline void pack_bytes(Packer& pk, std::string_view b) {
  pk.pack_bin(static_cast<std::uint32_t>(b.size()));
  pk.pack_bin_body(b.data(), static_cast<std::uint32_t>(b.size()));
}
inline void pack_int(Packer& pk, std::int64_t v) {
  pk.pack_int64(v);
}
inline void pack_bool(Packer& pk, bool v) {
  if (v) {
    pk.pack_true();
  } else {
    pk.pack_false();
  }
}
inline void pack_double(Packer& pk, double v) {
  pk.pack_double(v);
}

// A map or an array whose size is known only after its elements were written:
// begin_container_of_unknown_size() writes a placeholder header and returns where it is;
// set_container_size() then writes the size there in the smallest form, as pack_map() and
// pack_array() would have. Setting a size moves what follows the header: of nested containers,
// set the inner one's first.
enum class Container { array, map };
std::size_t begin_container_of_unknown_size(std::string& out, Container kind);
void set_container_size(std::string& out, std::size_t at, Container kind, std::uint32_t size);

// The entries of a map object / the items of an array object (empty for other types).
std::span<const msgpack::object_kv> entries(const msgpack::object& obj);
std::span<const msgpack::object> items(const msgpack::object& obj);
// The key as text; empty for a key that is not a string.
std::string_view key_of(const msgpack::object& key);

// Each reader checks the type (and range) and reports invalid_argument naming `field`.
Status expect_map(const msgpack::object& obj, std::string_view field);
Status expect_array(const msgpack::object& obj, std::string_view field);
Status read_string(const msgpack::object& obj, std::string& out, std::string_view field);
Status read_string_view(const msgpack::object& obj, std::string_view& out, std::string_view field);
Status read_bytes(const msgpack::object& obj, std::string& out, std::string_view field);
Status read_int32(const msgpack::object& obj, std::int32_t& out, std::string_view field);
Status read_int64(const msgpack::object& obj, std::int64_t& out, std::string_view field);
Status read_bool(const msgpack::object& obj, bool& out, std::string_view field);
Status read_double(const msgpack::object& obj, double& out, std::string_view field);
// "unknown value 'x'" for an enum string that from_string rejected.
Status bad_enum(std::string_view value, std::string_view field);
// "missing required field" for a required field the map lacks.
Status missing(std::string_view field);

}  // namespace codec
}  // namespace kai::schema
