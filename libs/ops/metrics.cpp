#include "ops/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace kai::ops {

prometheus::Registry& registry() {
  static auto* r = new prometheus::Registry();  // never destroyed: metrics outlive every thread
  return *r;
}

std::string render_metrics() {
  return prometheus::TextSerializer().Serialize(registry().Collect());
}

const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
  return kBuckets;
}

}  // namespace kai::ops
