// Helpers for libs/schema's tests: MessagePack built from JSON-like literals.
#pragma once

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "schema/descriptor.hpp"
#include "schema/unpack.hpp"
#include "schema/validate.hpp"

namespace kai::schema::test {

// MessagePack bytes of `j` (nlohmann's encoder: smallest integer encodings, str for strings).
inline std::string mp(const nlohmann::ordered_json& j) {
  const std::vector<std::uint8_t> v = nlohmann::ordered_json::to_msgpack(j);
  return std::string(v.begin(), v.end());
}

// Unpacks and validates `bytes` against `desc`.
inline Status check(const std::string& bytes, const MessageDesc& desc) {
  auto h = unpack(bytes);
  if (!h.ok()) return h.status();
  return validate(h->get(), desc);
}

inline Status check(const nlohmann::ordered_json& j, const MessageDesc& desc) {
  return check(mp(j), desc);
}

}  // namespace kai::schema::test
