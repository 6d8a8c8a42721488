// 7/MDP (Majordomo Protocol 0.1) and 8/MMI on the wire, byte for byte.
//
// Client  -> broker: [empty]["MDPC01"][service][body...]              (REQUEST, >= 1 body frame)
// Broker  -> client: [empty]["MDPC01"][service][body...]              (REPLY)
// Worker <-> broker: [empty]["MDPW01"][command][...]
//   READY      0x01  worker->broker  [service]
//   REQUEST    0x02  broker->worker  [client address][empty][body...]
//   REPLY      0x03  worker->broker  [client address][empty][body...]
//   HEARTBEAT  0x04  both ways
//   DISCONNECT 0x05  both ways
// A ROUTER prepends the peer's routing identity, which is binary (libzmq's own start with a zero
// byte) and is never treated as a C string.
//
// The parsers classify a received message without copying; they never fail on hostile input, they
// say what is wrong with it.
#pragma once

#include <cstdint>
#include <string_view>

#include "bus/frames.hpp"

namespace kai::bus::mdp {

inline constexpr std::string_view kClientHeader = "MDPC01";
inline constexpr std::string_view kWorkerHeader = "MDPW01";
inline constexpr std::string_view kMmiPrefix = "mmi.";
inline constexpr std::size_t kMaxServiceNameLength = 255;

enum class Command : std::uint8_t {
  ready = 0x01,
  request = 0x02,
  reply = 0x03,
  heartbeat = 0x04,
  disconnect = 0x05,
};

// Why a message was rejected; also the `reason` label of the malformed-frames metric.
enum class Malformed : std::uint8_t {
  none = 0,
  too_few_frames,
  missing_empty_delimiter,
  unknown_protocol_header,
  bad_command_frame,
  unknown_command,
  bad_service_name,
  wrong_frame_count,
  missing_body,
  bad_credit,       // READY's credit frame is not a number in 1..kMaxCredit
  too_many_frames,  // found by the receiver, not by the parsers
};
std::string_view malformed_name(Malformed m);
inline constexpr int kMalformedCount = static_cast<int>(Malformed::too_many_frames) + 1;

// What arrived on the broker's ROUTER socket: frames[0] is the sender's routing identity.
struct BrokerInbound {
  enum class Kind : std::uint8_t {
    invalid,
    client_request,  // service, body at frames[body_index..]
    worker_ready,    // service
    worker_reply,    // client_address, body at frames[body_index..]
    worker_heartbeat,
    worker_disconnect,
  };
  Kind kind = Kind::invalid;
  Malformed error = Malformed::none;
  std::string_view sender;
  std::string_view service;
  std::string_view client_address;
  std::size_t body_index = 0;
  std::uint32_t credit = 1;  // READY: requests the worker takes at once (kai extension)
};
BrokerInbound parse_broker_inbound(const Frames& frames);

// What a worker's DEALER received from a broker.
struct WorkerInbound {
  enum class Kind : std::uint8_t { invalid, request, heartbeat, disconnect };
  Kind kind = Kind::invalid;
  Malformed error = Malformed::none;
  std::size_t client_address_index = 0;  // REQUEST: frames[3] is the client address
  std::size_t body_index = 0;            // REQUEST: body frames start here
};
WorkerInbound parse_worker_inbound(const Frames& frames);

// What a client's DEALER received from a broker.
struct ClientInbound {
  bool valid = false;
  Malformed error = Malformed::none;
  std::string_view service;
  std::size_t body_index = 0;
};
ClientInbound parse_client_inbound(const Frames& frames);

// Service names are printable ASCII, 1..255 bytes.
bool valid_service_name(std::string_view name);

// Builders; each appends a whole message to `out` (cleared first).
void build_client_request(Frames& out, std::string_view service);  // caller appends body frames
void build_worker_command(Frames& out, Command command);           // HEARTBEAT / DISCONNECT
// Credit is a kai extension to 7/MDP: a READY with one more frame holding a decimal number N
// (2..kMaxCredit) tells the broker this connection takes up to N requests at once, answered in
// any order, each REPLY naming its client as usual. A plain 7/MDP READY has credit 1, and a
// credit of 1 is sent as a plain READY, so third-party workers and brokers see standard MDP.
// Credit lets one connection carry many requests per TCP segment instead of one.
inline constexpr std::uint32_t kMaxCredit = 4096;
void build_worker_ready(Frames& out, std::string_view service, std::uint32_t credit = 1);
// Worker REPLY header up to and including the empty delimiter; caller appends body frames.
void build_worker_reply(Frames& out, zmq::message_t&& client_address);

// 8/MMI
inline constexpr std::string_view kMmiService = "mmi.service";
inline constexpr std::string_view kMmiFound = "200";
inline constexpr std::string_view kMmiNotFound = "404";
inline constexpr std::string_view kMmiNotImplemented = "501";

}  // namespace kai::bus::mdp
