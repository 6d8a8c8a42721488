// A small pool of threads for the gateway's blocking work (audit log queries), so the HTTP event
// loops never wait on a database. The queue is bounded: when it is full, submit() refuses at once
// and the caller answers 503 instead of piling up work.
//
// Thread safety: submit() may be called from any thread. The destructor runs what is queued and
// joins the threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kai::gateway {

class BlockingExecutor {
 public:
  BlockingExecutor(int threads, std::size_t max_queued);
  ~BlockingExecutor();
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  // False (and `fn` dropped) when the queue is full or the executor is stopping.
  bool submit(std::function<void()> fn);

 private:
  void run();

  std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kai::gateway
