// Cache-aside through a real redis-server with invalidation on the service's own writes and on
// other services' events; the outbox and events.since; applying events exactly once; periodic jobs
// and business gauges.
#include <atomic>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "sample_schema/common.hpp"
#include "sample_schema/ledger.hpp"
#include "sample_schema/tally.hpp"
#include "sample_service/ledger.hpp"
#include "sample_service/tally.hpp"
#include "schema/unpack.hpp"
#include "service/local_service.hpp"
#include "service/service_test_util.hpp"
#include "support/process.hpp"

namespace kai::svc {
namespace {

namespace ledger = kai::sample::ledger;
namespace tally = kai::sample::tally;
namespace common = kai::sample::common;
using kai::testing::RedisServer;
using kai::testing::TempDir;
using testing::metric;

Status exec(LocalService& svc, std::string_view sql, std::initializer_list<store::Value> params) {
  return svc.database().write([&](store::Tx& tx) { return tx.exec(sql, params); });
}

ledger::EntryAddedEvent added(std::int64_t id, std::string account, std::int64_t amount) {
  return {.id = id, .account = std::move(account), .amount = amount, .at = 1'700'000'000'000};
}

class ServiceCacheTest : public ::testing::Test {
 protected:
  RedisServer redis_;
  TempDir dir_;
};

TEST_F(ServiceCacheTest, ReadsAreCachedAndOwnWritesInvalidateThem) {
  auto svc = LocalService::start(kai::sample::ledger_definition(),
                                 {.data_dir = dir_.path(), .redis_url = redis_.url()});
  ASSERT_TRUE(svc.ok()) << svc.status().to_string();
  LocalService& s = **svc;
  const std::string hits = R"(kai_cache_requests_total{result="hit",service="ledger"})";
  const double hits_before = metric(hits);
  auto e = s.call<ledger::EntryAdd>({.account = "acct", .amount = 100, .note = std::nullopt});
  ASSERT_TRUE(e.ok());
  auto b1 = s.call<ledger::AccountBalance>({.account = "acct"});
  ASSERT_TRUE(b1.ok());
  EXPECT_EQ(b1->balance, 100);

  // Change the database behind the service's back: the cached balance is still answered, which
  // shows that the second read came from Redis.
  ASSERT_TRUE(exec(s, "UPDATE ledger_entry SET amount = 5000 WHERE id = ?", {e->id}).ok());
  auto b2 = s.call<ledger::AccountBalance>({.account = "acct"});
  ASSERT_TRUE(b2.ok());
  EXPECT_EQ(b2->balance, 100);
  EXPECT_EQ(metric(hits), hits_before + 1);

  // A write through the service invalidates the key after its commit.
  ASSERT_TRUE(
      s.call<ledger::EntryAdd>({.account = "acct", .amount = 1, .note = std::nullopt}).ok());
  auto b3 = s.call<ledger::AccountBalance>({.account = "acct"});
  ASSERT_TRUE(b3.ok());
  EXPECT_EQ(b3->balance, 5001);
  EXPECT_EQ(b3->entries, 2);

  // Entries: cached on read, invalidated by entry.remove.
  ASSERT_TRUE(s.call<ledger::EntryGet>({.id = e->id}).ok());
  auto removed = s.call<ledger::EntryRemove>({.id = e->id});
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->removed);
  EXPECT_EQ(s.call<ledger::EntryGet>({.id = e->id}).status().code(), StatusCode::not_found);
  auto b4 = s.call<ledger::AccountBalance>({.account = "acct"});
  ASSERT_TRUE(b4.ok());
  EXPECT_EQ(b4->balance, 1);
}

// The fast lane the bus I/O thread tries first: a cached_read (entry.get) whose entry is in the
// local copy is answered there; everything else is left to the handler threads.
TEST_F(ServiceCacheTest, CachedReadsInTheLocalCopyAreAnsweredInline) {
  auto svc = LocalService::start(kai::sample::ledger_definition(),
                                 {.data_dir = dir_.path(),
                                  .redis_url = redis_.url(),
                                  .settings = {{"cache-local-ttl", "1m"}}});
  ASSERT_TRUE(svc.ok()) << svc.status().to_string();
  LocalService& s = **svc;
  auto e = s.call<ledger::EntryAdd>({.account = "acct", .amount = 42, .note = "会费"});
  ASSERT_TRUE(e.ok());
  const std::string get = encode(ledger::EntryGetRequest{.id = e->id});
  EXPECT_EQ(s.call_inline("entry.get", get), std::nullopt);  // not loaded yet

  ASSERT_TRUE(s.call<ledger::EntryGet>({.id = e->id}).ok());  // loads; kept in Redis and locally
  const std::string ok_series = R"(kai_requests_total{code="ok",op="entry.get",service="ledger"})";
  const double served = metric(ok_series);
  std::optional<std::string> inline_reply = s.call_inline("entry.get", get);
  ASSERT_TRUE(inline_reply.has_value());
  auto obj = schema::unpack(*inline_reply);
  ASSERT_TRUE(obj.ok());
  ledger::Entry got;
  ASSERT_TRUE(decode(obj->get(), got).ok());
  EXPECT_EQ(got, *e);
  EXPECT_EQ(metric(ok_series), served + 1);  // counted like any other answer

  // Not for the fast lane: invalid requests, other operations, passed deadlines.
  EXPECT_EQ(s.call_inline("entry.get", encode(ledger::AccountBalanceRequest{.account = "acct"})),
            std::nullopt);
  EXPECT_EQ(s.call_raw("entry.get", encode(ledger::AccountBalanceRequest{.account = "acct"}))
                .status()
                .code(),
            StatusCode::invalid_argument);
  EXPECT_EQ(s.call_inline("entry.nothing", get), std::nullopt);
  ASSERT_TRUE(s.call<ledger::AccountBalance>({.account = "acct"}).ok());
  ASSERT_TRUE(s.call<ledger::AccountBalance>({.account = "acct"}).ok());  // cached, not cached_read
  EXPECT_EQ(
      s.call_inline("account.balance", encode(ledger::AccountBalanceRequest{.account = "acct"})),
      std::nullopt);
  EXPECT_EQ(s.call_inline("entry.get", get, {.deadline_ms = now_unix_ms() - 1}), std::nullopt);

  // A write's invalidation takes the entry out of the fast lane at once.
  ASSERT_TRUE(s.call<ledger::EntryRemove>({.id = e->id}).ok());
  EXPECT_EQ(s.call_inline("entry.get", get), std::nullopt);
  EXPECT_EQ(s.call<ledger::EntryGet>({.id = e->id}).status().code(), StatusCode::not_found);
  EXPECT_EQ(s.call_inline("entry.get", get), std::nullopt);  // errors are never cached
}

TEST(ServiceWithoutCache, HasNoFastLane) {
  TempDir dir;
  auto svc = LocalService::start(kai::sample::ledger_definition(), {.data_dir = dir.path()});
  ASSERT_TRUE(svc.ok()) << svc.status().to_string();
  auto e = (*svc)->call<ledger::EntryAdd>({.account = "acct", .amount = 1, .note = std::nullopt});
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE((*svc)->call<ledger::EntryGet>({.id = e->id}).ok());
  EXPECT_EQ((*svc)->call_inline("entry.get", encode(ledger::EntryGetRequest{.id = e->id})),
            std::nullopt);
}

TEST_F(ServiceCacheTest, EventsInvalidateTheSubscribersCache) {
  auto svc = LocalService::start(kai::sample::tally_definition(),
                                 {.data_dir = dir_.path(), .redis_url = redis_.url()});
  ASSERT_TRUE(svc.ok()) << svc.status().to_string();
  LocalService& s = **svc;
  ASSERT_TRUE(s.deliver(1, added(1, "acct", 300)).ok());
  auto t1 = s.call<tally::TotalGet>({.account = "acct"});
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(t1->total, 300);
  ASSERT_TRUE(exec(s, "UPDATE tally_total SET total = 0", {}).ok());
  EXPECT_EQ(s.call<tally::TotalGet>({.account = "acct"})->total, 300);  // cached
  ASSERT_TRUE(s.deliver(2, added(2, "acct", 5)).ok());
  auto t3 = s.call<tally::TotalGet>({.account = "acct"});
  ASSERT_TRUE(t3.ok());
  EXPECT_EQ(t3->total, 5);  // invalidated by the event: read from the database again
  EXPECT_EQ(t3->entries, 2);
}

TEST_F(ServiceCacheTest, CorruptCacheEntriesAreIgnored) {
  auto svc = LocalService::start(kai::sample::ledger_definition(),
                                 {.data_dir = dir_.path(), .redis_url = redis_.url()});
  ASSERT_TRUE(svc.ok());
  LocalService& s = **svc;
  auto e = s.call<ledger::EntryAdd>({.account = "acct", .amount = 7, .note = std::nullopt});
  ASSERT_TRUE(e.ok());
  // Plant garbage under the key the service uses.
  kai::testing::Process cli("/usr/bin/redis-cli",
                            {"-p", std::to_string(redis_.port()), "SET",
                             "kai:ledger:entry:" + std::to_string(e->id), "garbage"});
  ASSERT_EQ(cli.wait(), 0);
  auto got = s.call<ledger::EntryGet>({.id = e->id});
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(*got, *e);
}

TEST_F(ServiceCacheTest, RedisDownMeansAnswersFromTheDatabase) {
  auto svc = LocalService::start(kai::sample::ledger_definition(),
                                 {.data_dir = dir_.path(), .redis_url = redis_.url()});
  ASSERT_TRUE(svc.ok());
  LocalService& s = **svc;
  ASSERT_TRUE(
      s.call<ledger::EntryAdd>({.account = "acct", .amount = 7, .note = std::nullopt}).ok());
  ASSERT_EQ(s.call<ledger::AccountBalance>({.account = "acct"})->balance, 7);
  redis_.kill_now();
  ASSERT_TRUE(
      s.call<ledger::EntryAdd>({.account = "acct", .amount = 3, .note = std::nullopt}).ok());
  for (int i = 0; i < 3; ++i) {
    auto b = s.call<ledger::AccountBalance>({.account = "acct"});
    ASSERT_TRUE(b.ok()) << b.status().to_string();
    EXPECT_EQ(b->balance, 10);
  }
  EXPECT_EQ(metric(R"(kai_cache_degraded{service="ledger"})"), 1);
}

TEST(Outbox, WritesAppendEventsThatEventsSinceAnswers) {
  TempDir dir;
  auto svc = LocalService::start(kai::sample::ledger_definition(), {.data_dir = dir.path()});
  ASSERT_TRUE(svc.ok());
  LocalService& s = **svc;
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(s.call<ledger::EntryAdd>({.account = "a", .amount = i, .note = std::nullopt}).ok());
  }
  auto published = s.published();
  ASSERT_TRUE(published.ok());
  ASSERT_EQ(published->size(), 5u);
  for (std::size_t i = 0; i < published->size(); ++i) {
    EXPECT_EQ((*published)[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ((*published)[i].topic, "ledger.entry.added");
  }

  auto page = s.call<ledger::EventsSince>({.after = 2, .limit = 2});
  ASSERT_TRUE(page.ok()) << page.status().to_string();
  EXPECT_EQ(page->head, 5);
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_EQ(page->events[0].seq, 3);
  EXPECT_EQ(page->events[1].seq, 4);
  auto obj = schema::unpack(page->events[0].payload);
  ASSERT_TRUE(obj.ok());
  ledger::EntryAddedEvent ev;
  ASSERT_TRUE(decode(obj->get(), ev).ok());
  EXPECT_EQ(ev.amount, 3);

  auto rest = s.call<ledger::EventsSince>({.after = 4, .limit = 100});
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->events.size(), 1u);
  auto none = s.call<ledger::EventsSince>({.after = 5, .limit = 100});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->events.empty());
  EXPECT_EQ(none->head, 5);
  // The standard operation is validated like any other.
  EXPECT_EQ(s.call_raw("events.since", "\x80").status().field(), "after");
}

TEST(Subscriptions, EachEventIsAppliedOnceInOrder) {
  TempDir dir;
  auto svc = LocalService::start(kai::sample::tally_definition(), {.data_dir = dir.path()});
  ASSERT_TRUE(svc.ok());
  LocalService& s = **svc;
  ASSERT_TRUE(s.deliver(1, added(10, "a", 1)).ok());
  ASSERT_TRUE(s.deliver(2, added(11, "a", 2)).ok());
  ASSERT_TRUE(s.deliver(1, added(10, "a", 1)).ok());  // duplicate: ignored
  ASSERT_TRUE(s.deliver(2, added(11, "a", 2)).ok());
  EXPECT_EQ(s.deliver(4, added(13, "a", 4)).code(), StatusCode::failed_precondition);  // gap
  ASSERT_TRUE(s.deliver(3, added(12, "a", 3)).ok());
  auto sum = s.call<tally::TallySummary>({});
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->applications, 3);
  EXPECT_EQ(sum->distinct_entries, 3);
  EXPECT_EQ(sum->last_seq, 3);
  EXPECT_EQ(*s.last_applied("ledger"), 3);
  EXPECT_EQ(s.call<tally::TotalGet>({.account = "a"})->total, 6);

  // The position is durable.
  svc->reset();
  auto again = LocalService::start(kai::sample::tally_definition(), {.data_dir = dir.path()});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*(*again)->last_applied("ledger"), 3);
  ASSERT_TRUE((*again)->deliver(3, added(12, "a", 3)).ok());
  EXPECT_EQ((*again)->call<tally::TallySummary>({})->applications, 3);
}

// A tally whose handler fails in the ways a handler can.
ServiceDefinition failing_tally(std::atomic<int>& calls, StatusCode code) {
  ServiceDefinition def = kai::sample::tally_definition();
  auto inner = def.setup;
  def.setup = [&calls, code](Registrar& r, const Config&) -> Status {
    r.subscribe<ledger::EntryAddedEvent>(
        [&calls, code](const ledger::EntryAddedEvent& e, WriteContext& ctx) -> Status {
          ++calls;
          KAI_RETURN_IF_ERROR(ctx.tx().exec(
              "INSERT INTO tally_application(seq, entry_id, account, amount) VALUES(?, ?, ?, ?)",
              {ctx.event()->seq, e.id, e.account, e.amount}));
          if (e.amount < 0) return Status(code, "negative amounts are refused");
          return Status::Ok();
        });
    r.read<tally::TotalGet>(
        [](const tally::TotalGetRequest& req, ReadContext&) -> Result<tally::AccountTotal> {
          return tally::AccountTotal{.account = req.account, .total = 0, .entries = 0};
        });
    r.read<tally::TallySummary>([](const tally::TallySummaryRequest&,
                                   ReadContext& ctx) -> Result<tally::TallySummaryReply> {
      auto row = ctx.tx().query_one("SELECT COUNT(*) FROM tally_application");
      if (!row.ok()) return row.status();
      return tally::TallySummaryReply{
          .applications = (*row)->int64(0), .distinct_entries = 0, .last_seq = 0};
    });
    return Status::Ok();
  };
  return def;
}

TEST(Subscriptions, APermanentHandlerErrorSkipsTheEventAndRollsItBack) {
  TempDir dir;
  std::atomic<int> calls{0};
  auto svc = LocalService::start(failing_tally(calls, StatusCode::invalid_argument),
                                 {.data_dir = dir.path()});
  ASSERT_TRUE(svc.ok()) << svc.status().to_string();
  LocalService& s = **svc;
  ASSERT_TRUE(s.deliver(1, added(1, "a", -5)).ok());
  EXPECT_EQ(*s.last_applied("ledger"), 1);  // skipped, so the feed goes on
  ASSERT_TRUE(s.deliver(2, added(2, "a", 5)).ok());
  EXPECT_EQ(s.call<tally::TallySummary>({})->applications, 1);  // the failed one rolled back
  EXPECT_EQ(calls.load(), 2);
}

TEST(Subscriptions, ARetryableHandlerErrorHoldsThePosition) {
  TempDir dir;
  std::atomic<int> calls{0};
  auto svc =
      LocalService::start(failing_tally(calls, StatusCode::unavailable), {.data_dir = dir.path()});
  ASSERT_TRUE(svc.ok());
  LocalService& s = **svc;
  EXPECT_EQ(s.deliver(1, added(1, "a", -5)).code(), StatusCode::unavailable);
  EXPECT_EQ(*s.last_applied("ledger"), 0);
  EXPECT_EQ(s.call<tally::TallySummary>({})->applications, 0);
}

TEST(Subscriptions, InvalidEventsAreSkipped) {
  TempDir dir;
  auto svc = LocalService::start(kai::sample::tally_definition(), {.data_dir = dir.path()});
  ASSERT_TRUE(svc.ok());
  LocalService& s = **svc;
  // amount missing, and not MessagePack at all.
  ASSERT_TRUE(s.deliver("ledger", 1, "ledger.entry.added", "\x81\xa2id\x01").ok());
  ASSERT_TRUE(s.deliver("ledger", 2, "ledger.entry.added", "\xc1").ok());
  // A topic of the publisher this service has no handler for still advances the position.
  ASSERT_TRUE(s.deliver("ledger", 3, "ledger.entry.archived", "\x80").ok());
  EXPECT_EQ(*s.last_applied("ledger"), 3);
  EXPECT_EQ(s.call<tally::TallySummary>({})->applications, 0);
  ASSERT_TRUE(s.deliver(4, added(4, "a", 1)).ok());
  EXPECT_EQ(s.call<tally::TallySummary>({})->applications, 1);
}

TEST(Periodic, JobsAndGaugesRunInTheirTransactions) {
  TempDir dir;
  std::atomic<int> job_runs{0};
  ServiceDefinition def = kai::sample::ledger_definition();
  auto inner = def.setup;
  UnixMillis fixed_now = 1'800'000'000'000;
  def.clock = [&] { return fixed_now; };
  def.setup = [&](Registrar& r, const Config& cfg) -> Status {
    KAI_RETURN_IF_ERROR(inner(r, cfg));
    r.on_start([](WriteContext& ctx) -> Status {
      return ctx.tx().exec(
          "INSERT INTO ledger_entry(account, amount, created_at) VALUES('seed', 1, ?)",
          {ctx.now()});
    });
    r.every(std::chrono::hours(1), "sweep", [&](WriteContext& ctx) -> Status {
      ++job_runs;
      KAI_RETURN_IF_ERROR(ctx.emit(ledger::EntryAddedEvent{
          .id = 1000 + job_runs.load(), .account = "sweep", .amount = 0, .at = ctx.now()}));
      return ctx.tx().exec("DELETE FROM ledger_entry WHERE account = 'gone'");
    });
    r.gauge_family("kai_ledger_accounts_by_sign", "Accounts by the sign of their balance",
                   [](ReadContext& ctx) -> Result<std::vector<GaugeSample>> {
                     auto rows = ctx.tx().query(
                         "SELECT CASE WHEN SUM(amount) < 0 THEN 'negative' ELSE 'positive' END, "
                         "COUNT(*) FROM ledger_entry GROUP BY account");
                     if (!rows.ok()) return rows.status();
                     std::map<std::string, double> by;
                     for (const auto& row : *rows)
                       by[row.text(0)] += 1;
                     std::vector<GaugeSample> out;
                     for (const auto& [sign, n] : by)
                       out.push_back({{{"sign", sign}}, n});
                     return out;
                   });
    return Status::Ok();
  };
  auto svc = LocalService::start(def, {.data_dir = dir.path()});
  ASSERT_TRUE(svc.ok()) << svc.status().to_string();
  LocalService& s = **svc;
  EXPECT_EQ(job_runs.load(), 1);  // once at start
  auto e = s.call<ledger::EntryGet>({.id = 1});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->account, "seed");
  EXPECT_EQ(e->created_at, fixed_now);  // the injected clock

  ASSERT_TRUE(
      s.call<ledger::EntryAdd>({.account = "gone", .amount = -4, .note = std::nullopt}).ok());
  ASSERT_TRUE(s.refresh_gauges().ok());
  EXPECT_EQ(metric(R"(kai_ledger_entries)"), 2);
  EXPECT_EQ(metric(R"(kai_ledger_accounts_by_sign{sign="negative"})"), 1);
  EXPECT_EQ(metric(R"(kai_ledger_accounts_by_sign{sign="positive"})"), 1);

  ASSERT_TRUE(s.run_job("sweep").ok());
  EXPECT_EQ(job_runs.load(), 2);
  ASSERT_TRUE(s.refresh_gauges().ok());
  EXPECT_EQ(metric(R"(kai_ledger_entries)"), 1);
  // A series no longer returned is removed.
  EXPECT_EQ(metric(R"(kai_ledger_accounts_by_sign{sign="negative"})"), -1);
  EXPECT_EQ(s.run_job("nothing").code(), StatusCode::not_found);
  auto events = s.published();
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 3u);  // two sweeps and one entry.add
}

}  // namespace
}  // namespace kai::svc
