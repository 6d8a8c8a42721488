#include "service/invalidator.hpp"

#include <algorithm>
#include <span>

namespace kai::svc::detail {

Invalidator::Invalidator(cache::Cache& cache) : cache_(cache) {
  thread_ = std::thread([this] { loop(); });
}

Invalidator::~Invalidator() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Invalidator::submit(std::vector<std::string> keys, std::function<void()> done) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Job{std::move(keys), std::move(done)});
    wake = idle_;
    idle_ = false;
  }
  if (wake) cv_.notify_one();
}

void Invalidator::loop() {
  std::vector<Job> batch;
  std::vector<std::string> keys;
  while (true) {
    {
      std::unique_lock lock(mu_);
      while (queue_.empty() && !stop_) {
        idle_ = true;
        cv_.wait(lock);
      }
      idle_ = false;
      if (queue_.empty()) return;  // stopping, nothing left
      batch.swap(queue_);
    }
    keys.clear();
    for (auto& job : batch) {
      for (auto& k : job.keys)
        keys.push_back(std::move(k));
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    cache_.del_many(std::span<const std::string>(keys));
    for (auto& job : batch)
      job.done();
    batch.clear();
  }
}

}  // namespace kai::svc::detail
