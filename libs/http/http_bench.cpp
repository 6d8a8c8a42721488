// HTTP server benchmark.
//
//   http_bench serve [--addr 127.0.0.1:8088] [--threads 1]
//       Serves GET /healthz ({"status":"ok"}, like an ops port) and POST /echo until SIGINT or
//       SIGTERM, for measuring with an external load generator:
//       wrk -t1 -c64 -d5s --latency http://127.0.0.1:8088/healthz
//   http_bench ops [--addr 127.0.0.1:9100]
//       Runs a real kai::ops::OpsServer (/metrics, /healthz, /readyz) until SIGINT or SIGTERM.
//   http_bench load [--threads 1] [--connections 8] [--seconds 3] [--async]
//       Starts the server in-process and drives it with blocking keep-alive clients, printing
//       requests/s and latency percentiles as one JSON line. --async completes every response
//       from a separate thread, measuring the cross-thread completion path the gateway uses.
//   http_bench parse [--iterations 1000000]
//       Parser throughput on a typical request head.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <signal.h>

#include "common/json_writer.hpp"
#include "common/log.hpp"
#include "http/client.hpp"
#include "http/parser.hpp"
#include "http/server.hpp"
#include "ops/ops_server.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string mode = "load";
  std::string addr = "127.0.0.1:0";
  int threads = 1;
  int connections = 8;
  int seconds = 3;
  long iterations = 1000000;
  bool async = false;
};

bool parse_args(int argc, char** argv, Args& a) {
  if (argc >= 2) a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string_view flag = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (flag == "--async") {
      a.async = true;
      continue;
    }
    if ((v = next()) == nullptr) return false;
    if (flag == "--addr") {
      a.addr = v;
    } else if (flag == "--threads") {
      a.threads = std::atoi(v);
    } else if (flag == "--connections") {
      a.connections = std::atoi(v);
    } else if (flag == "--seconds") {
      a.seconds = std::atoi(v);
    } else if (flag == "--iterations") {
      a.iterations = std::atol(v);
    } else {
      return false;
    }
  }
  return a.mode == "serve" || a.mode == "ops" || a.mode == "load" || a.mode == "parse";
}

// Completes responses on its own thread, as the gateway's bus client does.
class Completer {
 public:
  Completer() : thread_([this] { run(); }) {}
  ~Completer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void post(kai::http::Responder r) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(r));
    }
    cv_.notify_one();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
      if (queue_.empty() && done_) return;
      kai::http::Responder r = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      r.send(kai::http::Response::json(200, R"({"status":"ok"})"));
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<kai::http::Responder> queue_;
  bool done_ = false;
  std::thread thread_;
};

kai::http::Handler make_handler(Completer* completer) {
  return [completer](kai::http::Request& req, kai::http::Responder r) {
    if (req.path == "/echo") {
      r.send(kai::http::Response::with_body(200, "application/octet-stream", std::move(req.body)));
      return;
    }
    if (req.path != "/healthz") {
      r.send(kai::http::error_response(kai::not_found("no such path")));
      return;
    }
    if (completer != nullptr) {
      completer->post(std::move(r));
      return;
    }
    r.send(kai::http::Response::json(200, R"({"status":"ok"})"));
  };
}

int serve(const Args& a) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread starts: only sigwait sees them

  kai::http::ServerOptions opts;
  opts.name = "bench";
  opts.bind = a.addr;
  opts.threads = a.threads;
  std::unique_ptr<Completer> completer = a.async ? std::make_unique<Completer>() : nullptr;
  kai::http::Server server(opts, make_handler(completer.get()));
  if (auto st = server.start(); !st.ok()) {
    std::fprintf(stderr, "http_bench: %s\n", st.to_string().c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  server.stop();
  return 0;
}

int ops(const Args& a) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  kai::ops::OpsServer server(a.addr, "http_bench");
  server.add_check("bench", [] { return kai::ops::CheckResult{true, false, "always ready"}; });
  if (auto st = server.start(); !st.ok()) {
    std::fprintf(stderr, "http_bench: %s\n", st.to_string().c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  server.stop();
  return 0;
}

int load(const Args& a) {
  kai::http::ServerOptions opts;
  opts.name = "bench";
  opts.bind = a.addr;
  opts.threads = a.threads;
  std::unique_ptr<Completer> completer = a.async ? std::make_unique<Completer>() : nullptr;
  kai::http::Server server(opts, make_handler(completer.get()));
  if (auto st = server.start(); !st.ok()) {
    std::fprintf(stderr, "http_bench: %s\n", st.to_string().c_str());
    return 1;
  }
  const std::string address = server.local_address();
  std::atomic<bool> stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(a.connections));
  std::vector<std::thread> clients;
  for (int i = 0; i < a.connections; ++i) {
    clients.emplace_back([&, i] {
      kai::http::Client client(address);
      auto& lat = latencies[static_cast<std::size_t>(i)];
      lat.reserve(1 << 20);
      while (!stop.load(std::memory_order_relaxed)) {
        const auto t0 = Clock::now();
        auto r = client.get("/healthz");
        const auto t1 = Clock::now();
        if (!r.ok() || r->status != 200) {
          errors.fetch_add(1);
          continue;
        }
        lat.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      }
    });
  }
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(a.seconds));
  stop = true;
  for (auto& t : clients)
    t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  server.stop();

  std::vector<double> all;
  for (auto& l : latencies)
    all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    if (all.empty()) return 0.0;
    return all[std::min(all.size() - 1,
                        static_cast<std::size_t>(p * static_cast<double>(all.size())))];
  };
  std::string out;
  kai::JsonWriter w(out);
  w.begin_object()
      .key("bench")
      .value("http_load")
      .key("async")
      .value(a.async)
      .key("server_threads")
      .value(a.threads)
      .key("connections")
      .value(a.connections)
      .key("requests")
      .value(static_cast<std::int64_t>(all.size()))
      .key("errors")
      .value(static_cast<std::int64_t>(errors.load()))
      .key("requests_per_second")
      .value(static_cast<double>(all.size()) / elapsed)
      .key("p50_us")
      .value(pct(0.50))
      .key("p99_us")
      .value(pct(0.99))
      .key("p999_us")
      .value(pct(0.999))
      .end_object();
  std::printf("%s\n", out.c_str());
  return errors.load() == 0 ? 0 : 1;
}

int parse(const Args& a) {
  const std::string_view head =
      "GET /api/v1/membership/organizations?limit=20&cursor=abc HTTP/1.1\r\n"
      "Host: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: application/json\r\n"
      "Authorization: Bearer 0123456789abcdef0123456789abcdef\r\n\r\n";
  kai::http::RequestParser parser;
  kai::http::Request req;
  const auto start = Clock::now();
  std::size_t total = 0;
  for (long i = 0; i < a.iterations; ++i) {
    req.clear();
    parser.reset();
    std::size_t consumed = 0;
    if (parser.parse(head, consumed, req) != kai::http::RequestParser::State::complete) return 1;
    total += consumed;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"bench\":\"http_parse\",\"requests_per_second\":%.0f,\"mb_per_second\":%.1f}\n",
              static_cast<double>(a.iterations) / elapsed,
              static_cast<double>(total) / elapsed / 1e6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse_args(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: http_bench serve [--addr A] [--threads N] [--async]\n"
                 "       http_bench ops [--addr A]\n"
                 "       http_bench load [--threads N] [--connections C] [--seconds S] "
                 "[--async]\n"
                 "       http_bench parse [--iterations N]\n");
    return 2;
  }
  kai::log::init("http_bench", kai::log::Level::info);
  if (a.mode == "serve") return serve(a);
  if (a.mode == "parse") return parse(a);
  if (a.mode == "ops") return ops(a);
  return load(a);
}
