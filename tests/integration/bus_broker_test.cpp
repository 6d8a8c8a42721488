// The real kai-broker with real worker processes and the bus client library: load spreading,
// expiry, retries after a worker dies mid-request, broker restarts under load, several brokers,
// CurveZMQ, hostile peers and clean shutdown.
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include "bus/client.hpp"
#include "bus/curve.hpp"
#include "bus/frames.hpp"
#include "support/cluster.hpp"

namespace kai {
namespace {

using namespace std::chrono_literals;
using testing::BrokerProcess;
using testing::Process;
using testing::start_echo_worker;
using testing::wait_until;

bus::CallOptions quick(std::chrono::milliseconds timeout = 5s,
                       std::chrono::milliseconds attempt = 300ms) {
  bus::CallOptions o;
  o.timeout = timeout;
  o.attempt_timeout = attempt;
  o.max_attempts = 100;  // bounded by the deadline
  return o;
}

bus::ClientOptions via(std::vector<std::string> brokers) {
  bus::ClientOptions o;
  o.brokers = std::move(brokers);
  return o;
}

bool service_up(bus::Client& c, const std::string& service) {
  auto r = c.mmi("mmi.service", service, 500ms);
  return r.ok() && *r == "200";
}

class BusBrokerTest : public ::testing::Test {
 protected:
  zmq::context_t ctx_{1};
};

// Three worker processes started with `worker_args` (registering `registrations` connections in
// all) share 600 concurrent requests, each taking a fair part.
void expect_spread(zmq::context_t& ctx, const std::vector<std::string>& worker_args,
                   int registrations) {
  BrokerProcess broker;
  std::vector<std::unique_ptr<Process>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(start_echo_worker({broker.endpoint()}, worker_args));
  }
  bus::Client client(ctx, via({broker.endpoint()}));
  ASSERT_TRUE(wait_until([&] {
    auto r = client.mmi("mmi.service", "echo", 500ms);
    return r.ok() && *r == "200";
  }));
  // Let every worker register before counting.
  ASSERT_TRUE(wait_until(
      [&] { return broker.process().count_output("\"worker registered\"") >= registrations; }, 5s));

  std::mutex mu;
  std::map<std::string, int> by_pid;
  std::atomic<int> done{0}, failed{0};
  const int total = 600;
  for (int i = 0; i < total; ++i) {
    client.call_async("echo", "whoami", "", quick(), [&](bus::Reply&& r) {
      if (r.status.ok()) {
        std::lock_guard lock(mu);
        ++by_pid[r.payload];
      } else {
        ++failed;
      }
      ++done;
    });
  }
  ASSERT_TRUE(wait_until([&] { return done == total; }, 20s));
  EXPECT_EQ(failed, 0);
  ASSERT_EQ(by_pid.size(), 3u);
  for (const auto& [pid, n] : by_pid) {
    EXPECT_GE(n, total / 10) << "worker " << pid << " got too small a share";
  }
}

TEST_F(BusBrokerTest, RequestsSpreadOverEveryWorkerProcess) {
  expect_spread(ctx_, {"--worker-slots=2"}, 6);
}

// The credit extension: one connection per process holding several requests at once.
TEST_F(BusBrokerTest, RequestsSpreadOverWorkersThatTakeSeveralAtOnce) {
  expect_spread(ctx_, {"--worker-slots=1", "--worker-credit=8"}, 3);
}

TEST_F(BusBrokerTest, KilledWorkerIsExpiredAndTheOthersServe) {
  BrokerProcess broker;
  auto doomed = start_echo_worker({broker.endpoint()}, {"--worker-slots=1"});
  auto survivor = start_echo_worker({broker.endpoint()}, {"--worker-slots=1"});
  bus::Client client(ctx_, via({broker.endpoint()}));
  ASSERT_TRUE(
      wait_until([&] { return broker.process().count_output("\"worker registered\"") >= 2; }, 5s));
  const std::string survivor_pid = std::to_string(survivor->pid());

  doomed->kill_now();
  ASSERT_TRUE(broker.process().wait_for_output("worker expired: no heartbeat", 5s))
      << broker.process().output();
  for (int i = 0; i < 20; ++i) {
    auto r = client.call("echo", "whoami", "", quick());
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    EXPECT_EQ(r.payload, survivor_pid);
  }
}

int count_rows(const std::string& db_path, const std::string& key) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM applied WHERE key = ?", -1, &st, nullptr);
  sqlite3_bind_text(st, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  int n = -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

TEST_F(BusBrokerTest, WorkerKilledMidRequestRetryIsAnsweredByAnotherAndAppliedOnce) {
  testing::TempDir dir;
  const std::string db = dir.file("writes.db");
  BrokerProcess broker;
  std::vector<std::string> args = {"--worker-slots=1", "--write-db=" + db, "--write-delay=1s"};
  auto a = start_echo_worker({broker.endpoint()}, args);
  auto b = start_echo_worker({broker.endpoint()}, args);
  bus::Client client(ctx_, via({broker.endpoint()}));
  ASSERT_TRUE(
      wait_until([&] { return broker.process().count_output("\"worker registered\"") >= 2; }, 5s));

  bus::CallOptions o = quick(10s, 300ms);
  o.write = true;
  o.idempotency_key = "order-7";
  std::atomic<bool> replied{false};
  bus::Reply reply;
  client.call_async("echo", "write", "", o, [&](bus::Reply&& r) {
    reply = std::move(r);
    replied = true;
  });
  // Whoever took it commits, then dies before replying.
  Process* first = nullptr;
  ASSERT_TRUE(wait_until(
      [&] {
        if (a->count_output("\"write committed\"") > 0) first = a.get();
        if (b->count_output("\"write committed\"") > 0) first = b.get();
        return first != nullptr;
      },
      5s));
  first->kill_now();
  Process* second = first == a.get() ? b.get() : a.get();

  ASSERT_TRUE(wait_until([&] { return replied.load(); }, 10s));
  ASSERT_TRUE(reply.status.ok()) << reply.status.to_string();
  EXPECT_EQ(reply.payload, "replayed");  // the second worker saw the key already applied
  // Retries may reach the survivor more than once; each finds the key already applied.
  EXPECT_GE(second->count_output("\"applied\":false"), 1);
  EXPECT_EQ(second->count_output("\"applied\":true"), 0);
  EXPECT_EQ(count_rows(db, "order-7"), 1);
}

TEST_F(BusBrokerTest, BrokerRestartedUnderLoadEveryRequestCompletes) {
  auto broker = std::make_unique<BrokerProcess>();
  auto w1 = start_echo_worker({broker->endpoint()}, {"--worker-slots=4"});
  auto w2 = start_echo_worker({broker->endpoint()}, {"--worker-slots=4"});
  // The callbacks' state outlives the client: the last callback still runs issue() after the
  // count it bumped let the test finish, until the client's destructor stops its thread.
  const int total = 3000;
  std::atomic<int> issued{0}, ok{0}, failed{0};
  std::function<void()> issue;
  bus::Client client(ctx_, via({broker->endpoint()}));
  ASSERT_TRUE(wait_until([&] { return service_up(client, "echo"); }));

  issue = [&] {
    const int n = issued.fetch_add(1);
    if (n >= total) return;
    client.call_async("echo", "echo", "payload-" + std::to_string(n), quick(20s, 300ms),
                      [&, n](bus::Reply&& r) {
                        if (r.status.ok() && r.payload == "payload-" + std::to_string(n)) {
                          ++ok;
                        } else {
                          ++failed;
                        }
                        issue();
                      });
  };
  for (int i = 0; i < 32; ++i)
    issue();
  ASSERT_TRUE(wait_until([&] { return ok >= 500; }, 20s));
  broker->kill_now();
  broker->start();  // same ports
  ASSERT_TRUE(wait_until([&] { return ok + failed == total; }, 60s))
      << "ok " << ok << " failed " << failed;
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(ok, total);
  // Both worker processes registered all their slots with the new broker.
  EXPECT_GE(broker->process().count_output("\"worker registered\""), 8);
}

TEST_F(BusBrokerTest, WorkersServeSeveralBrokersAndClientsFailOver) {
  BrokerProcess one, two;
  auto worker = start_echo_worker({one.endpoint(), two.endpoint()}, {"--worker-slots=2"});
  bus::Client client(ctx_, via({one.endpoint(), two.endpoint()}));
  bus::Client via_two(ctx_, via({two.endpoint()}));
  ASSERT_TRUE(
      wait_until([&] { return service_up(client, "echo") && service_up(via_two, "echo"); }));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(client.call("echo", "echo", "x", quick()).status.ok());
  }
  one.kill_now();
  for (int i = 0; i < 20; ++i) {
    auto r = client.call("echo", "echo", "after", quick(5s, 200ms));
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    EXPECT_EQ(r.payload, "after");
  }
}

TEST_F(BusBrokerTest, SigtermStopsBrokerAndWorkersCleanly) {
  BrokerProcess broker;
  auto worker = start_echo_worker({broker.endpoint()}, {"--worker-slots=2"});
  bus::Client client(ctx_, via({broker.endpoint()}));
  ASSERT_TRUE(wait_until([&] { return service_up(client, "echo"); }));
  worker->signal(SIGTERM);
  EXPECT_EQ(worker->wait(10s), 0);
  // DISCONNECT on the way out: gone at once, not after heartbeat expiry.
  EXPECT_TRUE(wait_until([&] { return !service_up(client, "echo"); }, 2s));
  EXPECT_EQ(broker.process().count_output("worker expired"), 0);
  EXPECT_EQ(broker.terminate(), 0);
}

TEST_F(BusBrokerTest, HostilePeersDoNotStallOthers) {
  BrokerProcess broker({"--max-message-size=65536"});
  auto worker = start_echo_worker({broker.endpoint()}, {"--worker-slots=4"});
  bus::Client client(ctx_, via({broker.endpoint()}));
  ASSERT_TRUE(wait_until([&] { return service_up(client, "echo"); }));

  std::atomic<bool> stop{false};
  std::thread attacker([&] {
    zmq::socket_t s(ctx_, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.connect(broker.endpoint());
    int i = 0;
    while (!stop) {
      bus::Frames f;
      switch (i++ % 5) {
        case 0:
          f.push_back(bus::frame("garbage"));
          break;
        case 1:
          f.push_back(bus::frame(""));
          f.push_back(bus::frame("MDPW01"));
          f.push_back(bus::frame("\x07"));
          break;
        case 2:
          for (int k = 0; k < 100; ++k)
            f.push_back(bus::frame(""));
          break;
        case 3:
          f.push_back(bus::frame(""));
          f.push_back(bus::frame("MDPC01"));
          f.push_back(bus::frame("no such service!"));
          f.push_back(bus::frame("x"));
          break;
        case 4:
          f.push_back(bus::frame(""));
          f.push_back(bus::frame("MDPW01"));
          f.push_back(bus::frame("\x03"));
          f.push_back(bus::frame("nobody"));
          f.push_back(bus::frame(""));
          f.push_back(bus::frame("x"));
          break;
      }
      bus::send_frames(s, f);
    }
  });
  std::thread oversize([&] {
    zmq::socket_t s(ctx_, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.connect(broker.endpoint());
    bus::Frames f;
    f.push_back(bus::frame(""));
    f.push_back(bus::frame("MDPC01"));
    f.push_back(bus::frame("echo"));
    f.push_back(bus::frame(std::string(200'000, 'z')));
    bus::send_frames(s, f);
    std::this_thread::sleep_for(200ms);
  });
  for (int i = 0; i < 200; ++i) {
    auto r = client.call("echo", "echo", "fine", quick());
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  }
  stop = true;
  attacker.join();
  oversize.join();
  EXPECT_TRUE(broker.process().running());
  EXPECT_GE(broker.process().count_output("malformed message dropped"), 1);
  // Logged once per peer, not once per message.
  EXPECT_LE(broker.process().count_output("malformed message dropped"), 5);
}

std::string write_allow_file(const testing::TempDir& dir, const std::string& content) {
  const std::string path = dir.file("allow.txt");
  std::ofstream(path) << content;
  return path;
}

TEST_F(BusBrokerTest, CurveAcceptsKnownKeysAndRefusesStrangers) {
  testing::TempDir dir;
  const auto broker_keys = bus::generate_keypair();
  const auto worker_keys = bus::generate_keypair();
  const auto client_keys = bus::generate_keypair();
  const auto stranger = bus::generate_keypair();
  const std::string allow = write_allow_file(
      dir, worker_keys.public_key + " worker:membership\n" + client_keys.public_key + " client\n");
  BrokerProcess broker({}, {{"KAI_CURVE_SECRET_KEY", broker_keys.secret_key},
                            {"KAI_CURVE_PUBLIC_KEY", broker_keys.public_key},
                            {"KAI_CURVE_ALLOW_FILE", allow}});
  auto curve_env = [&](const bus::KeyPair& k) {
    return std::map<std::string, std::string>{{"KAI_CURVE_SECRET_KEY", k.secret_key},
                                              {"KAI_CURVE_PUBLIC_KEY", k.public_key},
                                              {"KAI_CURVE_BROKER_KEY", broker_keys.public_key}};
  };
  auto worker = start_echo_worker({broker.endpoint()}, {"--service=membership", "--worker-slots=1"},
                                  curve_env(worker_keys));
  // A service key may not register as another service; a client key may not register at all.
  auto impostor = start_echo_worker({broker.endpoint()}, {"--service=clubs", "--worker-slots=1"},
                                    curve_env(worker_keys));
  auto client_as_worker = start_echo_worker(
      {broker.endpoint()}, {"--service=training", "--worker-slots=1"}, curve_env(client_keys));

  bus::ClientOptions good;
  good.brokers = {broker.endpoint()};
  good.curve = {client_keys.secret_key, client_keys.public_key, broker_keys.public_key};
  bus::Client client(ctx_, good);
  ASSERT_TRUE(wait_until([&] { return service_up(client, "membership"); }, 10s));
  auto r = client.call("membership", "echo", "secret stuff", quick());
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.payload, "secret stuff");
  EXPECT_TRUE(broker.process().wait_for_output("worker registration refused", 5s));
  EXPECT_FALSE(service_up(client, "clubs"));
  EXPECT_FALSE(service_up(client, "training"));

  bus::ClientOptions bad = good;
  bad.curve = {stranger.secret_key, stranger.public_key, broker_keys.public_key};
  bus::Client outsider(ctx_, bad);
  auto refused = outsider.call("membership", "echo", "let me in", quick(1500ms, 300ms));
  EXPECT_EQ(refused.status.code(), StatusCode::unavailable) << refused.status.to_string();
  EXPECT_TRUE(broker.process().wait_for_output("bus handshake refused: unknown public key", 5s));

  bus::Client plaintext(ctx_, via({broker.endpoint()}));
  EXPECT_FALSE(plaintext.call("membership", "echo", "hi", quick(1000ms, 300ms)).status.ok());
}

}  // namespace
}  // namespace kai
