#include "broker/broker_metrics.hpp"

namespace kai::broker {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

BrokerMetrics::BrokerMetrics(prometheus::Registry& r)
    : routed_(BuildCounter()
                  .Name("kai_broker_requests_routed_total")
                  .Help("Requests the broker handed to a worker, by service")
                  .Register(r)),
      replies_(BuildCounter()
                   .Name("kai_broker_replies_total")
                   .Help("Worker replies relayed to clients, by service")
                   .Register(r)),
      queue_depth_(BuildGauge()
                       .Name("kai_broker_queue_depth")
                       .Help("Requests waiting for a free worker, by service")
                       .Register(r)),
      workers_(BuildGauge()
                   .Name("kai_broker_workers")
                   .Help("Workers registered and alive, by service")
                   .Register(r)),
      expired_(BuildCounter()
                   .Name("kai_broker_workers_expired_total")
                   .Help("Workers removed because their heartbeats stopped, by service")
                   .Register(r)),
      dropped_(BuildCounter()
                   .Name("kai_broker_requests_dropped_total")
                   .Help("Queued requests dropped, by service and reason")
                   .Register(r)),
      malformed_family_(BuildCounter()
                            .Name("kai_broker_malformed_messages_total")
                            .Help("Messages that are not valid MDP, by reason")
                            .Register(r)),
      protocol_errors_(BuildCounter()
                           .Name("kai_broker_protocol_errors_total")
                           .Help("Valid MDP commands that were unexpected (answered with "
                                 "DISCONNECT), by kind")
                           .Register(r)),
      undeliverable_(BuildCounter()
                         .Name("kai_broker_undeliverable_total")
                         .Help("Messages the broker could not deliver, by reason")
                         .Register(r)),
      denied_(BuildCounter()
                  .Name("kai_broker_denied_total")
                  .Help("Commands refused because the peer's key lacks the role, by kind")
                  .Register(r)),
      mmi_(&BuildCounter()
                .Name("kai_broker_mmi_requests_total")
                .Help("8/MMI requests answered by the broker")
                .Register(r)
                .Add({})),
      events_relayed_(&BuildCounter()
                           .Name("kai_broker_events_relayed_total")
                           .Help("Event messages relayed from publishers to subscribers")
                           .Register(r)
                           .Add({})),
      services_(&BuildGauge()
                     .Name("kai_broker_services")
                     .Help("Services the broker knows (with workers or queued requests)")
                     .Register(r)
                     .Add({})) {
  for (int i = 1; i < bus::mdp::kMalformedCount; ++i) {
    const auto why = static_cast<bus::mdp::Malformed>(i);
    malformed_[static_cast<std::size_t>(i)] =
        &malformed_family_.Add({{"reason", std::string(bus::mdp::malformed_name(why))}});
  }
}

ServiceMetrics BrokerMetrics::for_service(const std::string& s) {
  return ServiceMetrics{
      &routed_.Add({{"service", s}}),
      &replies_.Add({{"service", s}}),
      &queue_depth_.Add({{"service", s}}),
      &workers_.Add({{"service", s}}),
      &expired_.Add({{"service", s}}),
      &dropped_.Add({{"service", s}, {"reason", "queue_full"}}),
      &dropped_.Add({{"service", s}, {"reason", "deadline"}}),
  };
}

void BrokerMetrics::release(const ServiceMetrics& m) {
  routed_.Remove(m.routed);
  replies_.Remove(m.replies);
  queue_depth_.Remove(m.queue_depth);
  workers_.Remove(m.workers);
  expired_.Remove(m.expired_workers);
  dropped_.Remove(m.dropped_queue_full);
  dropped_.Remove(m.dropped_deadline);
}

void BrokerMetrics::protocol_error(const char* what) {
  protocol_errors_.Add({{"kind", what}}).Increment();
}

void BrokerMetrics::undeliverable(const char* why) {
  undeliverable_.Add({{"reason", why}}).Increment();
}

void BrokerMetrics::denied(const char* what) {
  denied_.Add({{"kind", what}}).Increment();
}

}  // namespace kai::broker
