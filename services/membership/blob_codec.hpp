// Nested messages kept in BLOB columns as their MessagePack encoding (a Contact, a Person, a list
// of Contacts, a list of tags). The bytes come from this service's own database, written by these
// functions; decoding still never misbehaves on anything else (it answers internal).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/result.hpp"
#include "schema/codec.hpp"
#include "schema/unpack.hpp"
#include "store/value.hpp"

namespace kai::membership {

// A value to bind: the encoded message, or NULL when absent.
template <class T>
store::Value blob_of(const std::optional<T>& v) {
  if (!v) return {};
  return store::Blob{encode(*v)};
}

template <class T>
store::Value blob_of_list(const std::optional<std::vector<T>>& items) {
  if (!items) return {};
  std::string out;
  schema::StringSink sink(out);
  schema::Packer pk(sink);
  pk.pack_array(static_cast<std::uint32_t>(items->size()));
  for (const T& item : *items) {
    if constexpr (std::is_same_v<T, std::string>) {
      schema::codec::pack_string(pk, item);
    } else {
      pack(pk, item);
    }
  }
  return store::Blob{std::move(out)};
}

// Decodes a column written by blob_of; nullopt for NULL.
template <class T>
Result<std::optional<T>> from_blob(const store::Value& v) {
  if (v.is_null()) return std::optional<T>();
  auto h = schema::unpack_borrowed(v.as_blob());
  if (!h.ok()) return internal_error("stored message does not decode: " + h.status().message());
  T out;
  if (Status s = decode(h->get(), out); !s.ok()) {
    return internal_error("stored message does not decode: " + s.message());
  }
  return std::optional<T>(std::move(out));
}

// Decodes a column written by blob_of_list; nullopt for NULL.
template <class T>
Result<std::optional<std::vector<T>>> from_blob_list(const store::Value& v) {
  if (v.is_null()) return std::optional<std::vector<T>>();
  auto h = schema::unpack_borrowed(v.as_blob());
  if (!h.ok()) return internal_error("stored list does not decode: " + h.status().message());
  if (h->get().type != msgpack::type::ARRAY) return internal_error("stored list is not an array");
  std::vector<T> out;
  for (const msgpack::object& item : schema::codec::items(h->get())) {
    T value;
    Status s;
    if constexpr (std::is_same_v<T, std::string>) {
      s = schema::codec::read_string(item, value, "item");
    } else {
      s = decode(item, value);
    }
    if (!s.ok()) return internal_error("stored list item does not decode: " + s.message());
    out.push_back(std::move(value));
  }
  return std::optional<std::vector<T>>(std::move(out));
}

}  // namespace kai::membership
