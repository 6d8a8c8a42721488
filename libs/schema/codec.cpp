#include "schema/codec.hpp"

#include <limits>

namespace kai::schema::codec {
namespace {

Status wrong_type(std::string_view field, std::string_view expected) {
  std::string msg(field);
  msg += ": expected ";
  msg += expected;
  return invalid_argument(std::move(msg), std::string(field));
}

}  // namespace

std::size_t begin_container_of_unknown_size(std::string& out, Container kind) {
  const std::size_t at = out.size();
  out.push_back(kind == Container::map ? '\xdf' : '\xdd');  // map32, array32
  out.append(4, '\0');
  return at;
}

void set_container_size(std::string& out, std::size_t at, Container kind, std::uint32_t size) {
  const bool map = kind == Container::map;
  if (size <= 15) {
    out[at] = static_cast<char>((map ? 0x80 : 0x90) | size);
    out.erase(at + 1, 4);
  } else if (size <= 0xffff) {
    out[at] = map ? '\xde' : '\xdc';
    out[at + 1] = static_cast<char>(size >> 8);
    out[at + 2] = static_cast<char>(size & 0xff);
    out.erase(at + 3, 2);
  } else {
    for (std::size_t i = 0; i < 4; ++i)
      out[at + 1 + i] = static_cast<char>(size >> (24 - 8 * i));
  }
}

std::span<const msgpack::object_kv> entries(const msgpack::object& obj) {
  if (obj.type != msgpack::type::MAP || obj.via.map.size == 0) return {};
  return {obj.via.map.ptr, obj.via.map.size};
}

std::span<const msgpack::object> items(const msgpack::object& obj) {
  if (obj.type != msgpack::type::ARRAY || obj.via.array.size == 0) return {};
  return {obj.via.array.ptr, obj.via.array.size};
}

std::string_view key_of(const msgpack::object& key) {
  if (key.type != msgpack::type::STR) return {};
  return {key.via.str.ptr, key.via.str.size};
}

Status expect_map(const msgpack::object& obj, std::string_view field) {
  if (obj.type != msgpack::type::MAP) return wrong_type(field, "a map");
  return Status::Ok();
}

Status expect_array(const msgpack::object& obj, std::string_view field) {
  if (obj.type != msgpack::type::ARRAY) return wrong_type(field, "an array");
  return Status::Ok();
}

Status read_string(const msgpack::object& obj, std::string& out, std::string_view field) {
  if (obj.type != msgpack::type::STR) return wrong_type(field, "a string");
  out.assign(obj.via.str.ptr, obj.via.str.size);
  return Status::Ok();
}

Status read_string_view(const msgpack::object& obj, std::string_view& out, std::string_view field) {
  if (obj.type != msgpack::type::STR) return wrong_type(field, "a string");
  out = std::string_view(obj.via.str.ptr, obj.via.str.size);
  return Status::Ok();
}

Status read_bytes(const msgpack::object& obj, std::string& out, std::string_view field) {
  if (obj.type != msgpack::type::BIN) return wrong_type(field, "binary data");
  out.assign(obj.via.bin.ptr, obj.via.bin.size);
  return Status::Ok();
}

Status read_int64(const msgpack::object& obj, std::int64_t& out, std::string_view field) {
  if (obj.type == msgpack::type::NEGATIVE_INTEGER) {
    out = obj.via.i64;
    return Status::Ok();
  }
  if (obj.type == msgpack::type::POSITIVE_INTEGER &&
      obj.via.u64 <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    out = static_cast<std::int64_t>(obj.via.u64);
    return Status::Ok();
  }
  return wrong_type(field, "a 64-bit integer");
}

Status read_int32(const msgpack::object& obj, std::int32_t& out, std::string_view field) {
  std::int64_t v = 0;
  if (!read_int64(obj, v, field).ok() || v < std::numeric_limits<std::int32_t>::min() ||
      v > std::numeric_limits<std::int32_t>::max()) {
    return wrong_type(field, "a 32-bit integer");
  }
  out = static_cast<std::int32_t>(v);
  return Status::Ok();
}

Status read_bool(const msgpack::object& obj, bool& out, std::string_view field) {
  if (obj.type != msgpack::type::BOOLEAN) return wrong_type(field, "a boolean");
  out = obj.via.boolean;
  return Status::Ok();
}

Status read_double(const msgpack::object& obj, double& out, std::string_view field) {
  switch (obj.type) {
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      out = obj.via.f64;
      return Status::Ok();
    case msgpack::type::POSITIVE_INTEGER:
      out = static_cast<double>(obj.via.u64);
      return Status::Ok();
    case msgpack::type::NEGATIVE_INTEGER:
      out = static_cast<double>(obj.via.i64);
      return Status::Ok();
    default:
      return wrong_type(field, "a number");
  }
}

Status bad_enum(std::string_view value, std::string_view field) {
  std::string msg(field);
  msg += ": unknown value '";
  msg.append(value.substr(0, 64));
  msg += '\'';
  return invalid_argument(std::move(msg), std::string(field));
}

Status missing(std::string_view field) {
  std::string msg(field);
  msg += ": missing required field";
  return invalid_argument(std::move(msg), std::string(field));
}

}  // namespace kai::schema::codec
