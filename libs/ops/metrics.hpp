// The process-wide Prometheus registry. Every library registers its metric families here (through
// prometheus-cpp's builders) and the ops port serves them at /metrics.
//
// Names start with `kai_`; RED metrics per operation are `kai_requests_total{service,op,code}` and
// `kai_request_duration_seconds{service,op}`. Look up a child (`family.Add(labels)`) once and keep
// the reference: Add() takes a lock and hashes the labels, the counter itself is lock-free.
#pragma once

#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace kai::ops {

prometheus::Registry& registry();

// Prometheus text exposition format (0.0.4) of everything registered.
std::string render_metrics();

// Latency buckets in seconds shared by every duration histogram, so dashboards can aggregate
// across services: 50 µs … 10 s.
const prometheus::Histogram::BucketBoundaries& latency_buckets();

}  // namespace kai::ops
