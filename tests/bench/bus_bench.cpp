// kai-bus-bench: the bus benchmark. In one run on this machine it measures
//   floor:  a raw DEALER -> ROUTER echo, no broker (separate server process)
//   broker: the same load through kai-broker to kai-echo-worker (one process, many slots)
// for 1 request in flight (round-trip latency p50/p99) and many in flight (requests/s), with
// 100-byte payloads, and prints both with their ratio. With --soak it runs the pipelined load
// through the broker for that long and reports the broker's resident memory over time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>
#include <zmq.hpp>

#include "bus/client.hpp"
#include "bus/frames.hpp"
#include "bus/mdp.hpp"
#include "common/config.hpp"
#include "support/process.hpp"

using namespace kai;
using Clock = std::chrono::steady_clock;
using std::chrono::duration;

namespace {

struct Latency {
  double p50_us = 0, p99_us = 0;
};

struct Figures {
  Latency latency;
  double throughput = 0;
};

// How a request is framed on the client's DEALER: raw echo sends the body alone; MDP prepends
// the client header.
struct Framing {
  bool mdp;
  std::string service;
  void build(bus::Frames& out, const std::string& payload) const {
    out.clear();
    if (mdp) {
      bus::mdp::build_client_request(out, service);
    }
    out.push_back(bus::frame(payload));
  }
};

Latency measure_latency(zmq::context_t& ctx, const std::string& endpoint, const Framing& fr,
                        int samples) {
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  s.connect(endpoint);
  const std::string payload(100, 'x');
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(samples));
  bus::Frames out, in;
  for (int i = -1000; i < samples; ++i) {  // the first thousand warm up
    fr.build(out, payload);
    const auto t0 = Clock::now();
    bus::send_frames(s, out);
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    while (true) {
      zmq::poll(&item, 1, std::chrono::milliseconds(5000));
      if (bus::recv_frames(s, in) == bus::RecvResult::ok) break;
    }
    if (i >= 0) us.push_back(duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

double measure_throughput(zmq::context_t& ctx, const std::string& endpoint, const Framing& fr,
                          int window, double seconds) {
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::sndhwm, 0);
  s.set(zmq::sockopt::rcvhwm, 0);
  s.connect(endpoint);
  const std::string payload(100, 'x');
  bus::Frames out, in;
  for (int i = 0; i < window; ++i) {
    fr.build(out, payload);
    bus::send_frames(s, out);
  }
  std::uint64_t done = 0, counted = 0;
  const auto warm = Clock::now() + std::chrono::milliseconds(500);
  const auto end = warm + std::chrono::duration_cast<Clock::duration>(duration<double>(seconds));
  Clock::time_point start{};
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  while (true) {
    zmq::poll(&item, 1, std::chrono::milliseconds(5000));
    int got = 0;
    while (bus::recv_frames(s, in) == bus::RecvResult::ok) {
      ++got;
      fr.build(out, payload);
      bus::send_frames(s, out);
    }
    if (got == 0) {
      std::cerr << "no reply for 5 s\n";
      return 0;
    }
    done += static_cast<std::uint64_t>(got);
    const auto now = Clock::now();
    if (start == Clock::time_point{} && now >= warm) {
      start = now;
      counted = done;
    }
    if (now >= end)
      return static_cast<double>(done - counted) / duration<double>(now - start).count();
  }
}

// Same load through the project's asynchronous client library (envelope, ids, callbacks).
double measure_client_library(zmq::context_t& ctx, const std::string& endpoint, int window,
                              double seconds) {
  bus::ClientOptions o;
  o.brokers = {endpoint};
  bus::Client client(ctx, o);
  const std::string payload(100, 'x');
  std::atomic<std::uint64_t> done{0};
  std::atomic<bool> stop{false};
  std::function<void()> issue;
  issue = [&] {
    bus::CallOptions co;
    co.timeout = std::chrono::seconds(10);
    co.max_attempts = 1;
    client.call_async("echo-lib", "echo", payload, co, [&](bus::Reply&& r) {
      if (r.status.ok()) done.fetch_add(1, std::memory_order_relaxed);
      if (!stop.load(std::memory_order_relaxed)) issue();
    });
  };
  for (int i = 0; i < window; ++i)
    issue();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto c0 = done.load();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(duration<double>(seconds));
  const auto c1 = done.load();
  const double rate = static_cast<double>(c1 - c0) / duration<double>(Clock::now() - t0).count();
  stop = true;
  testing::wait_until([&] { return client.in_flight() == 0; }, std::chrono::seconds(15));
  return rate;
}

long rss_kib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int raw_echo_server(int port) {
  zmq::context_t ctx(1);
  zmq::socket_t s(ctx, zmq::socket_type::router);
  s.set(zmq::sockopt::sndhwm, 0);
  s.set(zmq::sockopt::rcvhwm, 0);
  s.bind("tcp://127.0.0.1:" + std::to_string(port));
  std::printf("{\"msg\":\"raw echo listening\"}\n");
  std::fflush(stdout);
  bus::Frames msg;
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  while (true) {
    zmq::poll(&item, 1, std::chrono::milliseconds(-1));
    while (bus::recv_frames(s, msg) == bus::RecvResult::ok)
      bus::send_frames(s, msg);
  }
}

void print_row(const char* what, const Figures& f) {
  std::printf("  %-34s p50 %8.1f us   p99 %8.1f us   %10.0f req/s\n", what, f.latency.p50_us,
              f.latency.p99_us, f.throughput);
}

}  // namespace

int main(int argc, char** argv) {
  const Config cfg = Config::load_or_exit(
      "kai-bus-bench", "bus benchmark: raw ZeroMQ echo vs the same load through kai-broker",
      {
          {"mode", "compare", "compare | raw-echo-server"},
          {"port", "0", "raw-echo-server: port", SettingKind::integer, 0, 65535},
          {"seconds", "5", "seconds per throughput measurement", SettingKind::integer, 1, 3600},
          {"window", "256", "requests in flight for throughput", SettingKind::integer, 1, 100000},
          {"samples", "20000", "round trips for latency", SettingKind::integer, 100, 10'000'000},
          {"slots", "64", "worker slots of the echo worker", SettingKind::integer, 1, 1024},
          {"credit", "1", "requests per worker connection (kai credit extension; 1 = plain MDP)",
           SettingKind::integer, 1, 4096},
          {"soak", "0",
           "seconds of pipelined load through the broker to watch its memory (0 = "
           "no soak)",
           SettingKind::integer, 0, 86400},
      },
      argc, argv);
  if (cfg.str("mode") == "raw-echo-server")
    return raw_echo_server(static_cast<int>(cfg.integer("port")));

  const double seconds = static_cast<double>(cfg.integer("seconds"));
  const int window = static_cast<int>(cfg.integer("window"));
  const int samples = static_cast<int>(cfg.integer("samples"));
  zmq::context_t ctx(1);

  const char* self = "/proc/self/exe";
  char exe[4096];
  const ssize_t n = readlink(self, exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  const std::string bin_dir = testing::bin_path("");

  const long soak = cfg.integer("soak");
  Figures raw, brk;
  if (soak == 0) {
    const int port = testing::free_port();
    testing::Process server(exe, {"--mode=raw-echo-server", "--port=" + std::to_string(port)});
    if (!server.wait_for_output("raw echo listening")) return 1;
    const std::string ep = "tcp://127.0.0.1:" + std::to_string(port);
    const Framing plain{false, ""};
    raw.latency = measure_latency(ctx, ep, plain, samples);
    raw.throughput = measure_throughput(ctx, ep, plain, window, seconds);
  }

  const int bport = testing::free_port();
  const std::string bep = "tcp://127.0.0.1:" + std::to_string(bport);
  testing::Process broker(
      bin_dir + "kai-broker",
      {"--broker-bind=" + bep,
       "--events-xsub-bind=tcp://127.0.0.1:" + std::to_string(testing::free_port()),
       "--events-xpub-bind=tcp://127.0.0.1:" + std::to_string(testing::free_port()),
       "--ops-addr=127.0.0.1:0", "--log-level=warn", "--queue-limit=1000000"});
  if (!broker.wait_for_output("\"broker listening\"")) {
    // With log-level=warn the line is not printed; fall back to a short MMI probe below.
  }
  testing::Process worker(bin_dir + "kai-echo-worker",
                          {"--service=echo", "--raw", "--handler-threads=0",
                           "--worker-slots=" + std::to_string(cfg.integer("slots")),
                           "--worker-credit=" + std::to_string(cfg.integer("credit")),
                           "--broker=" + bep, "--log-level=warn"});
  {
    bus::ClientOptions o;
    o.brokers = {bep};
    bus::Client probe(ctx, o);
    if (!testing::wait_until(
            [&] {
              auto r = probe.mmi("mmi.service", "echo", std::chrono::milliseconds(500));
              return r.ok() && *r == "200";
            },
            std::chrono::seconds(10))) {
      std::cerr << "echo worker did not register\n" << broker.output() << worker.output();
      return 1;
    }
  }
  const Framing mdp{true, "echo"};

  if (soak > 0) {
    std::printf("soak: pipelined load through kai-broker for %ld s (window %d)\n", soak, window);
    const long start_rss = rss_kib(broker.pid());
    std::printf("  t=%5ds broker RSS %ld KiB\n", 0, start_rss);
    const int step = 30;
    for (long t = step; t <= soak; t += step) {
      const double rate = measure_throughput(ctx, bep, mdp, window, step - 0.5);
      std::printf("  t=%5lds broker RSS %ld KiB  (%.0f req/s)\n", t, rss_kib(broker.pid()), rate);
      std::fflush(stdout);
    }
    std::printf("broker RSS start %ld KiB, end %ld KiB\n", start_rss, rss_kib(broker.pid()));
    return 0;
  }

  brk.latency = measure_latency(ctx, bep, mdp, samples);
  const double broker_cpu0 = testing::process_cpu_us(broker.pid()),
               worker_cpu0 = testing::process_cpu_us(worker.pid());
  const auto tp0 = Clock::now();
  brk.throughput = measure_throughput(ctx, bep, mdp, window, seconds);
  // CPU per request is the figure to compare on a busy machine: it does not depend on how
  // much of the cores other processes took.
  const double served = brk.throughput * duration<double>(Clock::now() - tp0).count();
  const double broker_cpu = (testing::process_cpu_us(broker.pid()) - broker_cpu0) / served;
  const double worker_cpu = (testing::process_cpu_us(worker.pid()) - worker_cpu0) / served;
  // The client library speaks the platform envelope, so it needs a worker that does too.
  testing::Process lib_worker(bin_dir + "kai-echo-worker",
                              {"--service=echo-lib", "--handler-threads=0",
                               "--worker-slots=" + std::to_string(cfg.integer("slots")),
                               "--worker-credit=" + std::to_string(cfg.integer("credit")),
                               "--broker=" + bep, "--log-level=warn"});
  double lib = 0;
  {
    bus::ClientOptions o;
    o.brokers = {bep};
    bus::Client probe(ctx, o);
    if (testing::wait_until(
            [&] {
              auto r = probe.mmi("mmi.service", "echo-lib", std::chrono::milliseconds(500));
              return r.ok() && *r == "200";
            },
            std::chrono::seconds(10))) {
      lib = measure_client_library(ctx, bep, window, seconds);
    } else {
      std::cerr << "envelope echo worker did not register\n" << lib_worker.output();
    }
  }

  std::printf(
      "bus benchmark: 100-byte payloads, %d in flight for throughput, %d round trips for "
      "latency\n",
      window, samples);
  print_row("raw DEALER->ROUTER echo (floor)", raw);
  print_row("through kai-broker (MDP echo)", brk);
  std::printf("  %-34s %45.0f req/s\n", "  same, project client library", lib);
  std::printf("  CPU per request while pipelined: broker %.1f us, echo worker %.1f us\n",
              broker_cpu, worker_cpu);
  const double tput_ratio = brk.throughput / raw.throughput;
  const double lat_ratio = brk.latency.p50_us / raw.latency.p50_us;
  std::printf(
      "ratios: throughput %.1f%% of raw (target >= 25%%, > 100000/s), p50 latency %.2fx "
      "raw (target <= 2.4x)\n",
      100 * tput_ratio, lat_ratio);
  const bool ok = tput_ratio >= 0.25 && brk.throughput > 100000 && lat_ratio <= 2.4;
  std::printf("targets %s\n", ok ? "met" : "NOT met");
  return 0;
}
