// Test fixture shared by the store's tests: the same behavioural test runs against SQLite (a file
// in a temp dir) and PostgreSQL (a fresh database on a real server this process starts once).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/metric_family.h>

#include "ops/metrics.hpp"
#include "store/database.hpp"
#include "store/pg_server.hpp"
#include "support/process.hpp"

namespace kai::store::testing {

enum class Backend { sqlite, postgres };

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::sqlite ? "sqlite" : "postgres";
}

// One server per test process, started on first use from the main (test) thread; nullptr (with
// the reason reported as a test failure) when it cannot start.
inline PgServer* shared_pg_server() {
  static std::unique_ptr<PgServer> server = [] {
    auto s = PgServer::start();
    if (!s.ok()) {
      ADD_FAILURE() << "cannot start PostgreSQL: " << s.status().to_string();
      return std::unique_ptr<PgServer>();
    }
    return std::move(*s);
  }();
  return server.get();
}

// A service name unique within the process, so metric series of different tests stay apart.
inline std::string unique_service(std::string_view base) {
  static std::atomic<int> n{0};
  return std::string(base) + "-" + std::to_string(++n);
}

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    service_ = unique_service("svc");
    if (GetParam() == Backend::postgres) {
      PgServer* server = shared_pg_server();
      ASSERT_NE(server, nullptr);
      auto url = server->create_database();
      ASSERT_TRUE(url.ok()) << url.status().to_string();
      url_ = *url;
    }
  }

  StoreOptions options() const {
    StoreOptions o;
    o.data_dir = dir_.path() + "/data";
    o.service = service_;
    o.db_url = url_;
    return o;
  }

  std::unique_ptr<Database> open(StoreOptions o) {
    auto db = Database::open(o);
    EXPECT_TRUE(db.ok()) << db.status().to_string();
    return db.ok() ? std::move(*db) : nullptr;
  }
  std::unique_ptr<Database> open() { return open(options()); }

  bool is_pg() const { return GetParam() == Backend::postgres; }

  kai::testing::TempDir dir_;
  std::string service_;
  std::string url_;
};

// Count and sum of a histogram series labelled {service}, read back from the registry.
struct HistogramReading {
  std::uint64_t count = 0;
  double sum = 0;
  std::vector<prometheus::ClientMetric::Bucket> buckets;
  // Observations above `bound` (which must be one of the bucket bounds).
  std::uint64_t above(double bound) const {
    for (const auto& b : buckets) {
      if (b.upper_bound == bound) return count - b.cumulative_count;
    }
    return 0;
  }
};
inline HistogramReading read_histogram(const std::string& name, const std::string& service) {
  for (const auto& family : ops::registry().Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      for (const auto& l : m.label) {
        if (l.name == "service" && l.value == service) {
          return {m.histogram.sample_count, m.histogram.sample_sum, m.histogram.bucket};
        }
      }
    }
  }
  return {};
}

}  // namespace kai::store::testing

#define KAI_ASSERT_OK(expr)                         \
  do {                                              \
    const ::kai::Status kai_s_ = (expr);            \
    ASSERT_TRUE(kai_s_.ok()) << kai_s_.to_string(); \
  } while (0)
#define KAI_EXPECT_OK(expr)                         \
  do {                                              \
    const ::kai::Status kai_s_ = (expr);            \
    EXPECT_TRUE(kai_s_.ok()) << kai_s_.to_string(); \
  } while (0)
