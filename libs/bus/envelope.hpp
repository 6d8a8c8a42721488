// The platform's envelope inside MDP bodies. MDP/0.1 carries opaque body frames and has no request
// id, so every request and reply body is two frames:
//   frame 1: header  — a MessagePack map (below)
//   frame 2: payload — the operation's MessagePack message (empty on errors)
// Request header keys: "id" (uint, chosen by the client, echoed in the reply so replies can be
// matched with many requests in flight), "op" (operation name), "dl" (absolute deadline, Unix ms;
// 0 = none), and optional "ik" (idempotency key), "rid" (request id), "tid" (trace id),
// "who" (authenticated principal, set by the gateway).
// Reply header keys: "id", "code" (status code name, "ok" on success), optional "msg", "field".
// Unknown keys are ignored so both sides can evolve.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace kai::bus {

struct RequestHeader {
  std::uint64_t id = 0;
  std::string op;
  std::int64_t deadline_ms = 0;
  std::string idempotency_key;
  std::string request_id;
  std::string trace_id;
  std::string principal;
};

struct ReplyHeader {
  std::uint64_t id = 0;
  Status status;
};

inline constexpr std::size_t kMaxHeaderBytes = 4096;

std::string encode_request_header(const RequestHeader& h);
Result<RequestHeader> decode_request_header(std::string_view bytes);
std::string encode_reply_header(const ReplyHeader& h);
Result<ReplyHeader> decode_reply_header(std::string_view bytes);

}  // namespace kai::bus
