#include "service/event_feed.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "schema/codec.hpp"
#include "schema/unpack.hpp"
#include "schema/validate.hpp"

namespace kai::svc::detail {

namespace {

constexpr std::size_t kMaxQueued = 100'000;
constexpr int kSinceBatch = 1000;
constexpr std::chrono::milliseconds kInitialBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{2000};
constexpr std::chrono::milliseconds kSinceTimeout{3000};
constexpr std::chrono::milliseconds kIdleWake{1000};

struct SinceRecord {
  std::int64_t seq = 0;
  std::string topic;
  std::string payload;
  std::int64_t created_at = 0;
};

Status parse_since_reply(const msgpack::object& reply, std::vector<SinceRecord>& events,
                         std::int64_t& head) {
  namespace codec = schema::codec;
  for (const auto& kv : codec::entries(reply)) {
    const std::string_view key = codec::key_of(kv.key);
    if (key == "head") {
      KAI_RETURN_IF_ERROR(codec::read_int64(kv.val, head, "head"));
    } else if (key == "events") {
      for (const auto& item : codec::items(kv.val)) {
        SinceRecord r;
        for (const auto& f : codec::entries(item)) {
          const std::string_view k = codec::key_of(f.key);
          if (k == "seq") KAI_RETURN_IF_ERROR(codec::read_int64(f.val, r.seq, "seq"));
          if (k == "topic") KAI_RETURN_IF_ERROR(codec::read_string(f.val, r.topic, "topic"));
          if (k == "payload") KAI_RETURN_IF_ERROR(codec::read_bytes(f.val, r.payload, "payload"));
          if (k == "created_at") {
            KAI_RETURN_IF_ERROR(codec::read_int64(f.val, r.created_at, "created_at"));
          }
        }
        events.push_back(std::move(r));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

EventFeed::EventFeed(Runtime& runtime, std::string publisher, bus::Client& client)
    : runtime_(runtime), publisher_(std::move(publisher)), client_(client) {
  // Every service answers events.since with the same common types, so this service's own
  // descriptor of the standard operation describes the publisher's reply too.
  const schema::OperationDesc* since = runtime_.schema().find_operation("events.since");
  since_reply_ = since != nullptr ? since->reply : nullptr;
}

EventFeed::~EventFeed() {
  stop();
}

void EventFeed::start() {
  thread_ = std::thread([this] { run(); });
}

void EventFeed::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventFeed::offer(bus::Event&& event) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueued) {
      overflow_ = true;  // events.since fetches what is dropped here
      return;
    }
    queue_.push_back(std::move(event));
  }
  cv_.notify_one();
}

bool EventFeed::stopping() {
  std::lock_guard lock(mu_);
  return stop_;
}

bool EventFeed::backoff(std::chrono::milliseconds& delay) {
  std::unique_lock lock(mu_);
  const bool stopped = cv_.wait_for(lock, delay, [&] { return stop_; });
  delay = std::min(delay * 2, kMaxBackoff);
  return !stopped;
}

void EventFeed::update_lag() {
  const auto last = static_cast<std::int64_t>(tracker_.last_applied(publisher_));
  runtime_.metrics()
      .replay_lag(publisher_)
      .Set(static_cast<double>(std::max<std::int64_t>(0, known_head_ - last)));
}

void EventFeed::run() {
  auto delay = kInitialBackoff;
  while (true) {
    auto last = runtime_.last_applied(publisher_);
    if (last.ok()) {
      tracker_.set_last_applied(publisher_, static_cast<std::uint64_t>(*last));
      known_head_ = *last;
      break;
    }
    log::warn("cannot read subscription position")
        .kv("publisher", publisher_)
        .kv("error", last.status().to_string());
    if (!backoff(delay)) return;
  }
  update_lag();
  bool need_catch_up = true;
  bool warned = false;
  delay = kInitialBackoff;
  while (true) {
    if (need_catch_up) {
      Status st = catch_up();
      if (stopping()) return;
      if (!st.ok()) {
        if (!warned) {
          log::warn("cannot catch up with publisher; retrying")
              .kv("publisher", publisher_)
              .kv("error", st.to_string());
          warned = true;
        }
        if (!backoff(delay)) return;
        continue;
      }
      if (warned) log::info("caught up with publisher").kv("publisher", publisher_);
      warned = false;
      need_catch_up = false;
      delay = kInitialBackoff;
    }
    bus::Event e;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kIdleWake, [&] { return stop_ || overflow_ || !queue_.empty(); });
      if (stop_) return;
      if (overflow_) {
        overflow_ = false;
        queue_.clear();
        need_catch_up = true;
        continue;
      }
      if (queue_.empty()) continue;
      e = std::move(queue_.front());
      queue_.pop_front();
    }
    if (bus::is_head_beacon(e.topic)) {
      known_head_ = std::max(known_head_, static_cast<std::int64_t>(e.seq));
      if (tracker_.observe_head(publisher_, e.seq).verdict == bus::SequenceTracker::Verdict::gap) {
        runtime_.metrics().gaps(publisher_).Increment();
        need_catch_up = true;
      }
      update_lag();
      continue;
    }
    known_head_ = std::max(known_head_, static_cast<std::int64_t>(e.seq));
    switch (tracker_.observe(publisher_, e.seq).verdict) {
      case bus::SequenceTracker::Verdict::duplicate:
        break;
      case bus::SequenceTracker::Verdict::gap: {
        runtime_.metrics().gaps(publisher_).Increment();
        need_catch_up = true;
        std::lock_guard lock(mu_);
        queue_.push_front(std::move(e));  // a duplicate once the catch-up has fetched it
        break;
      }
      case bus::SequenceTracker::Verdict::apply:
        if (!apply(static_cast<std::int64_t>(e.seq), e.topic, e.payload, e.time_ms)) return;
        break;
    }
    update_lag();
  }
}

Status EventFeed::catch_up() {
  if (since_reply_ == nullptr) return internal_error("the schema has no events.since operation");
  while (!stopping()) {
    const auto after = static_cast<std::int64_t>(tracker_.last_applied(publisher_));
    std::string request;
    {
      schema::StringSink sink(request);
      schema::Packer pk(sink);
      pk.pack_map(2);
      schema::codec::pack_key(pk, "after");
      schema::codec::pack_int(pk, after);
      schema::codec::pack_key(pk, "limit");
      schema::codec::pack_int(pk, kSinceBatch);
    }
    bus::CallOptions opts;
    opts.timeout = kSinceTimeout;
    opts.request_id = "catch-up:" + publisher_ + ":" + std::to_string(after);
    bus::Reply reply = client_.call(publisher_, "events.since", std::move(request), opts);
    if (!reply.status.ok()) return reply.status;
    auto obj = schema::unpack(reply.payload);
    if (!obj.ok()) return internal_error("events.since reply: " + obj.status().message());
    KAI_RETURN_IF_ERROR(schema::validate(obj->get(), *since_reply_));
    std::vector<SinceRecord> events;
    std::int64_t head = 0;
    KAI_RETURN_IF_ERROR(parse_since_reply(obj->get(), events, head));
    known_head_ = std::max(known_head_, head);
    for (const auto& ev : events) {
      const auto last = static_cast<std::int64_t>(tracker_.last_applied(publisher_));
      if (ev.seq <= last) continue;
      if (ev.seq != last + 1) {
        return internal_error("events.since of " + publisher_ + " skipped from " +
                              std::to_string(last) + " to " + std::to_string(ev.seq));
      }
      if (!apply(ev.seq, ev.topic, ev.payload, ev.created_at)) return unavailable("stopping");
    }
    update_lag();
    const auto last = static_cast<std::int64_t>(tracker_.last_applied(publisher_));
    if (events.empty() || last >= head) return Status::Ok();
  }
  return unavailable("stopping");
}

bool EventFeed::apply(std::int64_t seq, const std::string& topic, std::string_view payload,
                      UnixMillis published_at) {
  const EventMeta meta{
      .publisher = publisher_, .topic = topic, .seq = seq, .published_at = published_at};
  auto delay = kInitialBackoff;
  bool warned = false;
  while (true) {
    auto applied = runtime_.apply_event(meta, payload);
    if (applied.ok()) {
      tracker_.set_last_applied(publisher_, static_cast<std::uint64_t>(seq));
      return true;
    }
    if (!warned) {
      log::warn("applying event failed; retrying")
          .kv("publisher", publisher_)
          .kv("topic", topic)
          .kv("seq", seq)
          .kv("error", applied.status().to_string());
      warned = true;
    }
    if (!backoff(delay)) return false;
  }
}

}  // namespace kai::svc::detail
