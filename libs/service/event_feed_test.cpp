// EventFeed against a real publisher: the sample ledger runs as a process behind a real
// kai-broker, and the test hands the feed (of an in-process tally) exactly the bus messages it
// wants — a head beacon announcing events never delivered, a jump in the sequence, duplicates —
// so that the catch-up over events.since is exercised deterministically.
#include "service/event_feed.hpp"

#include <algorithm>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "sample_schema/ledger.hpp"
#include "sample_service/sample_process.hpp"
#include "sample_service/tally.hpp"
#include "service/service_test_util.hpp"
#include "support/cluster.hpp"
#include "support/process.hpp"

namespace kai::svc::detail {
namespace {

namespace ledger = kai::sample::ledger;
using kai::sample::testing::call;
using kai::testing::wait_until;
using namespace std::chrono_literals;

class EventFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ =
        std::make_unique<kai::sample::testing::SampleService>(kai::sample::testing::SampleOptions{
            .program = "kai-sample-ledger",
            .data_dir = dir_.path() + "/ledger",
            .broker = broker_.endpoint(),
            .events_pub = broker_.xsub_endpoint(),
            .events_sub = broker_.xpub_endpoint(),
            .redis_url = {},
            .extra_args = {},
        });
    client_ =
        std::make_unique<bus::Client>(ctx_, bus::ClientOptions{{broker_.endpoint()}, {}, 4 << 20});
    const ServiceDefinition def = kai::sample::tally_definition();
    const std::string data_dir = "--data-dir=" + dir_.path() + "/tally";
    const char* argv[] = {"tally", data_dir.c_str(), "--redis-url="};
    auto cfg = Config::parse(
        standard_settings(def), 3, argv, false,
        [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
    ASSERT_TRUE(cfg.ok()) << cfg.status().to_string();
    auto rt = Runtime::create(def, std::move(*cfg), client_.get());
    ASSERT_TRUE(rt.ok()) << rt.status().to_string();
    tally_ = std::move(*rt);
    feed_ = std::make_unique<EventFeed>(*tally_, "ledger", *client_);
  }
  void TearDown() override {
    feed_.reset();
    tally_.reset();
  }

  // Adds an entry through the bus; returns the event the ledger published for it.
  bus::Event add(std::int64_t amount, std::int64_t seq) {
    auto e = call<ledger::EntryAdd>(*client_, {.account = "a", .amount = amount, .note = {}});
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    return bus::Event{
        .topic = "ledger.entry.added",
        .publisher = "ledger",
        .seq = static_cast<std::uint64_t>(seq),
        .time_ms = now_unix_ms(),
        .payload = encode(ledger::EntryAddedEvent{
            .id = e.ok() ? e->id : 1, .account = "a", .amount = amount, .at = 1}),
    };
  }
  std::int64_t applied() {
    auto last = tally_->last_applied("ledger");
    return last.ok() ? *last : -1;
  }
  std::int64_t rows() {
    std::int64_t n = -1;
    EXPECT_TRUE(tally_->database()
                    .read([&](store::Tx& tx) -> Status {
                      auto r = tx.query_one(
                          "SELECT COUNT(*), COUNT(DISTINCT seq) FROM "
                          "tally_application");
                      if (!r.ok()) return r.status();
                      EXPECT_EQ((*r)->int64(0), (*r)->int64(1));
                      n = (*r)->int64(0);
                      return Status::Ok();
                    })
                    .ok());
    return n;
  }

  kai::testing::TempDir dir_;
  kai::testing::BrokerProcess broker_;
  std::unique_ptr<kai::sample::testing::SampleService> ledger_;
  zmq::context_t ctx_;
  std::unique_ptr<bus::Client> client_;
  std::unique_ptr<Runtime> tally_;
  std::unique_ptr<EventFeed> feed_;
};

TEST_F(EventFeedTest, CatchesUpAtStartThenOnBeaconsAndGaps) {
  for (int i = 1; i <= 5; ++i)
    add(i, i);
  feed_->start();
  // At start the feed asks events.since for everything after its persisted position.
  ASSERT_TRUE(wait_until([&] { return applied() == 5; }, 20s));
  EXPECT_EQ(rows(), 5);

  // Three more entries whose events never arrive; only the head beacon does.
  for (int i = 6; i <= 8; ++i)
    add(i, i);
  const std::string gaps = R"(kai_events_gaps_total{publisher="ledger",service="tally"})";
  const double gaps_before = std::max(0.0, testing::metric(gaps));  // -1: no series yet
  feed_->offer(bus::Event{.topic = bus::head_topic("ledger"),
                          .publisher = "ledger",
                          .seq = 8,
                          .time_ms = now_unix_ms(),
                          .payload = {}});
  ASSERT_TRUE(wait_until([&] { return applied() == 8; }, 20s));
  EXPECT_EQ(rows(), 8);
  EXPECT_EQ(testing::metric(gaps), gaps_before + 1);

  // A jump: 9 and 10 are lost, 11 arrives.
  add(9, 9);
  add(10, 10);
  const bus::Event e11 = add(11, 11);
  feed_->offer(bus::Event(e11));
  ASSERT_TRUE(wait_until([&] { return applied() == 11; }, 20s));
  EXPECT_EQ(testing::metric(gaps), gaps_before + 2);

  // Duplicates (a late copy of 11, an old one) are ignored; the next one applies live.
  feed_->offer(bus::Event(e11));
  const bus::Event e12 = add(12, 12);
  feed_->offer(bus::Event(e12));
  ASSERT_TRUE(wait_until([&] { return applied() == 12; }, 20s));
  EXPECT_EQ(rows(), 12);
  EXPECT_EQ(testing::metric(gaps), gaps_before + 2);
  ASSERT_TRUE(wait_until([&] {
    return testing::metric(R"(kai_events_replay_lag{publisher="ledger",service="tally"})") == 0;
  }));
}

TEST_F(EventFeedTest, WaitsForAPublisherThatIsDownAndStopsPromptly) {
  for (int i = 1; i <= 3; ++i)
    add(i, i);
  ledger_->kill_now();
  feed_->start();
  feed_->offer(bus::Event{.topic = bus::head_topic("ledger"),
                          .publisher = "ledger",
                          .seq = 3,
                          .time_ms = now_unix_ms(),
                          .payload = {}});
  EXPECT_EQ(applied(), 0);
  ledger_->start();
  ASSERT_TRUE(wait_until([&] { return applied() == 3; }, 30s));
  EXPECT_EQ(rows(), 3);
  feed_->stop();
}

}  // namespace
}  // namespace kai::svc::detail
