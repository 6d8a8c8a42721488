// Fuzzes the schema runtime with the platform's real membership messages: untrusted MessagePack
// through unpack -> validate -> decode -> msgpack_to_json and straight from the bytes into
// msgpack_to_json, untrusted JSON through json_to_msgpack, and untrusted URL parameters through
// params_to_msgpack / request_to_msgpack.
//
// Beyond "never crashes", it checks the round-trip invariants: whatever validates decodes; what is
// decoded re-encodes to something that validates and decodes equal; whatever validates renders as
// JSON that converts back to an equal message.
//
// Input: the first byte picks the path (high nibble) and the message (low nibble); the rest is
// the payload.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "schema/all_services.hpp"
#include "schema/common.hpp"
#include "schema/membership.hpp"
#include "schema/transcode.hpp"
#include "schema/unpack.hpp"
#include "schema/validate.hpp"

namespace {

namespace ks = kai::schema;
namespace mm = kai::msg::membership;

void require(bool condition) {
  if (!condition) std::abort();
}

// JSON rendering of a validated message must convert back to an equal message.
template <typename T>
void json_round_trip(const msgpack::object& obj, const T& value) {
  std::string masked;
  require(ks::msgpack_to_json(obj, T::desc(), {.mask_pii = true}, masked).ok());
  std::string json;
  require(ks::msgpack_to_json(obj, T::desc(), {.mask_pii = false}, json).ok());
  auto again = ks::json_to_msgpack(json, T::desc());
  require(again.ok());
  auto handle = ks::unpack(*again);
  require(handle.ok());
  T back;
  require(decode(handle->get(), back).ok());
  require(back == value);
}

template <typename T>
void from_msgpack(const msgpack::object& obj) {
  const kai::Status valid = ks::validate(obj, T::desc());
  T value;
  const kai::Status decoded = decode(obj, value);
  std::string json;
  const kai::Status rendered = ks::msgpack_to_json(obj, T::desc(), {}, json);
  if (!valid.ok()) return;
  require(decoded.ok());
  require(rendered.ok());
  const std::string bytes = encode(value);
  auto handle = ks::unpack(bytes);
  require(handle.ok());
  require(ks::validate(handle->get(), T::desc()).ok());
  T back;
  require(decode(handle->get(), back).ok());
  require(back == value);
  json_round_trip(obj, value);
}

template <typename T>
void from_json(std::string_view text) {
  auto bytes = ks::json_to_msgpack(text, T::desc());
  if (!bytes.ok()) return;
  auto handle = ks::unpack(*bytes);
  require(handle.ok());
  require(ks::validate(handle->get(), T::desc()).ok());
  T value;
  require(decode(handle->get(), value).ok());
  json_round_trip(handle->get(), value);
}

// Untrusted bytes rendered as the gateway renders replies, straight from the bytes: never a
// crash; and whatever validates renders, the same as from the unpacked object.
template <typename T>
void render_bytes(std::string_view bytes) {
  std::string json;
  const kai::Status rendered = ks::msgpack_to_json(bytes, T::desc(), {.mask_pii = true}, json);
  auto handle = ks::unpack(bytes);
  if (!handle.ok() || !ks::validate(handle->get(), T::desc()).ok()) return;
  require(rendered.ok());
  std::string from_object;
  require(ks::msgpack_to_json(handle->get(), T::desc(), {.mask_pii = true}, from_object).ok());
  require(from_object == json);
}

using MsgpackFn = void (*)(const msgpack::object&);
using JsonFn = void (*)(std::string_view);
using BytesFn = void (*)(std::string_view);

struct Target {
  MsgpackFn msgpack;
  JsonFn json;
  BytesFn render;
};

constexpr Target kTargets[] = {
    {from_msgpack<mm::OrganizationCreateRequest>, from_json<mm::OrganizationCreateRequest>,
     render_bytes<mm::OrganizationCreateRequest>},
    {from_msgpack<mm::Organization>, from_json<mm::Organization>, render_bytes<mm::Organization>},
    {from_msgpack<mm::OrganizationListReply>, from_json<mm::OrganizationListReply>,
     render_bytes<mm::OrganizationListReply>},
    {from_msgpack<mm::OrganizationListRequest>, from_json<mm::OrganizationListRequest>,
     render_bytes<mm::OrganizationListRequest>},
    {from_msgpack<mm::OrganizationUpdateRequest>, from_json<mm::OrganizationUpdateRequest>,
     render_bytes<mm::OrganizationUpdateRequest>},
    {from_msgpack<mm::OrganizationChangedEvent>, from_json<mm::OrganizationChangedEvent>,
     render_bytes<mm::OrganizationChangedEvent>},
    {from_msgpack<kai::msg::common::EventsSinceReply>,
     from_json<kai::msg::common::EventsSinceReply>,
     render_bytes<kai::msg::common::EventsSinceReply>},
    {from_msgpack<kai::msg::common::Error>, from_json<kai::msg::common::Error>,
     render_bytes<kai::msg::common::Error>},
};

// "a=1&b=2\n{json body}" -> parameters and body.
void from_params(std::string_view input) {
  const std::size_t nl = input.find('\n');
  const std::string_view query = input.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? "" : input.substr(nl + 1);
  ks::Params params;
  std::size_t start = 0;
  while (start <= query.size() && params.size() < 64) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    params.emplace_back(std::string(pair.substr(0, eq)),
                        eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
    start = end + 1;
  }
  for (const ks::MessageDesc* desc :
       {&mm::OrganizationListRequest::desc(), &mm::OrganizationGetRequest::desc()}) {
    auto r = ks::params_to_msgpack(params, *desc);
    if (r.ok()) {
      auto handle = ks::unpack(*r);
      require(handle.ok());
      require(ks::validate(handle->get(), *desc).ok());
    }
  }
  auto r = ks::request_to_msgpack(mm::OrganizationUpdateRequest::desc(), params, body);
  if (r.ok()) {
    auto handle = ks::unpack(*r);
    require(handle.ok());
    mm::OrganizationUpdateRequest req;
    require(decode(handle->get(), req).ok());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const Target& target = kTargets[(selector & 0x0F) % std::size(kTargets)];
  switch ((selector >> 4) & 3) {
    case 0: {
      target.render(input);
      auto handle = ks::unpack(input);
      if (!handle.ok()) return 0;
      target.msgpack(handle->get());
      return 0;
    }
    case 1:
      target.json(input);
      return 0;
    case 2:
      from_params(input);
      return 0;
    default: {
      ks::Limits limits;
      limits.max_depth = 64;
      auto handle = ks::unpack(input, limits);
      if (!handle.ok()) return 0;
      std::string out;
      (void)ks::msgpack_to_json(handle->get(), out);
      return 0;
    }
  }
}
