// The event other departments' services publish when they complete a co-building activity, which
// feeds the alliance office's activity ledger:
//
//   topic    <service>.activity.completed   (clubs, unitedfront, training, venture)
//   payload  {activity: common.ActivityCompletion}   (proto-schemas/common.yaml)
//
// Those services declare the event in their own schema files as they are built; until then the
// descriptors here state its shape once, so the chassis subscribes to each publisher's feed,
// validates every event against the shape and replays missed ones like any other event. The
// shape is the contract written in common.yaml's ActivityCompletion; a test checks that a
// schema declaring one of these topics agrees with it.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "common/status.hpp"
#include "schema/common.hpp"
#include "schema/descriptor.hpp"
#include "schema/membership.hpp"

namespace kai::membership {

// The services that report activities, and the ledger source each one becomes.
enum class Reporter { clubs, unitedfront, training, venture };
inline constexpr std::array<Reporter, 4> kReporters = {Reporter::clubs, Reporter::unitedfront,
                                                       Reporter::training, Reporter::venture};

std::string_view reporter_service(Reporter r);
constexpr std::string_view reporter_topic(Reporter r) {
  switch (r) {
    case Reporter::clubs:
      return "clubs.activity.completed";
    case Reporter::unitedfront:
      return "unitedfront.activity.completed";
    case Reporter::training:
      return "training.activity.completed";
    case Reporter::venture:
      return "venture.activity.completed";
  }
  return "";
}
msg::membership::ActivitySource reporter_source(Reporter r);

// The payload of <service>.activity.completed.
struct ReportedActivity {
  msg::common::ActivityCompletion activity;

  friend bool operator==(const ReportedActivity&, const ReportedActivity&) = default;
};
std::string encode(const ReportedActivity& e);
Status decode(const msgpack::object& obj, ReportedActivity& out);

// The payload's descriptor, and the event of one reporter.
const schema::MessageDesc& reported_activity_desc();
const schema::EventDesc& reported_activity_event(Reporter r);

// The event type of one reporter, as the chassis' Registrar::subscribe<Event> expects it.
template <Reporter R>
struct ActivityCompleted : ReportedActivity {
  static constexpr std::string_view topic = reporter_topic(R);
  static const schema::EventDesc& event() { return reported_activity_event(R); }
  static const schema::MessageDesc& desc() { return reported_activity_desc(); }
};

}  // namespace kai::membership
