// HandlerTable: the Registrar a service's setup() fills, and the check that the handlers match
// the service's schema exactly. Internal to libs/service; written once at start-up, then only read
// (from any thread).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "schema/descriptor.hpp"
#include "service/registrar.hpp"

namespace kai::svc::detail {

struct OperationEntry {
  const schema::OperationDesc* desc = nullptr;  // from the service's schema
  ErasedRead read = {};                         // read operations
  ErasedCacheKey cache_key = {};                // reads registered with cached_read
  ErasedRead precheck = {};                     // write operations, optional
  ErasedWrite write = {};                       // write operations
};

struct SubscriptionEntry {
  const schema::EventDesc* desc = nullptr;
  ErasedEvent handler = {};
};

struct GaugeEntry {
  std::string name = {};
  std::string help = {};
  std::function<Result<double>(ReadContext&)> single = {};                    // or …
  std::function<Result<std::vector<GaugeSample>>(ReadContext&)> family = {};  // … labelled
};

struct JobEntry {
  std::chrono::milliseconds interval{0};
  std::string name = {};
  std::function<Status(WriteContext&)> fn = {};
};

class HandlerTable final : public Registrar {
 public:
  explicit HandlerTable(std::string service) : service_(std::move(service)) {}

  void gauge(std::string name, std::string help,
             std::function<Result<double>(ReadContext&)> compute) override;
  void gauge_family(std::string name, std::string help,
                    std::function<Result<std::vector<GaugeSample>>(ReadContext&)> compute) override;
  void every(std::chrono::milliseconds interval, std::string name,
             std::function<Status(WriteContext&)> job) override;
  void on_start(std::function<Status(WriteContext&)> fn) override;
  const std::string& service() const override { return service_; }

  // Ok when every operation of `schema` other than the standard ones has exactly one handler of
  // the right kind, every handler belongs to `schema`, and registration raised no problem.
  // Otherwise failed_precondition listing every problem, each naming the operation.
  Status check(const schema::ServiceDesc& schema) const;

  const OperationEntry* find(std::string_view op) const;
  const std::map<std::string, SubscriptionEntry, std::less<>>& subscriptions() const {
    return subscriptions_;
  }
  // The publishers this service subscribes to, sorted.
  std::set<std::string> publishers() const;
  const std::vector<GaugeEntry>& gauges() const { return gauges_; }
  const std::vector<JobEntry>& jobs() const { return jobs_; }
  const std::vector<std::function<Status(WriteContext&)>>& start_work() const { return start_; }

 protected:
  void add_read(const schema::OperationDesc& op, ErasedRead handler) override;
  void add_write(const schema::OperationDesc& op, ErasedRead precheck,
                 ErasedWrite handler) override;
  void add_subscription(const schema::EventDesc& event, ErasedEvent handler) override;
  void add_cache_key(const schema::OperationDesc& op, ErasedCacheKey key) override;
  void note_error(std::string problem) override;

 private:
  void add_operation(const schema::OperationDesc& op, OperationEntry entry);

  std::string service_;
  std::map<std::string, OperationEntry, std::less<>> operations_;
  std::map<std::string, SubscriptionEntry, std::less<>> subscriptions_;
  std::vector<GaugeEntry> gauges_;
  std::vector<JobEntry> jobs_;
  std::vector<std::function<Status(WriteContext&)>> start_;
  std::vector<std::string> problems_;
};

}  // namespace kai::svc::detail
