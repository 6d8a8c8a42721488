// kai-echo-worker: a bus worker for tests and benchmarks. Serves one service with the bus
// library's WorkerPool and understands a few operations in the platform envelope:
//   echo    replies with the request payload
//   whoami  replies with this process's pid (load-spreading tests)
//   write   records the request's idempotency key in a SQLite file shared by every worker
//           process (INSERT OR IGNORE), sleeps --write-delay, then replies "applied" or
//           "replayed": lets tests kill a worker after the write but before the reply
// With --raw it echoes whatever body frames arrive (third-party MDP clients, benchmarks).
#include <iostream>
#include <mutex>
#include <thread>

#include <sqlite3.h>
#include <unistd.h>

#include "bus/envelope.hpp"
#include "bus/settings.hpp"
#include "bus/worker.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "common/signals.hpp"

using namespace kai;

namespace {

std::vector<SettingSpec> settings() {
  std::vector<SettingSpec> s = {
      {"service", "echo", "bus service name to register"},
      {"handler-threads", "-1", "-1: one per slot, 0: inline on the I/O thread",
       SettingKind::integer, -1, 1024},
      {"raw", "false", "echo body frames verbatim (no envelope)", SettingKind::boolean},
      {"write-db", "", "SQLite file for the 'write' operation"},
      {"write-delay", "0ms", "pause after a write, before replying", SettingKind::duration_ms, 0,
       600'000},
  };
  bus::add_settings(s, bus::client_settings());
  bus::add_settings(s, bus::heartbeat_settings());
  bus::add_settings(s, bus::worker_settings());
  bus::add_settings(s, process_settings(0));
  return s;
}

class WriteLog {
 public:
  explicit WriteLog(const std::string& path) {
    if (path.empty()) return;
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) std::abort();
    sqlite3_busy_timeout(db_, 10'000);
    sqlite3_exec(db_,
                 "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS applied(key TEXT PRIMARY "
                 "KEY, pid INTEGER)",
                 nullptr, nullptr, nullptr);
  }
  // true when this call applied the key, false when it was already there.
  bool apply(const std::string& key) {
    std::lock_guard lock(mu_);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db_, "INSERT OR IGNORE INTO applied(key, pid) VALUES(?, ?)", -1, &st,
                       nullptr);
    sqlite3_bind_text(st, 1, key.c_str(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ::getpid());
    sqlite3_step(st);
    sqlite3_finalize(st);
    return sqlite3_changes(db_) == 1;
  }
  bool enabled() const { return db_ != nullptr; }

 private:
  std::mutex mu_;
  sqlite3* db_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  ShutdownSignals signals;
  const Config cfg = Config::load_or_exit("kai-echo-worker", "test and benchmark bus worker",
                                          settings(), argc, argv);
  (void)init_logging(cfg, "kai-echo-worker");
  auto opts = bus::worker_options_from(cfg, cfg.str("service"));
  if (!opts.ok()) {
    std::cerr << opts.status().message() << "\n";
    return 2;
  }
  opts->handler_threads = static_cast<int>(cfg.integer("handler-threads"));
  const bool raw = cfg.boolean("raw");
  const auto delay = cfg.duration("write-delay");
  WriteLog writes(cfg.str("write-db"));

  bus::WorkerHandler handler = [&](bus::Frames& body, bus::Frames& reply) {
    if (raw) {
      reply = std::move(body);
      return;
    }
    auto header = body.empty() ? Result<bus::RequestHeader>(invalid_argument("no envelope"))
                               : bus::decode_request_header(bus::view(body[0]));
    if (!header.ok()) {
      reply.push_back(bus::frame(bus::encode_reply_header({0, header.status()})));
      return;
    }
    log::ScopedRequest scope(header->request_id, header->trace_id);
    std::string payload;
    Status st;
    if (header->op == "echo") {
      if (body.size() > 1) payload.assign(bus::view(body[1]));
    } else if (header->op == "whoami") {
      payload = std::to_string(::getpid());
    } else if (header->op == "write" && writes.enabled()) {
      if (header->idempotency_key.empty()) {
        st = invalid_argument("a write needs an idempotency key");
      } else {
        log::info("handling write").kv("key", header->idempotency_key);
        const bool applied = writes.apply(header->idempotency_key);
        log::info("write committed").kv("key", header->idempotency_key).kv("applied", applied);
        std::this_thread::sleep_for(delay);
        payload = applied ? "applied" : "replayed";
      }
    } else {
      st = invalid_argument("unknown operation " + header->op);
    }
    reply.push_back(bus::frame(bus::encode_reply_header({header->id, st})));
    reply.push_back(bus::frame(payload));
  };

  zmq::context_t ctx(1);
  bus::WorkerPool pool(ctx, std::move(opts).value(), handler);
  pool.start();
  signals.wait_for_shutdown([] {});
  pool.stop();
  log::info("echo worker stopped");
  return 0;
}
