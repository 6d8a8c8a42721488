// kai-membership on the event bus, through the real kai-broker: its own changes are published with
// sequence numbers and can be fetched again with events.since; other departments' completed
// activities (<service>.activity.completed) feed its ledger exactly once, missed ones fetched back
// from the publisher.
#include <mutex>

#include <gtest/gtest.h>

#include "bus/envelope.hpp"
#include "bus/events.hpp"
#include "bus/worker.hpp"
#include "common/time.hpp"
#include "integration/membership_cluster.hpp"
#include "membership/reported_activity.hpp"

namespace kai {
namespace {

using namespace msg::membership;
using namespace std::chrono_literals;
using testing::MembershipCluster;
using testing::wait_until;

TEST(MembershipEvents, ChangesArePublishedInOrderAndCanBeFetchedAgain) {
  MembershipCluster c;
  std::mutex mu;
  std::vector<bus::Event> seen;
  bus::EventSubscriber sub(c.context(), {c.broker().xpub_endpoint()}, {"membership."}, {},
                           [&](bus::Event&& e) {
                             std::lock_guard lock(mu);
                             seen.push_back(std::move(e));
                           });
  // Subscriptions propagate asynchronously: publish until the first event arrives.
  std::int64_t first_id = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        OrganizationCreateRequest r;
        r.name = "单位" + std::to_string(first_id++);
        r.kind = OrganizationKind::social;
        EXPECT_TRUE(c.call<OrganizationCreate>(r).ok());
        std::lock_guard lock(mu);
        for (const auto& e : seen) {
          if (e.topic == "membership.organization.changed") return true;
        }
        return false;
      },
      10s));
  OrganizationUpdateRequest upd;
  auto listed = c.call<OrganizationList>({});
  ASSERT_TRUE(listed.ok());
  upd.id = listed->items[0].id;
  upd.name = "改名后的单位";
  ASSERT_TRUE(c.call<OrganizationUpdate>(upd).ok());
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(mu);
    return !seen.empty() && seen.back().topic == "membership.organization.changed" && [&] {
      auto h = schema::unpack(seen.back().payload);
      OrganizationChangedEvent e;
      return h.ok() && decode(h->get(), e).ok() && e.change == OrganizationChange::updated;
    }();
  }));
  {
    std::lock_guard lock(mu);
    for (std::size_t i = 1; i < seen.size(); ++i)
      EXPECT_EQ(seen[i].seq, seen[i - 1].seq + 1);
    EXPECT_EQ(seen.back().publisher, "membership");
  }

  // Every event is kept and answered by events.since, in order.
  msg::common::EventsSinceRequest since;
  since.after = 0;
  auto r = c.client().call("membership", "events.since", encode(since));
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  auto h = schema::unpack(r.payload);
  ASSERT_TRUE(h.ok());
  msg::common::EventsSinceReply reply;
  ASSERT_TRUE(decode(h->get(), reply).ok());
  ASSERT_FALSE(reply.events.empty());
  EXPECT_EQ(reply.events.front().seq, 1);
  EXPECT_EQ(reply.head, reply.events.back().seq);
  auto last = schema::unpack(reply.events.back().payload);
  ASSERT_TRUE(last.ok());
  OrganizationChangedEvent e;
  ASSERT_TRUE(decode(last->get(), e).ok());
  EXPECT_EQ(e.id, upd.id);
  EXPECT_EQ(e.name, "改名后的单位");
  EXPECT_EQ(e.version, 2);
}

// A stand-in for the clubs service: keeps its activity events and answers events.since.
class ClubsPublisher {
 public:
  ClubsPublisher(zmq::context_t& ctx, const testing::BrokerProcess& broker)
      : publisher_(ctx, {broker.xsub_endpoint()}, {}),
        worker_(ctx, options(broker),
                [this](bus::Frames& body, bus::Frames& reply) { serve(body, reply); }) {
    worker_.start();
  }
  ~ClubsPublisher() { worker_.stop(); }

  // Stores the next event; sends it on the bus unless `lost`.
  void add(const std::string& ref, std::int64_t org, int times, bool lost = false) {
    membership::ReportedActivity a;
    a.activity.ref = ref;
    a.activity.title = "楼宇俱乐部活动 " + ref;
    a.activity.held_on = "2026-11-20";
    a.activity.organization_ids = std::vector<std::int64_t>{org};
    a.activity.participant_times = times;
    bus::Event e{.topic = "clubs.activity.completed",
                 .publisher = "clubs",
                 .seq = 0,
                 .time_ms = now_unix_ms(),
                 .payload = encode(a)};
    {
      std::lock_guard lock(mu_);
      e.seq = events_.size() + 1;
      events_.push_back(e);
    }
    if (!lost) publisher_.publish(e);
  }
  int since_calls() const { return since_calls_.load(); }

 private:
  static bus::WorkerOptions options(const testing::BrokerProcess& broker) {
    bus::WorkerOptions o;
    o.service = "clubs";
    o.brokers = {broker.endpoint()};
    o.slots = 2;
    o.heartbeat_interval = 100ms;
    return o;
  }

  void serve(bus::Frames& body, bus::Frames& reply) {
    auto header = bus::decode_request_header(bus::view(body[0]));
    if (!header.ok() || header->op != "events.since" || body.size() < 2) {
      reply.push_back(bus::frame(bus::encode_reply_header({0, invalid_argument("unexpected")})));
      return;
    }
    ++since_calls_;
    auto h = schema::unpack(bus::view(body[1]));
    msg::common::EventsSinceRequest req;
    if (!h.ok() || !decode(h->get(), req).ok()) {
      reply.push_back(bus::frame(bus::encode_reply_header({header->id, invalid_argument("bad")})));
      return;
    }
    msg::common::EventsSinceReply out;
    {
      std::lock_guard lock(mu_);
      for (const bus::Event& e : events_) {
        if (static_cast<std::int64_t>(e.seq) <= req.after) continue;
        if (static_cast<int>(out.events.size()) >= req.limit) break;
        msg::common::EventRecord rec;
        rec.seq = static_cast<std::int64_t>(e.seq);
        rec.topic_ = e.topic;
        rec.payload = e.payload;
        rec.created_at = e.time_ms;
        out.events.push_back(std::move(rec));
      }
      out.head = static_cast<std::int64_t>(events_.size());
    }
    reply.push_back(bus::frame(bus::encode_reply_header({header->id, Status::Ok()})));
    reply.push_back(bus::frame(encode(out)));
  }

  std::mutex mu_;
  std::vector<bus::Event> events_;
  std::atomic<int> since_calls_{0};
  bus::EventPublisher publisher_;
  bus::WorkerPool worker_;
};

std::int64_t ledger_size(MembershipCluster& c) {
  ActivityListRequest list;
  list.source = ActivitySource::clubs;
  list.limit = 200;
  auto r = c.call<ActivityList>(list);
  return r.ok() ? static_cast<std::int64_t>(r->items.size()) : -1;
}

TEST(MembershipEvents, ClubsActivitiesFeedTheLedgerExactlyOnceEvenWhenSomeAreMissed) {
  MembershipCluster c;
  OrganizationCreateRequest r;
  r.name = "楼宇企业";
  r.kind = OrganizationKind::two_new;
  auto org = c.call<OrganizationCreate>(r);
  ASSERT_TRUE(org.ok());

  ClubsPublisher clubs(c.context(), c.broker());
  clubs.add("e1", org->id, 30);
  ASSERT_TRUE(wait_until([&] { return ledger_size(c) == 1; }, 20s));
  // Event 2 never reaches the bus; event 3 does: membership notices the gap and fetches 2 back.
  clubs.add("e2", org->id, 20, /*lost=*/true);
  clubs.add("e3", org->id, 10);
  ASSERT_TRUE(wait_until([&] { return ledger_size(c) == 3; }, 20s));

  ActivityTotalsRequest totals;
  totals.group_by = ActivityTotalsRequest::GroupBy::organization;
  auto t = c.call<ActivityTotals>(totals);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->participant_times, 60);

  // After a restart nothing is applied twice: the position is kept with the data.
  ASSERT_EQ(c.stop_service(), 0);
  clubs.add("e4", org->id, 5, /*lost=*/true);  // published while membership was down
  c.start_service();
  ASSERT_TRUE(wait_until([&] { return ledger_size(c) == 4; }, 20s));
  EXPECT_EQ(c.call<ActivityTotals>(totals)->participant_times, 65);
  EXPECT_GE(clubs.since_calls(), 2);
  EXPECT_TRUE(wait_until([&] {
    return c.metric("kai_events_applied_total", {{"publisher", "clubs"}}).value_or(0) >= 1;
  }));
}

}  // namespace
}  // namespace kai
