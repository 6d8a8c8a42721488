#include "service/service.hpp"

#include <iostream>
#include <memory>
#include <set>

#include <zmq.hpp>

#include "bus/client.hpp"
#include "bus/events.hpp"
#include "bus/settings.hpp"
#include "bus/worker.hpp"
#include "cache/cache.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "common/signals.hpp"
#include "ops/ops_server.hpp"
#include "service/event_feed.hpp"
#include "service/event_relay.hpp"
#include "service/periodic.hpp"
#include "service/service_runtime.hpp"

namespace kai::svc {

namespace {

constexpr std::chrono::milliseconds kPurgeEvery = std::chrono::hours(1);
constexpr std::chrono::milliseconds kDataDirEvery = std::chrono::seconds(15);
constexpr std::chrono::milliseconds kPublisherLinger = std::chrono::seconds(2);

ops::CheckResult cache_check(cache::Cache& c) {
  switch (c.state()) {
    case cache::State::disabled:
      return {true, false, "disabled (KAI_REDIS_URL is empty)"};
    case cache::State::ok:
      return {true, false, c.detail()};
    case cache::State::degraded:
      return {true, true, "degraded, answering from the database: " + c.detail()};
  }
  return {true, false, {}};
}

}  // namespace

std::vector<SettingSpec> standard_settings(const ServiceDefinition& def) {
  std::vector<SettingSpec> s;
  bus::add_settings(s, bus::client_settings());
  bus::add_settings(s, bus::heartbeat_settings());
  // Services talk to kai-broker, so they use its credit extension by default: 2 connections per
  // broker taking 32 requests each (64 at once, as many as the gateway's benchmark keeps in
  // flight, so none waits in the broker's queue). Replies then share connections and batch,
  // which halves the CPU the broker and the service spend per request against one request per
  // connection (README, Performance). KAI_WORKER_CREDIT=1 gives plain 7/MDP for another broker.
  bus::add_settings(s, bus::worker_settings({.slots = 2, .credit = 32}));
  bus::add_settings(s, bus::event_settings());
  bus::add_settings(s, cache::setting_specs());
  bus::add_settings(
      s, {
             {"data-dir", "./data/" + def.name,
              "folder of the service's SQLite database (created when missing)"},
             {"db-url", "",
              "empty: SQLite in the data dir; postgresql://... to use a PostgreSQL server",
              SettingKind::string, INT64_MIN, INT64_MAX, true},
             {"db-read-connections", "8", "database connections serving reads",
              SettingKind::integer, 1, 256},
             {"gauge-interval", "15s", "how often business gauges are recomputed",
              SettingKind::duration_ms, 100, 86'400'000},
             {"idempotency-retention", "24h",
              "how long processed idempotency keys (and their replies) are kept for replays",
              SettingKind::duration_ms, 1000, 365LL * 86'400'000},
             {"events-beacon-interval", "1s",
              "how often the head beacon (latest event sequence) is published",
              SettingKind::duration_ms, 10, 3'600'000},
             {"drain-timeout", "10s",
              "on SIGTERM, how long requests in flight may take before the process stops anyway",
              SettingKind::duration_ms, 0, 600'000},
         });
  bus::add_settings(s, process_settings(def.ops_port));
  return s;
}

int run(int argc, char** argv, const ServiceDefinition& def) {
  ShutdownSignals signals;  // before any thread starts
  const std::string program = "kai-" + def.name;
  std::vector<SettingSpec> specs = standard_settings(def);
  std::set<std::string> names;
  for (const auto& s : specs)
    names.insert(s.name);
  for (const auto& s : def.settings) {
    if (!names.insert(s.name).second) {
      std::cerr << program << ": setting " << s.name << " is declared twice\n";
      return 2;
    }
    specs.push_back(s);
  }
  const Config cfg = Config::load_or_exit(program, def.summary, specs, argc, argv);
  if (Status st = init_logging(cfg, program); !st.ok()) {
    std::cerr << program << ": " << st.message() << "\n";
    return 2;
  }
  auto client_opts = bus::client_options_from(cfg);
  auto worker_opts = bus::worker_options_from(cfg, def.name);
  if (!client_opts.ok() || !worker_opts.ok()) {
    const Status st = client_opts.ok() ? worker_opts.status() : client_opts.status();
    log::error("bad bus settings").kv("error", st.to_string());
    return 2;
  }
  worker_opts->drain_timeout = cfg.duration("drain-timeout");

  zmq::context_t ctx;
  auto client = std::make_unique<bus::Client>(ctx, *client_opts);
  auto created = detail::Runtime::create(def, cfg, client.get());
  if (!created.ok()) {
    log::error("service refused to start")
        .kv("service", def.name)
        .kv("error", created.status().to_string());
    return 1;
  }
  std::unique_ptr<detail::Runtime> rt = std::move(*created);

  // The linger lets the events committed last (and the final head beacon) leave on shutdown.
  auto publisher = std::make_unique<bus::EventPublisher>(ctx, cfg.list("events-pub"),
                                                         client_opts->curve, kPublisherLinger);
  detail::EventRelay relay(*rt, *publisher);
  rt->set_event_sink([&relay](const std::vector<detail::EmittedEvent>& e) { relay.publish(e); });
  if (Status st = rt->run_start_work(); !st.ok()) {
    log::error("service refused to start").kv("service", def.name).kv("error", st.to_string());
    return 1;
  }

  ops::OpsServer ops(cfg.str("ops-addr"), program);
  auto pool = std::make_unique<bus::WorkerPool>(
      ctx, *worker_opts, [&rt](bus::Frames& body, bus::Frames& reply) { rt->serve(body, reply); },
      [&rt](const bus::Frames& body, bus::Frames& reply) { return rt->serve_inline(body, reply); });
  ops.add_check("database", [&rt] {
    const store::HealthReport h = rt->database().health();
    return ops::CheckResult{h.healthy, false, h.detail};
  });
  ops.add_check("bus", [&pool] {
    const bool up = pool->connected();
    return ops::CheckResult{up, false, up ? "connected to a broker" : "no broker connection"};
  });
  ops.add_check("cache", [&rt] { return cache_check(rt->cache()); });
  rt->update_data_dir_metrics();
  (void)rt->refresh_gauges();
  if (Status st = ops.start(); !st.ok()) {
    log::error("ops port failed").kv("error", st.to_string());
    return 1;
  }
  pool->start();

  // Subscriptions: one feed per publisher, fed by one bus subscriber.
  std::vector<std::unique_ptr<detail::EventFeed>> feeds;
  std::vector<std::string> prefixes;
  for (const auto& pub : rt->table().publishers()) {
    feeds.push_back(std::make_unique<detail::EventFeed>(*rt, pub, *client));
    prefixes.push_back(pub + ".");
  }
  std::unique_ptr<bus::EventSubscriber> subscriber;
  if (!feeds.empty()) {
    subscriber = std::make_unique<bus::EventSubscriber>(
        ctx, cfg.list("events-sub"), prefixes, client_opts->curve, [&feeds](bus::Event&& e) {
          for (auto& f : feeds) {
            if (f->publisher() == e.publisher &&
                std::string_view(e.topic).starts_with(f->publisher() + ".")) {
              f->offer(std::move(e));
              return;
            }
          }
        });
    for (auto& f : feeds)
      f->start();
  }

  std::vector<std::unique_ptr<detail::Periodic>> periodic;
  const auto zero = std::chrono::milliseconds(0);
  const auto gauge_every = cfg.duration("gauge-interval");
  if (!rt->table().gauges().empty()) {
    periodic.push_back(std::make_unique<detail::Periodic>(gauge_every, gauge_every,
                                                          [&rt] { (void)rt->refresh_gauges(); }));
  }
  periodic.push_back(std::make_unique<detail::Periodic>(kDataDirEvery, kDataDirEvery,
                                                        [&rt] { rt->update_data_dir_metrics(); }));
  periodic.push_back(std::make_unique<detail::Periodic>(
      std::min<std::chrono::milliseconds>(kPurgeEvery, cfg.duration("idempotency-retention")), zero,
      [&rt] {
        auto n = rt->purge_idempotency_keys();
        if (!n.ok()) log::warn("idempotency purge failed").kv("error", n.status().to_string());
      }));
  for (const auto& job : rt->table().jobs()) {
    periodic.push_back(std::make_unique<detail::Periodic>(job.interval, zero,
                                                          [&rt, &job] { (void)rt->run_job(job); }));
  }
  auto beacon = std::make_unique<detail::Periodic>(cfg.duration("events-beacon-interval"), zero,
                                                   [&relay] { relay.beacon(); });

  log::info("service ready")
      .kv("service", def.name)
      .kv("ops", ops.local_address())
      .kv("brokers", cfg.str("broker"))
      .kv("subscriptions", static_cast<std::uint64_t>(feeds.size()));

  signals.wait_for_shutdown([] {});

  log::info("draining").kv("service", def.name);
  ops.set_draining(true);
  pool->stop();  // answers what is in flight, DISCONNECTs from every broker
  for (auto& p : periodic)
    p->stop();
  if (subscriber) subscriber->stop();
  for (auto& f : feeds)
    f->stop();
  // Every committed event has been handed to the bus by the writer thread; announce the head.
  beacon->stop();
  relay.beacon();
  ops.stop();  // its checks look at the pool and the runtime
  pool.reset();
  subscriber.reset();
  feeds.clear();
  client.reset();
  rt.reset();         // finishes queued writes and closes the database
  publisher.reset();  // flushes the relayed events (bounded by its linger)
  log::info("stopped").kv("service", def.name);
  return 0;
}

}  // namespace kai::svc
