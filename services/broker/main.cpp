// kai-broker: the platform's Majordomo broker (7/MDP + 8/MMI) and event bus.
#include <cstdlib>
#include <iostream>

#include "broker/broker_server.hpp"
#include "bus/settings.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "common/signals.hpp"
#include "ops/ops_server.hpp"

using namespace kai;

namespace {

std::vector<SettingSpec> settings() {
  std::vector<SettingSpec> s = {
      {"broker-bind", "tcp://*:5555", "MDP endpoint for clients and workers (ROUTER)"},
      {"events-xsub-bind", "tcp://*:5556", "endpoint event publishers connect to (XSUB)"},
      {"events-xpub-bind", "tcp://*:5557", "endpoint event subscribers connect to (XPUB)"},
      {"curve-secret-key", "", "the broker's CurveZMQ secret key (Z85); empty = bus unencrypted",
       SettingKind::string, INT64_MIN, INT64_MAX, true},
      {"curve-public-key", "", "the broker's CurveZMQ public key (Z85)"},
      {"curve-allow-file", "", "allow-list of peer public keys and their roles (with CURVE)"},
      {"queue-limit", "10000", "requests queued per service while no worker is free",
       SettingKind::integer, 1, 10'000'000},
      {"queue-deadline", "10s", "how long a queued request waits for a worker before it is dropped",
       SettingKind::duration_ms, 1, 3'600'000},
      {"max-message-size", "4194304", "largest message accepted from any peer, in bytes",
       SettingKind::integer, 1024, 1 << 30},
      {"io-threads", "1", "ZeroMQ I/O threads", SettingKind::integer, 1, 64},
  };
  bus::add_settings(s, bus::heartbeat_settings());
  bus::add_settings(s, process_settings(9100));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  ShutdownSignals signals;  // before any thread starts
  const Config cfg = Config::load_or_exit(
      "kai-broker", "Majordomo broker (7/MDP, 8/MMI) and event bus of the Kai Alliance platform",
      settings(), argc, argv);
  if (Status s = init_logging(cfg, "kai-broker"); !s.ok()) {
    std::cerr << "kai-broker: " << s.message() << "\n";
    return 2;
  }
  auto curve = bus::curve_from_config(cfg, /*require_broker_key=*/false);
  if (!curve.ok()) {
    std::cerr << "kai-broker: " << curve.status().message() << "\n";
    return 2;
  }
  if (curve->enabled() && cfg.str("curve-allow-file").empty()) {
    std::cerr << "kai-broker: KAI_CURVE_ALLOW_FILE is required when CurveZMQ keys are set\n";
    return 2;
  }

  broker::BrokerServerOptions opts;
  opts.bind = cfg.str("broker-bind");
  opts.events_xsub_bind = cfg.str("events-xsub-bind");
  opts.events_xpub_bind = cfg.str("events-xpub-bind");
  opts.curve = std::move(curve).value();
  opts.allow_file = cfg.str("curve-allow-file");
  opts.max_message_size = cfg.integer("max-message-size");
  opts.core.heartbeat_interval = cfg.duration("heartbeat-interval");
  opts.core.heartbeat_liveness = static_cast<int>(cfg.integer("heartbeat-liveness"));
  opts.core.queue_limit = static_cast<std::size_t>(cfg.integer("queue-limit"));
  opts.core.queue_deadline = cfg.duration("queue-deadline");

  zmq::context_t ctx(static_cast<int>(cfg.integer("io-threads")));
  ops::OpsServer ops(cfg.str("ops-addr"), "kai-broker");
  if (Status s = ops.start(); !s.ok()) {
    log::error("cannot start the ops port").kv("error", s.message());
    return 1;
  }
  broker::BrokerServer server(ctx, std::move(opts));
  if (Status s = server.start(); !s.ok()) {
    log::error("broker failed to start").kv("error", s.message());
    return 1;
  }
  server.run(signals);
  ops.set_draining(true);
  ops.stop();
  log::info("broker stopped");
  return 0;
}
