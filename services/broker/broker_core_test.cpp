#include "broker/broker_core.hpp"

#include <map>

#include <gtest/gtest.h>

namespace kai::broker {
namespace {

using namespace std::chrono_literals;
using bus::frame;
using bus::Frames;
using bus::view;

struct Sent {
  std::vector<std::string> frames;
};

class CaptureSink : public Sink {
 public:
  bus::SendResult send(Frames& msg) override {
    const std::string to(view(msg[0]));
    if (unreachable.count(to)) return bus::SendResult::unreachable;
    Sent s;
    for (auto& f : msg)
      s.frames.emplace_back(view(f));
    msg.clear();
    sent.push_back(std::move(s));
    return bus::SendResult::ok;
  }
  std::vector<Sent> take() { return std::exchange(sent, {}); }
  std::vector<Sent> sent;
  std::set<std::string> unreachable;
};

double metric(prometheus::Registry& r, const std::string& name,
              const std::map<std::string, std::string>& labels) {
  for (const auto& fam : r.Collect()) {
    if (fam.name != name) continue;
    for (const auto& m : fam.metric) {
      std::map<std::string, std::string> got;
      for (const auto& l : m.label)
        got[l.name] = l.value;
      bool match = true;
      for (const auto& [k, v] : labels)
        match = match && got[k] == v;
      if (!match) continue;
      return fam.type == prometheus::MetricType::Gauge ? m.gauge.value : m.counter.value;
    }
  }
  return -1;
}

// Identities as libzmq makes them: binary, starting with a zero byte.
std::string id(int n) {
  return std::string("\0\0\0\0", 4) + static_cast<char>(n);
}

class BrokerCoreTest : public ::testing::Test {
 protected:
  BrokerCoreTest() : metrics_(registry_) { make_core({}); }

  void make_core(Authorizer auth) {
    BrokerOptions o;
    o.heartbeat_interval = 1000ms;
    o.heartbeat_liveness = 3;
    o.queue_limit = 3;
    o.queue_deadline = 5000ms;
    core_ = std::make_unique<BrokerCore>(o, sink_, metrics_, std::move(auth));
  }

  void in(std::initializer_list<std::string> parts, TimePoint at) {
    Frames f;
    for (const auto& p : parts)
      f.push_back(frame(p));
    core_->handle(f, at);
  }
  void ready(const std::string& w, const std::string& svc) {
    in({w, "", "MDPW01", "\x01", svc}, t0_);
  }
  void request(const std::string& c, const std::string& svc, const std::string& body,
               TimePoint at) {
    in({c, "", "MDPC01", svc, body}, at);
  }
  void reply(const std::string& w, const std::string& c, const std::string& body, TimePoint at) {
    in({w, "", "MDPW01", "\x03", c, "", body}, at);
  }

  static bool is_disconnect(const Sent& s, const std::string& to) {
    return s.frames == std::vector<std::string>{to, "", "MDPW01", "\x05"};
  }

  prometheus::Registry registry_;
  BrokerMetrics metrics_;
  CaptureSink sink_;
  std::unique_ptr<BrokerCore> core_;
  TimePoint t0_ = Clock::now();
};

TEST_F(BrokerCoreTest, RoutesRequestToWorkerAndReplyBackByteForByte) {
  ready(id(1), "echo");
  EXPECT_EQ(core_->worker_count("echo"), 1u);
  request(id(9), "echo", "hello", t0_);
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frames,
            (std::vector<std::string>{id(1), "", "MDPW01", "\x02", id(9), "", "hello"}));
  reply(id(1), id(9), "world", t0_);
  out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frames, (std::vector<std::string>{id(9), "", "MDPC01", "echo", "world"}));
  EXPECT_EQ(metric(registry_, "kai_broker_requests_routed_total", {{"service", "echo"}}), 1);
  EXPECT_EQ(metric(registry_, "kai_broker_replies_total", {{"service", "echo"}}), 1);
}

TEST_F(BrokerCoreTest, MultiFrameBodiesPassThrough) {
  ready(id(1), "echo");
  in({id(9), "", "MDPC01", "echo", "h", "p", "x"}, t0_);
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frames,
            (std::vector<std::string>{id(1), "", "MDPW01", "\x02", id(9), "", "h", "p", "x"}));
}

TEST_F(BrokerCoreTest, SpreadsLoadLeastRecentlyUsedFirst) {
  for (int w = 1; w <= 3; ++w)
    ready(id(w), "svc");
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) {
    request(id(100), "svc", "r", t0_);
    auto out = sink_.take();
    ASSERT_EQ(out.size(), 1u);
    order.push_back(out[0].frames[0]);
    reply(out[0].frames[0], id(100), "ok", t0_);
    sink_.take();
  }
  EXPECT_EQ(order, (std::vector<std::string>{id(1), id(2), id(3), id(1), id(2), id(3)}));
}

TEST_F(BrokerCoreTest, QueuesUntilAWorkerIsReady) {
  request(id(9), "late", "first", t0_);
  request(id(8), "late", "second", t0_);
  EXPECT_EQ(core_->queue_depth("late"), 2u);
  EXPECT_TRUE(sink_.take().empty());
  ready(id(1), "late");
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frames.back(), "first");
  reply(id(1), id(9), "r1", t0_);
  out = sink_.take();
  ASSERT_EQ(out.size(), 2u);  // reply to 9, then the queued request for 8
  EXPECT_EQ(out[0].frames[0], id(9));
  EXPECT_EQ(out[1].frames[0], id(1));
  EXPECT_EQ(out[1].frames.back(), "second");
  EXPECT_EQ(core_->queue_depth("late"), 0u);
}

TEST_F(BrokerCoreTest, QueueIsBoundedAndHasADeadline) {
  for (int i = 0; i < 5; ++i)
    request(id(9), "nobody", "r", t0_);
  EXPECT_EQ(core_->queue_depth("nobody"), 3u);
  EXPECT_EQ(metric(registry_, "kai_broker_requests_dropped_total",
                   {{"service", "nobody"}, {"reason", "queue_full"}}),
            2);
  core_->tick(t0_ + 6s);
  EXPECT_EQ(core_->queue_depth("nobody"), 0u);
  EXPECT_EQ(metric(registry_, "kai_broker_requests_dropped_total",
                   {{"service", "nobody"}, {"reason", "deadline"}}),
            3);
  EXPECT_EQ(core_->total_queued(), 0u);
  // A worker arriving now gets nothing stale.
  in({id(1), "", "MDPW01", "\x01", "nobody"}, t0_ + 6s);
  EXPECT_TRUE(sink_.take().empty());
}

TEST_F(BrokerCoreTest, ExpiresEveryDeadWorkerNotJustTheFirst) {
  for (int w = 1; w <= 4; ++w)
    ready(id(w), "svc");
  request(id(50), "svc", "r", t0_);  // worker 1 becomes busy
  sink_.take();
  // Only worker 3 keeps talking.
  for (auto t = t0_ + 1s; t < t0_ + 5s; t += 1s) {
    in({id(3), "", "MDPW01", "\x04"}, t);
    core_->tick(t);
  }
  core_->tick(t0_ + 5s);
  EXPECT_EQ(core_->worker_count("svc"), 1u);
  EXPECT_EQ(core_->idle_count("svc"), 1u);
  EXPECT_EQ(metric(registry_, "kai_broker_workers_expired_total", {{"service", "svc"}}), 3);
  EXPECT_EQ(metric(registry_, "kai_broker_workers", {{"service", "svc"}}), 1);
  // The survivor gets the next request.
  sink_.take();
  request(id(51), "svc", "r", t0_ + 5s);
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frames[0], id(3));
}

TEST_F(BrokerCoreTest, SendsHeartbeatsToQuietWorkers) {
  ready(id(1), "svc");
  ready(id(2), "svc");
  sink_.take();
  core_->tick(t0_ + 1001ms);
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 2u);
  for (const auto& s : out)
    EXPECT_EQ(s.frames.back(), "\x04");
  core_->tick(t0_ + 1002ms);
  EXPECT_TRUE(sink_.take().empty());  // not again until the next interval
}

TEST_F(BrokerCoreTest, UnexpectedButValidCommandsGetDisconnect) {
  // Heartbeat and reply from strangers.
  in({id(7), "", "MDPW01", "\x04"}, t0_);
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(is_disconnect(out[0], id(7)));
  reply(id(7), id(9), "x", t0_);
  out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(is_disconnect(out[0], id(7)));
  // Second READY.
  ready(id(1), "svc");
  ready(id(1), "svc");
  out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(is_disconnect(out[0], id(1)));
  EXPECT_EQ(core_->worker_count("svc"), 0u);
  // REPLY while idle.
  ready(id(2), "svc");
  reply(id(2), id(9), "x", t0_);
  out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(is_disconnect(out[0], id(2)));
  // A worker may not register mmi.*
  ready(id(3), "mmi.service");
  out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(is_disconnect(out[0], id(3)));
  // DISCONNECT from a stranger is ignored silently.
  in({id(8), "", "MDPW01", "\x05"}, t0_);
  EXPECT_TRUE(sink_.take().empty());
}

TEST_F(BrokerCoreTest, ReplyToAnotherClientIsRefused) {
  ready(id(1), "svc");
  request(id(9), "svc", "mine", t0_);
  sink_.take();
  reply(id(1), id(10), "spoofed", t0_);
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(is_disconnect(out[0], id(1)));  // nothing reached client 10
  EXPECT_EQ(core_->worker_count("svc"), 0u);
}

TEST_F(BrokerCoreTest, WorkerDisconnectRemovesIt) {
  ready(id(1), "svc");
  in({id(1), "", "MDPW01", "\x05"}, t0_);
  EXPECT_EQ(core_->worker_count("svc"), 0u);
  EXPECT_TRUE(sink_.take().empty());
}

TEST_F(BrokerCoreTest, MalformedMessagesAreCountedAndTheWorkerDropped) {
  ready(id(1), "svc");
  in({id(1), "", "MDPW01", "\x09"}, t0_);
  in({id(2), "garbage"}, t0_);
  in({id(2), "", "HTTP/1.1", "x"}, t0_);
  EXPECT_EQ(core_->worker_count("svc"), 0u);
  EXPECT_EQ(
      metric(registry_, "kai_broker_malformed_messages_total", {{"reason", "unknown_command"}}), 1);
  EXPECT_EQ(
      metric(registry_, "kai_broker_malformed_messages_total", {{"reason", "too_few_frames"}}), 1);
  EXPECT_EQ(metric(registry_, "kai_broker_malformed_messages_total",
                   {{"reason", "unknown_protocol_header"}}),
            1);
}

TEST_F(BrokerCoreTest, GoneWorkerIsSkippedAndTheRequestGoesToTheNext) {
  ready(id(1), "svc");
  ready(id(2), "svc");
  sink_.unreachable.insert(id(1));
  request(id(9), "svc", "body", t0_);
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frames,
            (std::vector<std::string>{id(2), "", "MDPW01", "\x02", id(9), "", "body"}));
  EXPECT_EQ(core_->worker_count("svc"), 1u);
}

TEST_F(BrokerCoreTest, AllWorkersGoneKeepsTheRequestQueued) {
  ready(id(1), "svc");
  sink_.unreachable.insert(id(1));
  request(id(9), "svc", "body", t0_);
  EXPECT_EQ(core_->queue_depth("svc"), 1u);
  sink_.unreachable.clear();
  ready(id(2), "svc");
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frames.back(), "body");
}

TEST_F(BrokerCoreTest, MmiService) {
  ready(id(1), "membership");
  in({id(9), "", "MDPC01", "mmi.service", "membership"}, t0_);
  in({id(9), "", "MDPC01", "mmi.service", "clubs"}, t0_);
  in({id(9), "", "MDPC01", "mmi.workers", "membership"}, t0_);
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].frames, (std::vector<std::string>{id(9), "", "MDPC01", "mmi.service", "200"}));
  EXPECT_EQ(out[1].frames.back(), "404");
  EXPECT_EQ(out[2].frames, (std::vector<std::string>{id(9), "", "MDPC01", "mmi.workers", "501"}));
}

TEST_F(BrokerCoreTest, AuthorizerGuardsRegistrationAndRequests) {
  make_core([](const zmq::message_t&, Permission p, std::string_view service) {
    return p == Permission::register_worker ? service == "membership" : false;
  });
  ready(id(1), "clubs");
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(is_disconnect(out[0], id(1)));
  ready(id(2), "membership");
  EXPECT_EQ(core_->worker_count("membership"), 1u);
  request(id(9), "membership", "r", t0_);
  EXPECT_TRUE(sink_.take().empty());
  EXPECT_EQ(metric(registry_, "kai_broker_denied_total", {{"kind", "request"}}), 1);
}

TEST_F(BrokerCoreTest, ForgetsServicesNobodyEverServedButKeepsRealOnes) {
  request(id(9), "typo", "r", t0_);
  ready(id(1), "real");
  in({id(1), "", "MDPW01", "\x05"}, t0_);  // the real service loses its only worker
  core_->tick(t0_ + 6s);                   // queue deadline passes
  core_->tick(t0_ + 70s);                  // idle TTL passes
  EXPECT_EQ(metric(registry_, "kai_broker_workers", {{"service", "typo"}}), -1);
  EXPECT_EQ(metric(registry_, "kai_broker_workers", {{"service", "real"}}), 0);
}

TEST_F(BrokerCoreTest, DisconnectAllOnShutdown) {
  ready(id(1), "a");
  ready(id(2), "b");
  core_->disconnect_all();
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(core_->total_workers(), 0u);
}

TEST_F(BrokerCoreTest, WorkerWithCreditHoldsThatManyRequestsAndAnswersInAnyOrder) {
  in({id(1), "", "MDPW01", "\x01", "echo", "2"}, t0_);
  ready(id(2), "echo");  // plain MDP: credit 1
  for (int c = 10; c < 14; ++c)
    request(id(c), "echo", "r", t0_);
  auto out = sink_.take();
  ASSERT_EQ(out.size(), 3u);  // 2 + 1 taken, the fourth waits
  std::map<std::string, int> per_worker;
  for (const auto& s : out)
    ++per_worker[s.frames[0]];
  EXPECT_EQ(per_worker[id(1)], 2);
  EXPECT_EQ(per_worker[id(2)], 1);
  EXPECT_EQ(core_->queue_depth("echo"), 1u);

  // Replies in another order than the requests; each frees one unit of credit.
  const std::string first_client = out[0].frames[0] == id(1) ? out[0].frames[4] : out[1].frames[4];
  std::string second_client;
  for (const auto& s : out) {
    if (s.frames[0] == id(1) && s.frames[4] != first_client) second_client = s.frames[4];
  }
  reply(id(1), second_client, "b", t0_);
  out = sink_.take();
  ASSERT_EQ(out.size(), 2u);  // the reply, then the queued request to the freed worker
  EXPECT_EQ(out[0].frames[0], second_client);
  EXPECT_EQ(out[1].frames[0], id(1));
  EXPECT_EQ(out[1].frames[4], id(13));
  EXPECT_EQ(core_->queue_depth("echo"), 0u);

  // A reply for a client it does not hold is a protocol error: DISCONNECT.
  reply(id(1), id(77), "x", t0_);
  out = sink_.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(is_disconnect(out[0], id(1)));
  EXPECT_EQ(core_->worker_count("echo"), 1u);
}

TEST_F(BrokerCoreTest, CreditSpreadsRequestsOverWorkersInTurn) {
  in({id(1), "", "MDPW01", "\x01", "echo", "8"}, t0_);
  in({id(2), "", "MDPW01", "\x01", "echo", "8"}, t0_);
  for (int c = 0; c < 6; ++c)
    request(id(20 + c), "echo", "r", t0_);
  std::map<std::string, int> per_worker;
  for (const auto& s : sink_.take())
    ++per_worker[s.frames[0]];
  EXPECT_EQ(per_worker[id(1)], 3);
  EXPECT_EQ(per_worker[id(2)], 3);
}

}  // namespace
}  // namespace kai::broker
