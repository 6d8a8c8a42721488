// Invalidator: deletes the cache keys of committed writes on its own thread, many writes per Redis
// round trip, and only then releases each write's caller.
//
// A write that changed cached data must have its keys deleted before it is answered (so the
// caller reads its own write). Doing that with one DEL per write, from the thread serving it, costs
// as much CPU as the write itself under load. Instead the database writer hands each committed
// write's keys here (without blocking); this thread takes everything queued, deletes it with one
// Cache::del_many() and then runs each write's completion. Like group commit, a batch grows with
// the load and costs one wake-up when idle. Internal to libs/service; thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cache/cache.hpp"

namespace kai::svc::detail {

class Invalidator {
 public:
  explicit Invalidator(cache::Cache& cache);
  // Finishes what was submitted, then stops.
  ~Invalidator();
  Invalidator(const Invalidator&) = delete;
  Invalidator& operator=(const Invalidator&) = delete;

  // Queues `keys`; `done` runs on the invalidator's thread once they were passed to
  // Cache::del_many() (which deletes them, or remembers them while Redis is unreachable). Never
  // blocks on Redis.
  void submit(std::vector<std::string> keys, std::function<void()> done);

 private:
  struct Job {
    std::vector<std::string> keys;
    std::function<void()> done;
  };
  void loop();

  cache::Cache& cache_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Job> queue_;  // guarded by mu_
  bool idle_ = false;       // guarded by mu_: the thread waits for work
  bool stop_ = false;       // guarded by mu_
  std::thread thread_;
};

}  // namespace kai::svc::detail
