// The real kaictl binary against a real kai-broker: MMI, calls of schema operations (answered by
// a worker serving "membership" in this test process, and by kai-echo-worker), refusals before
// anything is sent, CurveZMQ keys made by `kaictl keygen` used on a secured bus, and the tokens
// file written and listed by `kaictl token`.
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/tokens.hpp"
#include "bus/client.hpp"
#include "bus/envelope.hpp"
#include "bus/frames.hpp"
#include "bus/worker.hpp"
#include "common/time.hpp"
#include "schema/all_services.hpp"
#include "schema/transcode.hpp"
#include "schema/unpack.hpp"
#include "support/cluster.hpp"

extern char** environ;

namespace kai {
namespace {

using namespace std::chrono_literals;
using testing::BrokerProcess;
using testing::Process;
using testing::start_echo_worker;
using testing::TempDir;
using testing::wait_until;

struct Ran {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs build/bin/kaictl to completion with `input` on stdin (a pipe, never a terminal), and
// returns its exit code, stdout and stderr separately. Killed after 60 s (then code is 128+9).
Ran kaictl(std::vector<std::string> args, const std::map<std::string, std::string>& env = {},
           const std::string& input = "") {
  std::string program = testing::bin_path("kaictl");
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view kv(*e);
    if (env.count(std::string(kv.substr(0, kv.find('=')))) == 0) envs.emplace_back(kv);
  }
  for (const auto& [k, v] : env)
    envs.push_back(k + "=" + v);
  std::vector<char*> argv = {program.data()};
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : envs)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed";
    return {};
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  // The inputs used here are small enough for the pipe buffer.
  (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);

  Ran r;
  const auto deadline = SteadyClock::now() + 60s;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0 && SteadyClock::now() < deadline) {
    if (::poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (open_fds > 0) ::kill(pid, SIGKILL);
  for (const pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

nlohmann::json error_of(const Ran& r) {
  try {
    return nlohmann::json::parse(first_line(r.err)).at("error");
  } catch (const std::exception&) {
    ADD_FAILURE() << "stderr is not an error document: " << r.err;
    return {};
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
    s.pop_back();
  return s;
}

// A worker for "membership" inside this test: answers organization.get and organization.create
// from the real schemas and remembers what it was sent, so tests can see exactly what kaictl put
// on the bus.
class MembershipWorker {
 public:
  struct Seen {
    bus::RequestHeader header;
    std::string payload;
  };

  explicit MembershipWorker(const std::string& broker) {
    bus::WorkerOptions o;
    o.service = "membership";
    o.brokers = {broker};
    o.slots = 2;
    o.heartbeat_interval = 100ms;  // as BrokerProcess runs the broker
    o.heartbeat_liveness = 3;
    pool_ = std::make_unique<bus::WorkerPool>(
        ctx_, o, [this](bus::Frames& body, bus::Frames& reply) { handle(body, reply); });
    pool_->start();
  }
  ~MembershipWorker() { pool_->stop(); }

  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  static std::string organization(std::int64_t id, const std::string& name) {
    const auto* desc = schema::find_message("membership.Organization");
    nlohmann::json j = {{"id", id},
                        {"name", name},
                        {"kind", "enterprise"},
                        {"contact", {{"name", "王丽"}, {"phone", "13812345678"}}},
                        {"version", 1},
                        {"created_at", "2026-11-25T08:00:00Z"},
                        {"updated_at", "2026-11-25T08:00:00Z"}};
    auto packed = schema::json_to_msgpack(j.dump(), *desc);
    // A schema change that makes this sample invalid shows up as a clear failure, not a crash.
    return packed.ok() ? std::move(packed).value() : "invalid sample: " + packed.status().message();
  }

  void handle(bus::Frames& body, bus::Frames& reply) {
    auto header = bus::decode_request_header(bus::view(body.at(0)));
    const std::string payload(body.size() > 1 ? bus::view(body[1]) : std::string_view());
    {
      std::lock_guard lock(mu_);
      seen_.push_back({*header, payload});
    }
    Status st;
    std::string out;
    auto request = schema::unpack(payload);
    const msgpack::object& obj = request->get();
    if (header->op == "organization.get") {
      const std::int64_t id = obj.via.map.ptr[0].val.as<std::int64_t>();
      if (id == 404) {
        st = not_found("organization 404 does not exist");
      } else {
        out = organization(id, "杭州凯旋科技有限公司");
      }
    } else if (header->op == "organization.create") {
      std::string name;
      for (std::uint32_t i = 0; i < obj.via.map.size; ++i) {
        if (obj.via.map.ptr[i].key.as<std::string>() == "name") {
          name = obj.via.map.ptr[i].val.as<std::string>();
        }
      }
      out = organization(42, name);
    } else {
      st = invalid_argument("unknown operation " + header->op);
    }
    reply.push_back(bus::frame(bus::encode_reply_header({header->id, st})));
    reply.push_back(bus::frame(out));
  }

  zmq::context_t ctx_{1};
  std::unique_ptr<bus::WorkerPool> pool_;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

bool service_up(const std::string& broker, const std::string& service) {
  zmq::context_t ctx(1);
  bus::Client client(ctx, {{broker}, {}, 4 << 20});
  return wait_until(
      [&] {
        auto r = client.mmi("mmi.service", service, 500ms);
        return r.ok() && *r == "200";
      },
      15s);
}

TEST(KaictlTest, MmiPrints200Or404AndExitsAccordingly) {
  BrokerProcess broker;
  auto worker = start_echo_worker({broker.endpoint()}, {"--service=membership"});
  ASSERT_TRUE(service_up(broker.endpoint(), "membership"));

  const Ran up = kaictl({"mmi", "membership", "--broker", broker.endpoint()});
  EXPECT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(up.out, "200\n");
  const Ran down = kaictl({"mmi", "clubs"}, {{"KAI_BROKER", broker.endpoint()}});
  EXPECT_EQ(down.code, 1) << down.err;
  EXPECT_EQ(down.out, "404\n");
  EXPECT_NE(down.err.find("no worker for service 'clubs'"), std::string::npos) << down.err;
}

TEST(KaictlTest, MmiWithNoBrokerListeningExits2) {
  const std::string nowhere = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
  const Ran r = kaictl({"mmi", "membership", "--broker=" + nowhere, "--timeout=300ms"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("no answer from the broker at " + nowhere), std::string::npos) << r.err;
}

TEST(KaictlTest, CallSendsTheValidatedRequestAndPrintsTheReplyAsJson) {
  BrokerProcess broker;
  MembershipWorker worker(broker.endpoint());
  ASSERT_TRUE(service_up(broker.endpoint(), "membership"));
  const std::map<std::string, std::string> env = {{"KAI_BROKER", broker.endpoint()}};

  const Ran get = kaictl({"call", "membership", "organization.get", R"({"id":7})"}, env);
  ASSERT_EQ(get.code, 0) << get.err;
  EXPECT_EQ(std::count(get.out.begin(), get.out.end(), '\n'), 1) << "one JSON line: " << get.out;
  const auto org = nlohmann::json::parse(get.out);
  EXPECT_EQ(org["id"], 7);
  EXPECT_EQ(org["name"], "杭州凯旋科技有限公司");
  EXPECT_EQ(org["contact"]["phone"], "13812345678");
  EXPECT_EQ(org["created_at"], "2026-11-25T08:00:00Z");

  // A write read from stdin, with the caller's idempotency key and request id.
  const Ran create = kaictl({"call", "membership", "organization.create", "--pretty",
                             "--idempotency-key=create-凯旋-1", "--request-id=req-1", "--mask-pii"},
                            env, R"({"name":"凯旋街道社会组织服务中心","kind":"social"})");
  ASSERT_EQ(create.code, 0) << create.err;
  const auto created = nlohmann::json::parse(create.out);
  EXPECT_EQ(created["id"], 42);
  EXPECT_EQ(created["name"], "凯旋街道社会组织服务中心");
  EXPECT_EQ(created["contact"]["phone"], "138****5678");
  EXPECT_NE(create.out.find("\n  \"id\": 42"), std::string::npos) << create.out;

  // Without a key, a write still carries a fresh one; a read carries none.
  ASSERT_EQ(
      kaictl({"call", "membership", "organization.create", R"({"name":"b","kind":"social"})"}, env)
          .code,
      0);

  const auto seen = worker.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].header.op, "organization.get");
  EXPECT_TRUE(seen[0].header.idempotency_key.empty());
  EXPECT_EQ(seen[0].header.request_id.size(), 32u);
  EXPECT_GT(seen[0].header.deadline_ms, 0);
  auto sent = schema::unpack(seen[0].payload);
  ASSERT_TRUE(sent.ok());
  std::string sent_json;
  ASSERT_TRUE(schema::msgpack_to_json(sent->get(), sent_json).ok());
  EXPECT_EQ(sent_json, R"({"id":7})");
  EXPECT_EQ(seen[1].header.op, "organization.create");
  EXPECT_EQ(seen[1].header.idempotency_key, "create-凯旋-1");
  EXPECT_EQ(seen[1].header.request_id, "req-1");
  EXPECT_EQ(seen[2].header.idempotency_key.size(), 32u);
}

TEST(KaictlTest, CallPrintsTheServicesErrorAsJsonOnStderr) {
  BrokerProcess broker;
  MembershipWorker worker(broker.endpoint());
  ASSERT_TRUE(service_up(broker.endpoint(), "membership"));
  const Ran r = kaictl({"call", "membership", "organization.get", R"({"id":404})", "--broker",
                        broker.endpoint(), "--request-id", "req-404"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  const auto e = error_of(r);
  EXPECT_EQ(e["code"], "not_found");
  EXPECT_EQ(e["message"], "organization 404 does not exist");
  EXPECT_EQ(e["request_id"], "req-404");
}

// Invalid input never reaches the bus: the worker sees only the valid request sent afterwards.
TEST(KaictlTest, InvalidInputIsRefusedBeforeAnythingIsSent) {
  BrokerProcess broker;
  MembershipWorker worker(broker.endpoint());
  ASSERT_TRUE(service_up(broker.endpoint(), "membership"));
  const std::map<std::string, std::string> env = {{"KAI_BROKER", broker.endpoint()}};

  Ran r = kaictl({"call", "membership", "organization.create",
                  R"({"name":"x","kind":"enterprise","contact":{"name":"w","phone":"call me"}})"},
                 env);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(error_of(r)["code"], "invalid_argument");
  EXPECT_EQ(error_of(r)["field"], "contact.phone");
  r = kaictl({"call", "membership", "organization.create", R"({"name": "x", "kind": )"}, env);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(error_of(r)["code"], "invalid_argument");
  r = kaictl({"call", "membership", "organization.get", "-"}, env, R"({"id":0})");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(error_of(r)["field"], "id");
  r = kaictl({"call", "membership", "organization.remove", "{}"}, env);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(error_of(r)["field"], "op");
  EXPECT_NE(error_of(r)["message"].get<std::string>().find("organization.get"), std::string::npos);
  r = kaictl({"call", "parking", "lot.get", "{}"}, env);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(error_of(r)["field"], "service");

  ASSERT_EQ(kaictl({"call", "membership", "organization.get", R"({"id":1})"}, env).code, 0);
  const auto seen = worker.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].header.op, "organization.get");
}

TEST(KaictlTest, ErrorsFromTheEchoWorkerComeBackAsJson) {
  BrokerProcess broker;
  auto worker = start_echo_worker({broker.endpoint()}, {"--service=membership"});
  ASSERT_TRUE(service_up(broker.endpoint(), "membership"));
  const Ran r = kaictl(
      {"call", "membership", "organization.get", R"({"id":1})", "--broker", broker.endpoint()});
  EXPECT_EQ(r.code, 1);
  const auto e = error_of(r);
  EXPECT_EQ(e["code"], "invalid_argument");
  EXPECT_EQ(e["message"], "unknown operation organization.get");
}

TEST(KaictlTest, CallToAServiceWithoutWorkersTimesOut) {
  BrokerProcess broker;
  const Ran r =
      kaictl({"call", "membership", "organization.create", R"({"name":"x","kind":"social"})",
              "--broker", broker.endpoint(), "--timeout=500ms"});
  EXPECT_EQ(r.code, 1);
  const auto e = error_of(r);
  EXPECT_TRUE(e["code"] == "deadline_exceeded" || e["code"] == "unavailable") << r.err;
  EXPECT_EQ(e["idempotency_key"].get<std::string>().size(), 32u) << "so the write can be retried";
}

// Keys made by `kaictl keygen` secure a real broker; kaictl with the client key is let in, a key
// the broker does not know is refused.
TEST(KaictlTest, KeygenKeysWorkOnASecuredBus) {
  TempDir dir;
  for (const char* who : {"broker", "worker", "client"}) {
    const Ran r = kaictl({"keygen", "--out", dir.file(who)});
    ASSERT_EQ(r.code, 0) << r.err;
    struct stat st {};
    ASSERT_EQ(::stat(dir.file(std::string(who) + ".key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  const auto key = [&](const std::string& name) { return trimmed(read_file(dir.file(name))); };
  const std::string allow = dir.file("allow.txt");
  std::ofstream(allow) << key("worker.pub") << " worker:membership\n"
                       << key("client.pub") << " client\n";
  BrokerProcess broker({}, {{"KAI_CURVE_SECRET_KEY", key("broker.key")},
                            {"KAI_CURVE_PUBLIC_KEY", key("broker.pub")},
                            {"KAI_CURVE_ALLOW_FILE", allow}});
  auto worker = start_echo_worker({broker.endpoint()}, {"--service=membership"},
                                  {{"KAI_CURVE_SECRET_KEY", key("worker.key")},
                                   {"KAI_CURVE_PUBLIC_KEY", key("worker.pub")},
                                   {"KAI_CURVE_BROKER_KEY", key("broker.pub")}});
  const std::map<std::string, std::string> client_env = {
      {"KAI_BROKER", broker.endpoint()},
      {"KAI_CURVE_SECRET_KEY", key("client.key")},
      {"KAI_CURVE_PUBLIC_KEY", key("client.pub")},
      {"KAI_CURVE_BROKER_KEY", key("broker.pub")},
      {"KAI_TIMEOUT", "1s"}};
  Ran mmi;
  ASSERT_TRUE(wait_until(
      [&] {
        mmi = kaictl({"mmi", "membership"}, client_env);
        return mmi.code == 0;
      },
      20s))
      << mmi.code << " " << mmi.out << mmi.err;
  EXPECT_EQ(mmi.out, "200\n");
  // A call goes through the encrypted bus to the worker and back.
  const Ran call = kaictl({"call", "membership", "organization.get", R"({"id":1})"}, client_env);
  EXPECT_EQ(call.code, 1);
  EXPECT_EQ(error_of(call)["message"], "unknown operation organization.get");

  // A printed key pair the broker has never heard of.
  const Ran stranger = kaictl({"keygen"});
  ASSERT_EQ(stranger.code, 0);
  const auto printed = [&](const std::string& label) {
    const std::size_t at = stranger.out.find(label);
    return stranger.out.substr(at + label.size(), 40);
  };
  std::map<std::string, std::string> stranger_env = client_env;
  stranger_env["KAI_CURVE_SECRET_KEY"] = printed("secret-key: ");
  stranger_env["KAI_CURVE_PUBLIC_KEY"] = printed("public-key: ");
  const Ran refused = kaictl({"mmi", "membership", "--timeout=500ms"}, stranger_env);
  EXPECT_EQ(refused.code, 2) << refused.out << refused.err;
  EXPECT_TRUE(broker.process().wait_for_output("bus handshake refused: unknown public key", 5s));
}

TEST(KaictlTest, TokenCreateAndListRoundTrip) {
  TempDir dir;
  const std::string file = dir.file("tokens");
  const Ran created =
      kaictl({"token", "create", "--principal", "alliance-office", "--scopes",
              "membership:write,pii:read", "--department", "联盟办公室", "--tokens-file", file});
  ASSERT_EQ(created.code, 0) << created.err;
  const std::string token = first_line(created.out);
  EXPECT_TRUE(token.starts_with("kai_") && token.size() == 47u) << created.out;
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(read_file(file).find(token), std::string::npos);

  // Several kaictl processes adding tokens at once: every line arrives whole.
  std::vector<std::unique_ptr<Process>> writers;
  for (int i = 0; i < 4; ++i) {
    writers.push_back(std::make_unique<Process>(
        testing::bin_path("kaictl"),
        std::vector<std::string>{"token", "create", "--principal=staff-" + std::to_string(i),
                                 "--scopes=clubs:read", "--tokens-file=" + file}));
  }
  std::set<std::string> tokens = {token};
  for (auto& w : writers) {
    ASSERT_EQ(w->wait(30s), 0) << w->output();
    // The output is read on the harness's own thread: wait for the line, not just the exit.
    const auto line = w->wait_for_output("kai_", 10s);
    ASSERT_TRUE(line && line->starts_with("kai_")) << w->output();
    tokens.insert(*line);
  }
  EXPECT_EQ(tokens.size(), 5u);

  auto set = auth::TokenSet::load(file);
  ASSERT_TRUE(set.ok()) << set.status().to_string();
  EXPECT_EQ(set->size(), 5u);
  for (const std::string& t : tokens)
    EXPECT_NE(set->find(t), nullptr) << t;
  const auth::TokenEntry* office = set->find(token);
  ASSERT_NE(office, nullptr);
  EXPECT_EQ(office->principal, "alliance-office");
  EXPECT_TRUE(auth::has_scope(*office, "membership:read"));

  const Ran list = kaictl({"token", "list"}, {{"KAI_TOKENS_FILE", file}});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 6) << list.out;
  EXPECT_NE(list.out.find("alliance-office"), std::string::npos);
  EXPECT_NE(list.out.find("联盟办公室"), std::string::npos);
  EXPECT_NE(list.out.find("membership:write,pii:read"), std::string::npos);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NE(list.out.find("staff-" + std::to_string(i)), std::string::npos) << list.out;
  }
  EXPECT_EQ(list.out.find("sha256:"), std::string::npos);
  for (const std::string& t : tokens)
    EXPECT_EQ(list.out.find(t), std::string::npos);
}

TEST(KaictlTest, BadUsageExits2WithAMessageAndNoCrash) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"launch"},
           {"mmi"},
           {"call", "membership"},
           {"token", "create", "--scopes=admin"},
           {"token", "create", "--principal=p", "--scopes=root", "--tokens-file=/tmp/x"},
           {"keygen", "--unknown"},
           {"mmi", "membership", "--timeout=-5s"},
           {"call", "membership", "organization.get", "--curve-secret-key=short"},
       }) {
    const Ran r = kaictl(args);
    std::string joined;
    for (const auto& a : args)
      joined += a + " ";
    EXPECT_EQ(r.code, 2) << joined << "\n" << r.err;
    EXPECT_FALSE(r.err.empty()) << joined;
  }
}

}  // namespace
}  // namespace kai
