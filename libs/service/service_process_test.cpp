// The chassis as real processes: kai-sample-ledger and kai-sample-tally behind a real kai-broker,
// with a real redis-server. Requests through the broker, the envelope checks, readiness and
// metrics on the ops port, JSON logs with request and trace ids, events relayed live and caught
// up with events.since, settings and --help, and the SIGTERM drain.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <zmq.hpp>

#include "bus/envelope.hpp"
#include "sample_schema/ledger.hpp"
#include "sample_schema/tally.hpp"
#include "sample_service/sample_process.hpp"
#include "service/service_test_util.hpp"
#include "support/cluster.hpp"
#include "support/process.hpp"

namespace kai::svc {
namespace {

namespace ledger = kai::sample::ledger;
namespace tally = kai::sample::tally;
using kai::sample::testing::call;
using kai::sample::testing::SampleOptions;
using kai::sample::testing::SampleService;
using kai::testing::BrokerProcess;
using kai::testing::Process;
using kai::testing::RedisServer;
using kai::testing::TempDir;
using kai::testing::wait_until;
using namespace std::chrono_literals;

class ServiceProcessTest : public ::testing::Test {
 protected:
  SampleOptions options(std::string program, std::string sub_dir, bool with_redis) {
    return {
        .program = std::move(program),
        .data_dir = dir_.path() + "/" + sub_dir,
        .broker = broker_.endpoint(),
        .events_pub = broker_.xsub_endpoint(),
        .events_sub = broker_.xpub_endpoint(),
        .redis_url = with_redis ? redis_.url() : std::string(),
        .extra_args = {"--log-level=debug"},
    };
  }
  bus::Client& client() {
    if (!client_)
      client_ = std::make_unique<bus::Client>(
          ctx_, bus::ClientOptions{{broker_.endpoint()}, {}, 4 << 20});
    return *client_;
  }

  TempDir dir_;
  BrokerProcess broker_;
  RedisServer redis_;
  zmq::context_t ctx_;
  std::unique_ptr<bus::Client> client_;
};

TEST_F(ServiceProcessTest, AnswersThroughTheBrokerWithMetricsReadinessAndLogs) {
  SampleService svc(options("kai-sample-ledger", "ledger", true));
  bus::CallOptions opts;
  opts.request_id = "req-0001";
  opts.trace_id = "trace-0001";
  auto added = call<ledger::EntryAdd>(
      client(), {.account = "acct", .amount = 4200, .note = std::string("dues")}, opts);
  ASSERT_TRUE(added.ok()) << added.status().to_string();
  auto got = call<ledger::EntryGet>(client(), {.id = added->id});
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(*got, *added);
  auto again = call<ledger::EntryGet>(client(), {.id = added->id});
  ASSERT_TRUE(again.ok());
  auto balance = call<ledger::AccountBalance>(client(), {.account = "acct"});
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->balance, 4200);
  EXPECT_EQ(call<ledger::EntryGet>(client(), {.id = 999}).status().code(), StatusCode::not_found);

  // Readiness: database and bus checked, cache ok.
  auto ready = svc.get("/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200) << ready->body;
  EXPECT_NE(ready->body.find("\"database\""), std::string::npos) << ready->body;
  EXPECT_NE(ready->body.find("\"bus\""), std::string::npos);
  EXPECT_NE(ready->body.find("\"cache\""), std::string::npos);
  EXPECT_EQ(ready->body.find("degraded\":true"), std::string::npos) << ready->body;
  EXPECT_EQ(svc.get("/healthz")->status, 200);

  // RED metrics per operation, cache hits, data dir, business gauge.
  const std::string m = svc.metrics();
  using kai::svc::testing::metric_value;
  EXPECT_EQ(metric_value(m, R"(kai_requests_total{code="ok",op="entry.add",service="ledger"})"), 1);
  EXPECT_EQ(metric_value(m, R"(kai_requests_total{code="ok",op="entry.get",service="ledger"})"), 2);
  EXPECT_EQ(
      metric_value(m, R"(kai_requests_total{code="not_found",op="entry.get",service="ledger"})"),
      1);
  EXPECT_EQ(
      metric_value(m, R"(kai_request_duration_seconds_count{op="entry.get",service="ledger"})"), 3);
  EXPECT_GE(metric_value(m, R"(kai_cache_requests_total{result="hit",service="ledger"})"), 1);
  EXPECT_EQ(metric_value(m, R"(kai_cache_degraded{service="ledger"})"), 0);
  EXPECT_GT(metric_value(m, R"(kai_data_dir_free_bytes{service="ledger"})"), 0);
  EXPECT_GT(metric_value(m, R"(kai_data_dir_size_bytes{service="ledger"})"), 0);
  EXPECT_EQ(metric_value(m, R"(kai_requests_in_flight{service="ledger"})"), 0);
  EXPECT_EQ(
      metric_value(m, R"(kai_events_published_total{service="ledger",topic="ledger.entry.added"})"),
      1);
  EXPECT_GE(metric_value(m, "kai_ledger_entries"), 0);

  // JSON logs carry the caller's request and trace ids.
  auto line = svc.process().wait_for_output("\"request served\"", 5s);
  ASSERT_TRUE(line.has_value());
  ASSERT_TRUE(wait_until([&] {
    const std::string out = svc.process().output();
    return out.find("\"request_id\":\"req-0001\"") != std::string::npos &&
           out.find("\"trace_id\":\"trace-0001\"") != std::string::npos;
  }));
}

TEST_F(ServiceProcessTest, EnvelopeChecksAnswerWithClearErrors) {
  SampleService svc(options("kai-sample-ledger", "ledger", false));
  // A write without an idempotency key (a raw request: the typed helper always adds one).
  bus::CallOptions no_key;
  no_key.write = false;
  const std::string req = encode(ledger::EntryAddRequest{.account = "a", .amount = 1, .note = {}});
  bus::Reply r = client().call("ledger", "entry.add", req, no_key);
  EXPECT_EQ(r.status.code(), StatusCode::invalid_argument);
  EXPECT_EQ(r.status.field(), "idempotency_key");
  r = client().call("ledger", "entry.erase", "\x80");
  EXPECT_EQ(r.status.code(), StatusCode::invalid_argument);
  EXPECT_EQ(r.status.field(), "op");
  r = client().call("ledger", "entry.get", "\x81\xa2id\xa3one");
  EXPECT_EQ(r.status.code(), StatusCode::invalid_argument);
  EXPECT_EQ(r.status.field(), "id");
  r = client().call("ledger", "entry.get", std::string("\xdf\xff\xff\xff\xff", 5));
  EXPECT_EQ(r.status.code(), StatusCode::invalid_argument);
  // Still serving.
  EXPECT_TRUE(call<ledger::EntryAdd>(client(), {.account = "a", .amount = 1, .note = {}}).ok());
  EXPECT_TRUE(svc.running());
}

TEST_F(ServiceProcessTest, EventsAreRelayedLiveAndCaughtUpAfterStart) {
  SampleService ledger_svc(options("kai-sample-ledger", "ledger", false));
  // Ten entries before the tally exists: it catches up with events.since when it starts.
  std::int64_t sum = 0;
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(
        call<ledger::EntryAdd>(client(), {.account = "acct", .amount = i, .note = {}}).ok());
    sum += i;
  }
  SampleService tally_svc(options("kai-sample-tally", "tally", true));
  const auto summary_is = [&](std::int64_t n) {
    auto s = call<tally::TallySummary>(client(), {});
    return s.ok() && s->applications == n && s->distinct_entries == n && s->last_seq == n;
  };
  ASSERT_TRUE(wait_until([&] { return summary_is(10); }, 20s));
  // Ten more while it runs: relayed live.
  for (int i = 11; i <= 20; ++i) {
    ASSERT_TRUE(
        call<ledger::EntryAdd>(client(), {.account = "acct", .amount = i, .note = {}}).ok());
    sum += i;
  }
  ASSERT_TRUE(wait_until([&] { return summary_is(20); }, 20s));
  auto total = call<tally::TotalGet>(client(), {.account = "acct"});
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->total, sum);
  EXPECT_EQ(total->entries, 20);
  ASSERT_TRUE(wait_until([&] {
    return tally_svc.metric(R"(kai_events_applied_total{publisher="ledger",service="tally"})") ==
               20 &&
           tally_svc.metric(R"(kai_events_replay_lag{publisher="ledger",service="tally"})") == 0;
  }));
  // events.since over the bus, as any subscriber asks it.
  auto since = call<ledger::EventsSince>(client(), {.after = 15, .limit = 3});
  ASSERT_TRUE(since.ok()) << since.status().to_string();
  EXPECT_EQ(since->head, 20);
  ASSERT_EQ(since->events.size(), 3u);
  EXPECT_EQ(since->events[0].seq, 16);
}

TEST_F(ServiceProcessTest, SigtermDrainsAndExitsZero) {
  SampleService svc(options("kai-sample-ledger", "ledger", false));
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0};
  std::thread load([&] {
    bus::Client c(ctx_, bus::ClientOptions{{broker_.endpoint()}, {}, 4 << 20});
    bus::CallOptions o;
    o.timeout = 2s;
    o.max_attempts = 1;
    while (!stop) {
      if (call<ledger::EntryAdd>(c, {.account = "drain", .amount = 1, .note = {}}, o).ok()) {
        ++acked;
      }
    }
  });
  ASSERT_TRUE(wait_until([&] { return acked.load() >= 20; }, 20s));
  EXPECT_EQ(svc.terminate(), 0);
  stop = true;
  load.join();
  EXPECT_TRUE(svc.process().wait_for_output("\"draining\"", 5s).has_value());
  EXPECT_TRUE(svc.process().wait_for_output("\"stopped\"", 5s).has_value());
  // Every acknowledged write is there after a restart.
  svc.start();
  auto balance = call<ledger::AccountBalance>(client(), {.account = "drain"});
  ASSERT_TRUE(balance.ok());
  EXPECT_GE(balance->entries, acked.load());
}

TEST_F(ServiceProcessTest, HelpAndBadSettings) {
  Process help(kai::testing::bin_path("kai-sample-ledger"), {"--help"});
  ASSERT_EQ(help.wait(), 0);
  // The exit can be seen before the last lines of output are read: wait for them.
  for (const char* name :
       {"KAI_BROKER", "KAI_EVENTS_PUB", "KAI_EVENTS_SUB", "KAI_REDIS_URL", "KAI_DATA_DIR",
        "KAI_DB_URL", "KAI_OPS_ADDR", "KAI_LOG_LEVEL", "KAI_WORKER_SLOTS", "KAI_CURVE_SECRET_KEY",
        "KAI_IDEMPOTENCY_RETENTION", "./data/ledger"}) {
    EXPECT_TRUE(help.wait_for_output(name, 5s).has_value()) << name;
  }
  Process bad(kai::testing::bin_path("kai-sample-ledger"), {"--worker-slots=0"});
  EXPECT_EQ(bad.wait(), 2);
  EXPECT_TRUE(bad.wait_for_output("worker-slots", 5s).has_value()) << bad.output();
  Process env_bad(kai::testing::bin_path("kai-sample-ledger"), {},
                  {{"KAI_GAUGE_INTERVAL", "often"}});
  EXPECT_EQ(env_bad.wait(), 2);
  Process unknown(kai::testing::bin_path("kai-sample-ledger"), {"--colour=red"});
  EXPECT_EQ(unknown.wait(), 2);
}

TEST_F(ServiceProcessTest, ReadinessFailsWithoutABroker) {
  SampleService svc(options("kai-sample-ledger", "ledger", false));
  ASSERT_TRUE(wait_until([&] {
    auto r = svc.get("/readyz");
    return r.ok() && r->status == 200;
  }));
  broker_.kill_now();
  ASSERT_TRUE(wait_until([&] {
    auto r = svc.get("/readyz");
    return r.ok() && r->status == 503 && r->body.find("no broker connection") != std::string::npos;
  }));
  broker_.start();
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = svc.get("/readyz");
        return r.ok() && r->status == 200;
      },
      20s));
  EXPECT_TRUE(call<ledger::EntryAdd>(client(), {.account = "a", .amount = 1, .note = {}}).ok());
}

}  // namespace
}  // namespace kai::svc
