// Fault tests of the service chassis with real processes: the sample ledger and tally services
// (tests/tools/sample_service) behind a real kai-broker, a real redis-server, SQLite files.
//  1. kill -9 of the ledger under write load through the broker: after a restart every
//     acknowledged write is in the database exactly once, and retrying the unacknowledged ones
//     with their idempotency keys applies each of them at most once.
//  2. Redis killed and restarted while the ledger answers: every request is still answered,
//     /readyz and the metrics show the degradation, cache hits resume after the restart.
//  3. The tally stopped (SIGTERM, then kill -9) while the ledger emits events: once restarted it
//     ends with every event applied exactly once.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "sample_schema/ledger.hpp"
#include "sample_schema/tally.hpp"
#include "sample_service/sample_process.hpp"
#include "store/database.hpp"
#include "support/cluster.hpp"
#include "support/process.hpp"

namespace kai {
namespace {

namespace ledger = kai::sample::ledger;
namespace tally = kai::sample::tally;
using kai::sample::testing::call;
using kai::sample::testing::SampleOptions;
using kai::sample::testing::SampleService;
using kai::testing::BrokerProcess;
using kai::testing::RedisServer;
using kai::testing::TempDir;
using kai::testing::wait_until;
using namespace std::chrono_literals;

class ServiceFaultTest : public ::testing::Test {
 protected:
  SampleOptions options(std::string program, std::string sub_dir, std::string redis_url = {}) {
    return {
        .program = std::move(program),
        .data_dir = dir_.path() + "/" + sub_dir,
        .broker = broker_.endpoint(),
        .events_pub = broker_.xsub_endpoint(),
        .events_sub = broker_.xpub_endpoint(),
        .redis_url = std::move(redis_url),
        .extra_args = {"--worker-slots=32"},
    };
  }
  std::unique_ptr<bus::Client> new_client() {
    return std::make_unique<bus::Client>(ctx_,
                                         bus::ClientOptions{{broker_.endpoint()}, {}, 4 << 20});
  }

  // Runs `sql` on a service's SQLite file (the service may be running: WAL readers do not block).
  std::vector<store::Row> query(const std::string& data_dir, const std::string& service,
                                std::string_view sql) {
    auto db = store::Database::open({.data_dir = data_dir, .service = service});
    EXPECT_TRUE(db.ok()) << db.status().to_string();
    std::vector<store::Row> rows;
    if (!db.ok()) return rows;
    Status st = (*db)->read([&](store::Tx& tx) -> Status {
      auto r = tx.query(sql);
      if (!r.ok()) return r.status();
      rows = std::move(*r);
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.to_string();
    return rows;
  }

  TempDir dir_;
  BrokerProcess broker_;
  zmq::context_t ctx_;
};

TEST_F(ServiceFaultTest, KillNineUnderWriteLoadLosesNoAcknowledgedWrite) {
  SampleService svc(options("kai-sample-ledger", "ledger"));
  struct Attempt {
    std::string key;
    std::string note;
  };
  std::mutex mu;
  std::vector<Attempt> acked;
  std::vector<Attempt> unacked;
  std::atomic<bool> stop{false};
  std::atomic<int> acked_count{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      auto client = new_client();
      for (int n = 0; !stop; ++n) {
        Attempt a{bus::random_id(), "w" + std::to_string(w) + "-" + std::to_string(n)};
        bus::CallOptions o;
        o.timeout = 1500ms;
        o.idempotency_key = a.key;
        auto r =
            call<ledger::EntryAdd>(*client, {.account = "load", .amount = 1, .note = a.note}, o);
        std::lock_guard lock(mu);
        if (r.ok()) {
          ASSERT_EQ(r->note, a.note);
          acked.push_back(std::move(a));
          ++acked_count;
        } else {
          unacked.push_back(std::move(a));
        }
      }
    });
  }
  ASSERT_TRUE(wait_until([&] { return acked_count.load() >= 400; }, 60s));
  svc.kill_now();  // SIGKILL in the middle of the load
  stop = true;
  for (auto& t : writers)
    t.join();
  ASSERT_FALSE(acked.empty());
  RecordProperty("acknowledged", static_cast<int>(acked.size()));
  RecordProperty("unacknowledged", static_cast<int>(unacked.size()));

  svc.start();
  // Retry every unacknowledged write with its key: each is applied at most once in total.
  auto client = new_client();
  for (const auto& a : unacked) {
    bus::CallOptions o;
    o.timeout = 10s;
    o.idempotency_key = a.key;
    auto r = call<ledger::EntryAdd>(*client, {.account = "load", .amount = 1, .note = a.note}, o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->note, a.note);
  }
  ASSERT_EQ(svc.terminate(), 0);

  std::map<std::string, std::int64_t> rows_per_note;
  for (const auto& row : query(svc.options().data_dir, "ledger",
                               "SELECT note, COUNT(*) FROM ledger_entry GROUP BY note")) {
    rows_per_note[row.text(0)] = row.int64(1);
  }
  for (const auto& a : acked) {
    ASSERT_EQ(rows_per_note[a.note], 1) << "acknowledged write " << a.note;
  }
  for (const auto& a : unacked)
    ASSERT_EQ(rows_per_note[a.note], 1) << "retried write " << a.note;
  EXPECT_EQ(rows_per_note.size(), acked.size() + unacked.size());
  // Every row has its idempotency key, and the outbox an event per entry.
  auto keys = query(svc.options().data_dir, "ledger", "SELECT COUNT(*) FROM kai_idempotency");
  EXPECT_EQ(keys.at(0).int64(0), static_cast<std::int64_t>(acked.size() + unacked.size()));
  auto events = query(svc.options().data_dir, "ledger", "SELECT COUNT(*) FROM kai_outbox");
  EXPECT_EQ(events.at(0).int64(0), static_cast<std::int64_t>(acked.size() + unacked.size()));
}

TEST_F(ServiceFaultTest, RedisKilledAndRestartedWhileServing) {
  RedisServer redis;
  SampleService svc(options("kai-sample-ledger", "ledger", redis.url()));
  auto client = new_client();
  auto first = call<ledger::EntryAdd>(*client, {.account = "hot", .amount = 10, .note = {}});
  ASSERT_TRUE(first.ok());
  const std::string hits = R"(kai_cache_requests_total{result="hit",service="ledger"})";
  const std::string degraded = R"(kai_cache_degraded{service="ledger"})";

  // Load: reads of a hot key and writes, counting every answer that is not ok.
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::atomic<int> failed{0};
  std::atomic<std::int64_t> written{10};
  std::mutex err_mu;
  std::string last_error;
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      auto c = new_client();
      for (int n = 0; !stop; ++n) {
        Status st;
        if (t == 0 && n % 4 == 0) {
          auto r = call<ledger::EntryAdd>(*c, {.account = "hot", .amount = 1, .note = {}});
          if (r.ok()) ++written;
          st = r.status();
        } else if (n % 2 == 0) {
          st = call<ledger::EntryGet>(*c, {.id = first->id}).status();
        } else {
          auto b = call<ledger::AccountBalance>(*c, {.account = "hot"});
          st = b.status();
        }
        ++answered;
        if (!st.ok()) {
          ++failed;
          std::lock_guard lock(err_mu);
          last_error = st.to_string();
        }
      }
    });
  }
  const auto answered_more = [&](int n) {
    const int target = answered.load() + n;
    return wait_until([&] { return answered.load() >= target; }, 30s);
  };
  ASSERT_TRUE(answered_more(200));
  EXPECT_GT(svc.metric(hits), 0);
  EXPECT_EQ(svc.metric(degraded), 0);

  redis.kill_now();
  ASSERT_TRUE(wait_until([&] { return svc.metric(degraded) == 1; }, 20s));
  auto ready = svc.get("/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200) << ready->body;
  EXPECT_NE(ready->body.find("\"status\":\"degraded\""), std::string::npos) << ready->body;
  ASSERT_TRUE(answered_more(300));  // still answering, from the database

  redis.start();  // same port
  ASSERT_TRUE(wait_until([&] { return svc.metric(degraded) == 0; }, 20s));
  const double hits_after_restart = svc.metric(hits);
  ASSERT_TRUE(wait_until([&] { return svc.metric(hits) > hits_after_restart + 10; }, 20s));
  ready = svc.get("/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(ready->body.find("\"degraded\":true"), std::string::npos) << ready->body;
  EXPECT_GE(svc.metric(R"(kai_cache_reconnects_total{service="ledger"})"), 1);

  stop = true;
  for (auto& t : load)
    t.join();
  RecordProperty("requests", answered.load());
  EXPECT_EQ(failed.load(), 0) << last_error;
  // The balance is right (writes made while Redis was down were not hidden by stale entries).
  auto balance = call<ledger::AccountBalance>(*client, {.account = "hot"});
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->balance, written.load());
}

TEST_F(ServiceFaultTest, SubscriberStoppedWhileEventsFlowEndsWithEachEventAppliedOnce) {
  RedisServer redis;
  SampleService publisher(options("kai-sample-ledger", "ledger"));
  SampleService subscriber(options("kai-sample-tally", "tally", redis.url()));
  std::atomic<bool> stop{false};
  std::atomic<int> emitted{0};
  std::atomic<std::int64_t> sum{0};
  std::thread emit([&] {
    auto c = new_client();
    for (int n = 1; !stop; ++n) {
      bus::CallOptions o;
      o.timeout = 10s;
      auto r = call<ledger::EntryAdd>(
          *c, {.account = "acct-" + std::to_string(n % 7), .amount = n, .note = {}}, o);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      sum += n;
      ++emitted;
    }
  });
  const auto emitted_more = [&](int n) {
    const int target = emitted.load() + n;
    return wait_until([&] { return emitted.load() >= target; }, 30s);
  };
  auto client = new_client();
  const auto applied = [&]() -> std::int64_t {
    auto s = call<tally::TallySummary>(*client, {});
    return s.ok() ? s->applications : -1;
  };

  ASSERT_TRUE(emitted_more(100));
  ASSERT_TRUE(wait_until([&] { return applied() >= 50; }, 20s));
  // Stopped cleanly while events flow; events keep coming.
  ASSERT_EQ(subscriber.terminate(), 0);
  ASSERT_TRUE(emitted_more(150));
  subscriber.start();
  ASSERT_TRUE(emitted_more(100));
  // Killed while applying; events keep coming.
  subscriber.kill_now();
  ASSERT_TRUE(emitted_more(150));
  subscriber.start();
  ASSERT_TRUE(emitted_more(50));
  stop = true;
  emit.join();

  const std::int64_t n = emitted.load();
  RecordProperty("events", static_cast<int>(n));
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = call<tally::TallySummary>(*client, {});
        return s.ok() && s->last_seq == n;
      },
      60s));
  auto summary = call<tally::TallySummary>(*client, {});
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->applications, n);      // no event applied twice …
  EXPECT_EQ(summary->distinct_entries, n);  // … and none missing
  std::int64_t total = 0;
  for (int a = 0; a < 7; ++a) {
    auto t = call<tally::TotalGet>(*client, {.account = "acct-" + std::to_string(a)});
    ASSERT_TRUE(t.ok());
    total += t->total;
  }
  EXPECT_EQ(total, sum.load());
  // The subscriber's own data, read from its database file.
  ASSERT_EQ(subscriber.terminate(), 0);
  auto rows = query(subscriber.options().data_dir, "tally",
                    "SELECT COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq) "
                    "FROM tally_application");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].int64(0), n);
  EXPECT_EQ(rows[0].int64(1), n);
  EXPECT_EQ(rows[0].int64(2), 1);
  EXPECT_EQ(rows[0].int64(3), n);
}

}  // namespace
}  // namespace kai
