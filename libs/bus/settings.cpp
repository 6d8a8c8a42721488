#include "bus/settings.hpp"

namespace kai::bus {

std::vector<SettingSpec> client_settings() {
  std::vector<SettingSpec> s = {
      {"broker", "tcp://127.0.0.1:5555",
       "broker endpoint(s); a comma-separated list means several brokers", SettingKind::list},
  };
  add_settings(s, curve_settings());
  return s;
}

std::vector<SettingSpec> heartbeat_settings() {
  return {
      {"heartbeat-interval", "2500ms", "MDP heartbeat interval (same value on broker and workers)",
       SettingKind::duration_ms, 10, 600'000},
      {"heartbeat-liveness", "3", "heartbeats missed before a peer is considered dead",
       SettingKind::integer, 2, 100},
  };
}

std::vector<SettingSpec> worker_settings(WorkerDefaults defaults) {
  return {
      {"worker-slots", std::to_string(defaults.slots),
       "requests this process serves concurrently (MDP worker connections "
       "per broker)",
       SettingKind::integer, 1, 1024},
      {"worker-credit", std::to_string(defaults.credit),
       "requests each worker connection takes at once; above 1 uses the "
       "kai-broker credit extension of MDP (fewer connections, batched "
       "traffic), 1 is plain 7/MDP",
       SettingKind::integer, 1, 4096},
  };
}

std::vector<SettingSpec> event_settings() {
  return {
      {"events-pub", "tcp://127.0.0.1:5556", "event bus publisher endpoint(s) (broker XSUB)",
       SettingKind::list},
      {"events-sub", "tcp://127.0.0.1:5557", "event bus subscriber endpoint(s) (broker XPUB)",
       SettingKind::list},
  };
}

void add_settings(std::vector<SettingSpec>& specs, std::vector<SettingSpec> more) {
  for (auto& s : more)
    specs.push_back(std::move(s));
}

Result<ClientOptions> client_options_from(const Config& cfg) {
  ClientOptions o;
  o.brokers = cfg.list("broker");
  if (o.brokers.empty())
    return invalid_argument("KAI_BROKER must name at least one broker", "broker");
  auto curve = curve_from_config(cfg);
  if (!curve.ok()) return curve.status();
  o.curve = std::move(curve).value();
  return o;
}

Result<WorkerOptions> worker_options_from(const Config& cfg, std::string service) {
  auto client = client_options_from(cfg);
  if (!client.ok()) return client.status();
  WorkerOptions o;
  o.service = std::move(service);
  o.brokers = client->brokers;
  o.curve = client->curve;
  o.slots = static_cast<int>(cfg.integer("worker-slots"));
  o.credit = static_cast<int>(cfg.integer("worker-credit"));
  o.heartbeat_interval = cfg.duration("heartbeat-interval");
  o.heartbeat_liveness = static_cast<int>(cfg.integer("heartbeat-liveness"));
  return o;
}

}  // namespace kai::bus
