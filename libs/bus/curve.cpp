#include "bus/curve.hpp"

#include <array>
#include <cstring>

#include <zmq.h>

namespace kai::bus {

std::vector<SettingSpec> curve_settings() {
  return {
      {"curve-secret-key", "", "this process's CurveZMQ secret key (Z85); empty = bus unencrypted",
       SettingKind::string, INT64_MIN, INT64_MAX, true},
      {"curve-public-key", "", "this process's CurveZMQ public key (Z85)"},
      {"curve-broker-key", "", "the broker's CurveZMQ public key (Z85)"},
  };
}

bool valid_z85_key(std::string_view key) {
  if (key.size() != 40) return false;
  std::array<std::uint8_t, 32> out{};
  std::string copy(key);
  return zmq_z85_decode(out.data(), copy.c_str()) != nullptr;
}

Result<CurveConfig> curve_from_config(const Config& cfg, bool require_broker_key) {
  CurveConfig c{cfg.str("curve-secret-key"), cfg.str("curve-public-key"),
                cfg.has("curve-broker-key") ? cfg.str("curve-broker-key") : std::string()};
  if (!c.enabled()) {
    if (!c.public_key.empty() || !c.broker_key.empty()) {
      return invalid_argument(
          "KAI_CURVE_SECRET_KEY is empty but other CurveZMQ keys are set: set the whole key pair "
          "or none",
          "curve-secret-key");
    }
    return c;
  }
  if (!valid_z85_key(c.secret_key)) {
    return invalid_argument("KAI_CURVE_SECRET_KEY is not a 40-character Z85 key",
                            "curve-secret-key");
  }
  if (!valid_z85_key(c.public_key)) {
    return invalid_argument("KAI_CURVE_PUBLIC_KEY is not a 40-character Z85 key",
                            "curve-public-key");
  }
  std::array<char, 41> derived{};
  if (zmq_curve_public(derived.data(), c.secret_key.c_str()) != 0 ||
      c.public_key != derived.data()) {
    return invalid_argument("KAI_CURVE_PUBLIC_KEY does not belong to KAI_CURVE_SECRET_KEY",
                            "curve-public-key");
  }
  if (require_broker_key && !valid_z85_key(c.broker_key)) {
    return invalid_argument("KAI_CURVE_BROKER_KEY must be the broker's 40-character Z85 public key",
                            "curve-broker-key");
  }
  return c;
}

KeyPair generate_keypair() {
  std::array<char, 41> pub{}, sec{};
  const int rc = zmq_curve_keypair(pub.data(), sec.data());
  (void)rc;  // only fails when libzmq lacks CURVE, which Debian's is built with
  return {pub.data(), sec.data()};
}

void apply_curve_client(zmq::socket_t& s, const CurveConfig& c) {
  if (!c.enabled()) return;
  s.set(zmq::sockopt::curve_serverkey, c.broker_key);
  s.set(zmq::sockopt::curve_publickey, c.public_key);
  s.set(zmq::sockopt::curve_secretkey, c.secret_key);
}

void apply_curve_server(zmq::socket_t& s, const CurveConfig& c, std::string_view domain) {
  if (!c.enabled()) return;  // no ZAP domain either: a plain bus asks no handler
  s.set(zmq::sockopt::zap_domain, std::string(domain));
  s.set(zmq::sockopt::curve_server, 1);
  s.set(zmq::sockopt::curve_secretkey, c.secret_key);
}

std::string z85_from_binary_key(std::string_view binary32) {
  if (binary32.size() != 32) return {};
  std::array<char, 41> out{};
  zmq_z85_encode(out.data(), reinterpret_cast<const std::uint8_t*>(binary32.data()), 32);
  return out.data();
}

}  // namespace kai::bus
