#include "service/service_metrics.hpp"

#include <exception>

#include "ops/metrics.hpp"

namespace kai::svc::detail {

namespace {

struct Families {
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& duration;
  prometheus::Family<prometheus::Gauge>& in_flight;
  prometheus::Family<prometheus::Counter>& published;
  prometheus::Family<prometheus::Counter>& applied;
  prometheus::Family<prometheus::Counter>& gaps;
  prometheus::Family<prometheus::Gauge>& lag;
  prometheus::Family<prometheus::Gauge>& free_bytes;
  prometheus::Family<prometheus::Gauge>& size_bytes;
};

// Registered once per process; prometheus-cpp may throw, so only create() reaches this.
const Families& families() {
  static const Families f = [] {
    auto& r = ops::registry();
    return Families{
        prometheus::BuildCounter()
            .Name("kai_requests_total")
            .Help("Requests answered by a service, by operation and status code")
            .Register(r),
        prometheus::BuildHistogram()
            .Name("kai_request_duration_seconds")
            .Help("Time from receiving a request to answering it, by operation")
            .Register(r),
        prometheus::BuildGauge()
            .Name("kai_requests_in_flight")
            .Help("Requests being served right now")
            .Register(r),
        prometheus::BuildCounter()
            .Name("kai_events_published_total")
            .Help("Domain events relayed from the outbox to the bus, by topic")
            .Register(r),
        prometheus::BuildCounter()
            .Name("kai_events_applied_total")
            .Help("Events of another service applied, by publisher")
            .Register(r),
        prometheus::BuildCounter()
            .Name("kai_events_gaps_total")
            .Help(
                "Gaps in a publisher's sequence noticed (missed events fetched with events.since)")
            .Register(r),
        prometheus::BuildGauge()
            .Name("kai_events_replay_lag")
            .Help("Publisher's last known sequence number minus the last one applied")
            .Register(r),
        prometheus::BuildGauge()
            .Name("kai_data_dir_free_bytes")
            .Help("Free bytes on the filesystem holding the service's data dir")
            .Register(r),
        prometheus::BuildGauge()
            .Name("kai_data_dir_size_bytes")
            .Help("Total bytes of the filesystem holding the service's data dir")
            .Register(r),
    };
  }();
  return f;
}

}  // namespace

Result<std::unique_ptr<ServiceMetrics>> ServiceMetrics::create(const schema::ServiceDesc& schema) {
  try {
    const Families& f = families();
    std::unique_ptr<ServiceMetrics> m(new ServiceMetrics(std::string(schema.name)));
    for (const auto& op : schema.operations)
      m->add_op(op.name);
    m->add_op(kUnknownOpLabel);
    const prometheus::Labels l{{"service", m->service_}};
    m->in_flight_ = &f.in_flight.Add(l);
    m->data_dir_free_ = &f.free_bytes.Add(l);
    m->data_dir_size_ = &f.size_bytes.Add(l);
    return m;
  } catch (const std::exception& e) {
    return internal_error(std::string("registering service metrics: ") + e.what());
  }
}

void ServiceMetrics::add_op(std::string_view name) {
  auto s = std::make_unique<OpSeries>();
  s->name = std::string(name);
  s->duration =
      &families().duration.Add({{"service", service_}, {"op", s->name}}, ops::latency_buckets());
  ops_.emplace(s->name, std::move(s));
}

ServiceMetrics::OpSeries& ServiceMetrics::op(std::string_view name) {
  auto it = ops_.find(name);
  if (it == ops_.end()) it = ops_.find(kUnknownOpLabel);
  return *it->second;
}

prometheus::Counter& ServiceMetrics::requests(OpSeries& series, StatusCode code) {
  auto& slot = series.by_code[static_cast<std::size_t>(code)];
  prometheus::Counter* c = slot.load(std::memory_order_acquire);
  if (c != nullptr) return *c;
  std::lock_guard lock(mu_);
  c = slot.load(std::memory_order_relaxed);
  if (c == nullptr) {
    c = &families().requests.Add({{"service", service_},
                                  {"op", series.name},
                                  {"code", std::string(status_code_name(code))}});
    slot.store(c, std::memory_order_release);
  }
  return *c;
}

prometheus::Counter& ServiceMetrics::counter_for(
    prometheus::Family<prometheus::Counter>& family,
    std::map<std::string, prometheus::Counter*, std::less<>>& cache, std::string_view label,
    std::string_view value) {
  std::lock_guard lock(mu_);
  auto it = cache.find(value);
  if (it != cache.end()) return *it->second;
  auto* c = &family.Add({{"service", service_}, {std::string(label), std::string(value)}});
  cache.emplace(std::string(value), c);
  return *c;
}

prometheus::Counter& ServiceMetrics::published(std::string_view topic) {
  return counter_for(families().published, published_, "topic", topic);
}
prometheus::Counter& ServiceMetrics::applied(std::string_view publisher) {
  return counter_for(families().applied, applied_, "publisher", publisher);
}
prometheus::Counter& ServiceMetrics::gaps(std::string_view publisher) {
  return counter_for(families().gaps, gaps_, "publisher", publisher);
}

prometheus::Gauge& ServiceMetrics::replay_lag(std::string_view publisher) {
  std::lock_guard lock(mu_);
  auto it = lag_.find(publisher);
  if (it != lag_.end()) return *it->second;
  auto* g = &families().lag.Add({{"service", service_}, {"publisher", std::string(publisher)}});
  lag_.emplace(std::string(publisher), g);
  return *g;
}

Status ServiceMetrics::add_business_gauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  if (business_.contains(name)) return Status::Ok();
  try {
    auto& family = prometheus::BuildGauge().Name(name).Help(help).Register(ops::registry());
    business_.emplace(name, Business{&family, {}});
    return Status::Ok();
  } catch (const std::exception& e) {
    return invalid_argument("gauge " + name + ": " + e.what());
  }
}

void ServiceMetrics::set_business_gauge(const std::string& name,
                                        const std::vector<GaugeSample>& samples) {
  std::lock_guard lock(mu_);
  auto it = business_.find(name);
  if (it == business_.end()) return;
  Business& b = it->second;
  std::map<std::map<std::string, std::string>, prometheus::Gauge*> next;
  for (const auto& s : samples) {
    auto found = b.series.find(s.labels);
    prometheus::Gauge* g = nullptr;
    if (found != b.series.end()) {
      g = found->second;
      b.series.erase(found);
    } else if (auto again = next.find(s.labels); again != next.end()) {
      g = again->second;
    } else {
      try {
        g = &b.family->Add(prometheus::Labels(s.labels.begin(), s.labels.end()));
      } catch (const std::exception&) {
        continue;  // an invalid label name: nothing sensible to show
      }
    }
    g->Set(s.value);
    next[s.labels] = g;
  }
  for (auto& [labels, g] : b.series)
    b.family->Remove(g);
  b.series = std::move(next);
}

}  // namespace kai::svc::detail
