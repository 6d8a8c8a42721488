// CurveZMQ on bus sockets: key configuration, key generation, and applying keys to sockets.
// Keys are Z85 text (40 characters). With no secret key configured the bus runs in the clear
// (development); with keys, every socket of the process authenticates and encrypts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "common/config.hpp"
#include "common/result.hpp"

namespace kai::bus {

struct CurveConfig {
  std::string secret_key;  // this process's own pair
  std::string public_key;
  std::string broker_key;  // the broker's public key (clients, workers, publishers, subscribers)
  bool enabled() const { return !secret_key.empty(); }
};

// ZAP domains the broker sets on its sockets, so the handler knows what a peer connects to.
inline constexpr std::string_view kZapDomainBus = "kai-bus";
inline constexpr std::string_view kZapDomainPublish = "kai-events-publish";
inline constexpr std::string_view kZapDomainSubscribe = "kai-events-subscribe";

// Settings every bus process declares: curve-secret-key, curve-public-key, curve-broker-key.
std::vector<SettingSpec> curve_settings();
// Validates the three keys: all empty (off) or all well-formed Z85 (the broker itself needs no
// broker key: pass require_broker_key = false).
Result<CurveConfig> curve_from_config(const Config& cfg, bool require_broker_key = true);

bool valid_z85_key(std::string_view key);

struct KeyPair {
  std::string public_key;
  std::string secret_key;
};
KeyPair generate_keypair();

// Client side of CURVE (DEALER, PUB, SUB connecting to the broker).
void apply_curve_client(zmq::socket_t& socket, const CurveConfig& curve);
// Server side (the broker's ROUTER, XSUB, XPUB), authenticated through ZAP in `domain`.
void apply_curve_server(zmq::socket_t& socket, const CurveConfig& curve, std::string_view domain);

// Z85 encoding of a 32-byte binary key (as ZAP delivers it).
std::string z85_from_binary_key(std::string_view binary32);

}  // namespace kai::bus
