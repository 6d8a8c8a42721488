#include "membership/reported_activity.hpp"

#include "schema/codec.hpp"

namespace kai::membership {

std::string_view reporter_service(Reporter r) {
  switch (r) {
    case Reporter::clubs:
      return "clubs";
    case Reporter::unitedfront:
      return "unitedfront";
    case Reporter::training:
      return "training";
    case Reporter::venture:
      return "venture";
  }
  return "";
}

msg::membership::ActivitySource reporter_source(Reporter r) {
  using msg::membership::ActivitySource;
  switch (r) {
    case Reporter::clubs:
      return ActivitySource::clubs;
    case Reporter::unitedfront:
      return ActivitySource::unitedfront;
    case Reporter::training:
      return ActivitySource::training;
    case Reporter::venture:
      return ActivitySource::venture;
  }
  return ActivitySource::direct;
}

std::string encode(const ReportedActivity& e) {
  std::string out;
  schema::StringSink sink(out);
  schema::Packer pk(sink);
  pk.pack_map(1);
  schema::codec::pack_key(pk, "activity");
  pack(pk, e.activity);
  return out;
}

Status decode(const msgpack::object& obj, ReportedActivity& out) {
  KAI_RETURN_IF_ERROR(schema::codec::expect_map(obj, ""));
  bool found = false;
  for (const auto& kv : schema::codec::entries(obj)) {
    if (schema::codec::key_of(kv.key) == "activity") {
      KAI_RETURN_IF_ERROR(msg::common::decode(kv.val, out.activity));
      found = true;
    }
  }
  if (!found) return schema::codec::missing("activity");
  return Status::Ok();
}

const schema::MessageDesc& reported_activity_desc() {
  static const schema::FieldDesc kFields[] = {{
      .name = "activity",
      .type = schema::FieldType::message,
      .required = true,
      .message = &msg::common::ActivityCompletion::desc(),
      .description = "The completed activity.",
  }};
  static const schema::MessageDesc kDesc = {
      .name = "ActivityCompletedEvent",
      .full_name = "ActivityCompletedEvent",
      .description = "A co-building activity another department's service completed.",
      .fields = kFields,
  };
  return kDesc;
}

const schema::EventDesc& reported_activity_event(Reporter r) {
  static const std::array<schema::EventDesc, 4> kEvents = [] {
    std::array<schema::EventDesc, 4> events;
    for (std::size_t i = 0; i < events.size(); ++i) {
      events[i] = {.service = reporter_service(kReporters[i]),
                   .topic = reporter_topic(kReporters[i]),
                   .description = "A co-building activity was completed.",
                   .message = &reported_activity_desc()};
    }
    return events;
  }();
  return kEvents[static_cast<std::size_t>(r)];
}

}  // namespace kai::membership
