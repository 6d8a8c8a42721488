#include "service/handler_table.hpp"

namespace kai::svc::detail {

void HandlerTable::gauge(std::string name, std::string help,
                         std::function<Result<double>(ReadContext&)> compute) {
  if (!compute) return note_error("gauge " + name + ": no function");
  GaugeEntry entry;
  entry.name = std::move(name);
  entry.help = std::move(help);
  entry.single = std::move(compute);
  gauges_.push_back(std::move(entry));
}

void HandlerTable::gauge_family(
    std::string name, std::string help,
    std::function<Result<std::vector<GaugeSample>>(ReadContext&)> compute) {
  if (!compute) return note_error("gauge " + name + ": no function");
  GaugeEntry entry;
  entry.name = std::move(name);
  entry.help = std::move(help);
  entry.family = std::move(compute);
  gauges_.push_back(std::move(entry));
}

void HandlerTable::every(std::chrono::milliseconds interval, std::string name,
                         std::function<Status(WriteContext&)> job) {
  if (interval <= std::chrono::milliseconds(0)) {
    return note_error("job " + name + ": the interval must be positive");
  }
  if (!job) return note_error("job " + name + ": no function");
  for (const auto& j : jobs_) {
    if (j.name == name) return note_error("job " + name + " is registered twice");
  }
  jobs_.push_back(JobEntry{interval, std::move(name), std::move(job)});
}

void HandlerTable::on_start(std::function<Status(WriteContext&)> fn) {
  if (!fn) return note_error("on_start: no function");
  start_.push_back(std::move(fn));
}

void HandlerTable::add_operation(const schema::OperationDesc& op, OperationEntry entry) {
  const std::string name(op.name);
  if (op.service != service_) {
    return note_error("operation " + std::string(op.service) + " " + name +
                      " belongs to another service than " + service_);
  }
  if (op.standard) {
    return note_error("operation " + name +
                      " is answered by the chassis for every service; do not register it");
  }
  if (operations_.contains(name)) return note_error("operation " + name + " is registered twice");
  entry.desc = &op;
  operations_.emplace(name, std::move(entry));
}

void HandlerTable::add_read(const schema::OperationDesc& op, ErasedRead handler) {
  if (!handler) return note_error("operation " + std::string(op.name) + ": no handler");
  OperationEntry entry;
  entry.read = std::move(handler);
  add_operation(op, std::move(entry));
}

void HandlerTable::add_write(const schema::OperationDesc& op, ErasedRead precheck,
                             ErasedWrite handler) {
  if (!handler) return note_error("operation " + std::string(op.name) + ": no handler");
  OperationEntry entry;
  entry.precheck = std::move(precheck);
  entry.write = std::move(handler);
  add_operation(op, std::move(entry));
}

void HandlerTable::add_cache_key(const schema::OperationDesc& op, ErasedCacheKey key) {
  auto it = operations_.find(op.name);
  // read<Op>() just registered it, unless it was a duplicate (noted there already).
  if (it == operations_.end() || it->second.cache_key || !it->second.read) return;
  it->second.cache_key = std::move(key);
}

void HandlerTable::add_subscription(const schema::EventDesc& event, ErasedEvent handler) {
  const std::string topic(event.topic);
  if (!handler) return note_error("subscription " + topic + ": no handler");
  if (event.service == service_) {
    return note_error("subscription " + topic + ": a service does not subscribe to its own events");
  }
  if (subscriptions_.contains(topic))
    return note_error("subscription " + topic + " is registered twice");
  SubscriptionEntry entry;
  entry.desc = &event;
  entry.handler = std::move(handler);
  subscriptions_.emplace(topic, std::move(entry));
}

void HandlerTable::note_error(std::string problem) {
  problems_.push_back(std::move(problem));
}

Status HandlerTable::check(const schema::ServiceDesc& schema) const {
  std::vector<std::string> problems = problems_;
  if (schema.name != service_) {
    problems.push_back("the schema describes service " + std::string(schema.name) + ", not " +
                       service_);
  }
  for (const auto& op : schema.operations) {
    if (op.standard) continue;
    const std::string name(op.name);
    const auto it = operations_.find(name);
    if (it == operations_.end()) {
      problems.push_back("operation " + name + " has no handler");
    } else if (op.write != static_cast<bool>(it->second.write)) {
      problems.push_back("operation " + name + " is a " + (op.write ? "write" : "read") +
                         " in the schema but has a " + (op.write ? "read" : "write") + " handler");
    }
  }
  for (const auto& [name, entry] : operations_) {
    if (schema.find_operation(name) == nullptr) {
      problems.push_back("operation " + name + " has a handler but is not in the schema of " +
                         std::string(schema.name));
    }
  }
  if (problems.empty()) return Status::Ok();
  std::string msg = "service " + service_ + " does not match its schema: ";
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (i > 0) msg += "; ";
    msg += problems[i];
  }
  return failed_precondition(std::move(msg));
}

const OperationEntry* HandlerTable::find(std::string_view op) const {
  const auto it = operations_.find(op);
  return it == operations_.end() ? nullptr : &it->second;
}

std::set<std::string> HandlerTable::publishers() const {
  std::set<std::string> out;
  for (const auto& [topic, entry] : subscriptions_)
    out.emplace(entry.desc->service);
  return out;
}

}  // namespace kai::svc::detail
