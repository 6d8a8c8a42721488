// The service chassis: everything a Kai Alliance service is besides its domain logic. A service
// describes itself with a ServiceDefinition (schema, migrations, extra settings, a setup function
// that registers handlers) and its main() is one line:
//
//   int main(int argc, char** argv) {
//     return kai::svc::run(argc, argv, {
//         .name = "membership",
//         .schema = &kai::msg::membership::service_desc(),
//         .summary = "The alliance office's member organisations, terms and activities.",
//         .ops_port = 9102,
//         .migrations = kai::membership::migrations(),
//         .settings = {},
//         .setup = kai::membership::setup,
//     });
//   }
//
// What run() does, in order:
//  1. Settings (common/config.hpp; `--help` prints them): KAI_BROKER, KAI_EVENTS_PUB,
//     KAI_EVENTS_SUB, KAI_REDIS_URL (+ redis-* tuning), KAI_DATA_DIR (./data/<service>),
//     KAI_DB_URL, KAI_DB_READ_CONNECTIONS (8), KAI_OPS_ADDR (0.0.0.0:<ops_port>), KAI_LOG_LEVEL,
//     KAI_WORKER_SLOTS (+ KAI_WORKER_CREDIT), KAI_CURVE_* keys, heartbeat settings,
//     KAI_GAUGE_INTERVAL (15s), KAI_IDEMPOTENCY_RETENTION
//     (24h: how long processed idempotency keys are remembered), KAI_EVENTS_BEACON_INTERVAL (1s:
//     head beacon), KAI_DRAIN_TIMEOUT (10s), then the definition's own settings. A bad value
//     stops the process with exit code 2 and a message naming the setting.
//  2. JSON logging; the database (SQLite in WAL under KAI_DATA_DIR, or KAI_DB_URL), the store's
//     runtime migrations and then the service's; the Redis cache (never required: the service
//     starts and answers with Redis down, marked degraded); setup(); the handler check: every
//     operation of the schema has a handler and every handler an operation of the schema, or the
//     process exits 1 naming the operation; on_start work; the ops port.
//  3. Serves: worker connections to every broker (KAI_WORKER_SLOTS each); event relay with a head
//     beacon; a subscriber per publisher it listens to (catching up with events.since first);
//     gauges and periodic jobs (including the purge of old idempotency keys).
//  4. On SIGTERM or SIGINT: /readyz answers 503, no new work is taken, requests in flight finish
//     and are answered (up to KAI_DRAIN_TIMEOUT), DISCONNECT is sent to the brokers, jobs and
//     subscriptions stop after the step they are in, the events committed are sent with a last
//     head beacon, and run() returns 0. Start-up failures return 1 (bad settings 2) after
//     logging why.
//
// Every inbound request: the envelope is decoded; the operation looked up (unknown →
// invalid_argument, field "op"); an expired deadline is answered deadline_exceeded without
// running anything; the payload is unpacked with bounds and validated against the schema
// (violation → invalid_argument naming the field path) before any domain code runs; writes
// need an idempotency key (invalid_argument, field "idempotency_key"): a key already processed
// replays the stored reply, a key reused for a different operation or request is refused with
// invalid_argument (field "idempotency_key"); an exception escaping a handler is logged and
// answered internal, and the process carries on; a reply that does not match the schema is
// answered internal too (every write reply and cached value is checked; a read handler's replies
// always at first, then by sample: service_runtime.hpp says why). A write's cache invalidations
// are applied after its commit and before its reply (batched across concurrent writes), so a
// caller reads its own write. A cached_read (registrar.hpp) whose entry is in the local cache
// copy is answered on the worker's I/O thread, the rest on handler threads. Logs written while
// serving carry the request and trace ids (log::ScopedRequest).
//
// Metrics (kai::ops::registry(), label service): kai_requests_total{service,op,code},
// kai_request_duration_seconds{service,op}, kai_requests_in_flight{service},
// kai_events_published_total{service,topic}, kai_events_applied_total{service,publisher},
// kai_events_gaps_total{service,publisher}, kai_events_replay_lag{service,publisher},
// kai_data_dir_free_bytes{service}, kai_data_dir_size_bytes{service}, the business gauges, plus
// those of libs/bus, libs/store and libs/cache. /readyz checks "database" and "bus" (at least one
// broker connection alive), and reports "cache" as ready but degraded while Redis is unreachable.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/descriptor.hpp"
#include "service/context.hpp"
#include "service/registrar.hpp"
#include "store/database.hpp"

namespace kai::svc {

struct ServiceDefinition {
  // The bus service name ("membership"); must equal schema->name.
  std::string name = {};
  // The service's schema: the generated `service_desc()` of its proto-schemas file. Its
  // operations are the ones the service must answer.
  const schema::ServiceDesc* schema = nullptr;
  // One line for --help.
  std::string summary = {};
  // The default ops port (DESIGN.md §3: membership 9102, clubs 9103, …).
  int ops_port = 0;
  // The service's own migrations (component = name), applied after the store's runtime tables.
  std::span<const store::Migration> migrations = {};
  // Settings of the service beyond the standard ones (names must not clash with them).
  std::vector<SettingSpec> settings = {};
  // Registers handlers etc. (registrar.hpp). Its error stops the service at start.
  std::function<Status(Registrar&, const Config&)> setup = {};
  // The clock handlers see through Context::now(); empty: the wall clock. Tests inject one.
  std::function<UnixMillis()> clock = {};
};

// The standard settings run() declares before the definition's own (exposed for tools and tests
// that want to print or parse them).
std::vector<SettingSpec> standard_settings(const ServiceDefinition& def);

// The whole main() of a service; see the top of this file. Returns the process exit code.
int run(int argc, char** argv, const ServiceDefinition& def);

}  // namespace kai::svc
