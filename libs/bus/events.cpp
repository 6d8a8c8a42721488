#include "bus/events.hpp"

#include <msgpack.hpp>

#include "bus/frames.hpp"
#include "common/log.hpp"

namespace kai::bus {

namespace {
constexpr std::string_view kHeadSuffix = "._head";
}  // namespace

std::string head_topic(std::string_view publisher) {
  return std::string(publisher) + std::string(kHeadSuffix);
}

bool is_head_beacon(std::string_view topic) {
  return topic.ends_with(kHeadSuffix);
}

std::string encode_event_header(std::string_view publisher, std::uint64_t seq,
                                std::int64_t time_ms) {
  msgpack::sbuffer buf(64);
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(3);
  pk.pack(std::string_view("pub"));
  pk.pack(publisher);
  pk.pack(std::string_view("seq"));
  pk.pack_uint64(seq);
  pk.pack(std::string_view("ts"));
  pk.pack_int64(time_ms);
  return std::string(buf.data(), buf.size());
}

Status decode_event_header(std::string_view bytes, Event& out) {
  if (bytes.size() > 1024) return invalid_argument("event header too large");
  try {
    auto oh = msgpack::unpack(bytes.data(), bytes.size(), nullptr, nullptr,
                              msgpack::unpack_limit(0, 8, 256, 0, 0, 2));
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::MAP) return invalid_argument("event header is not a map");
    bool has_pub = false, has_seq = false;
    for (uint32_t i = 0; i < o.via.map.size; ++i) {
      const auto& kv = o.via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR) continue;
      const std::string_view k(kv.key.via.str.ptr, kv.key.via.str.size);
      if (k == "pub" && kv.val.type == msgpack::type::STR) {
        out.publisher.assign(kv.val.via.str.ptr, kv.val.via.str.size);
        has_pub = !out.publisher.empty();
      } else if (k == "seq" && kv.val.type == msgpack::type::POSITIVE_INTEGER) {
        out.seq = kv.val.via.u64;
        has_seq = true;
      } else if (k == "ts" && (kv.val.type == msgpack::type::POSITIVE_INTEGER ||
                               kv.val.type == msgpack::type::NEGATIVE_INTEGER)) {
        out.time_ms = kv.val.via.i64;
      }
    }
    if (!has_pub || !has_seq) return invalid_argument("event header needs 'pub' and 'seq'");
    return Status::Ok();
  } catch (const std::exception& e) {
    return invalid_argument(std::string("event header is not valid MessagePack: ") + e.what());
  }
}

void SequenceTracker::set_last_applied(std::string_view publisher, std::uint64_t seq) {
  last_[std::string(publisher)] = seq;
}

std::uint64_t SequenceTracker::last_applied(std::string_view publisher) const {
  auto it = last_.find(std::string(publisher));
  return it == last_.end() ? 0 : it->second;
}

SequenceTracker::Observation SequenceTracker::observe(std::string_view publisher,
                                                      std::uint64_t seq) const {
  const std::uint64_t last = last_applied(publisher);
  if (seq <= last) return {Verdict::duplicate};
  if (seq == last + 1) return {Verdict::apply};
  return {Verdict::gap, last + 1};
}

SequenceTracker::Observation SequenceTracker::observe_head(std::string_view publisher,
                                                           std::uint64_t head) const {
  const std::uint64_t last = last_applied(publisher);
  if (head <= last) return {Verdict::duplicate};
  return {Verdict::gap, last + 1};
}

EventPublisher::EventPublisher(zmq::context_t& ctx, const std::vector<std::string>& endpoints,
                               const CurveConfig& curve, std::chrono::milliseconds linger)
    : socket_(ctx, zmq::socket_type::pub) {
  socket_.set(zmq::sockopt::linger, static_cast<int>(linger.count()));
  socket_.set(zmq::sockopt::sndhwm, 100'000);
  apply_curve_client(socket_, curve);
  for (const auto& e : endpoints)
    socket_.connect(e);
}

void EventPublisher::publish(const Event& e) {
  Frames msg;
  msg.reserve(3);
  msg.push_back(frame(e.topic));
  msg.push_back(frame(encode_event_header(e.publisher, e.seq, e.time_ms)));
  msg.push_back(frame(e.payload));
  std::lock_guard lock(mu_);
  (void)send_frames(socket_, msg);
}

EventSubscriber::EventSubscriber(zmq::context_t& ctx, const std::vector<std::string>& endpoints,
                                 const std::vector<std::string>& prefixes, const CurveConfig& curve,
                                 Callback on_event)
    : socket_(ctx, zmq::socket_type::sub), on_event_(std::move(on_event)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::rcvhwm, 100'000);
  socket_.set(zmq::sockopt::maxmsgsize, std::int64_t{4} << 20);
  apply_curve_client(socket_, curve);
  for (const auto& p : prefixes)
    socket_.set(zmq::sockopt::subscribe, p);
  for (const auto& e : endpoints)
    socket_.connect(e);
  thread_ = std::thread([this] { run(); });
}

EventSubscriber::~EventSubscriber() {
  stop();
}

void EventSubscriber::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void EventSubscriber::run() {
  Frames msg;
  bool warned = false;
  while (!stop_) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) <= 0) continue;
    for (int n = 0; n < 1024; ++n) {
      const RecvResult r = recv_frames(socket_, msg, 8);
      if (r == RecvResult::would_block || r == RecvResult::error) break;
      Event e;
      Status st = r == RecvResult::ok && msg.size() == 3
                      ? decode_event_header(view(msg[1]), e)
                      : invalid_argument("event message must have 3 frames");
      if (!st.ok()) {
        if (!warned) log::warn("malformed event dropped").kv("error", st.message());
        warned = true;
        continue;
      }
      e.topic.assign(view(msg[0]));
      e.payload.assign(view(msg[2]));
      on_event_(std::move(e));
    }
  }
  socket_.close();
}

}  // namespace kai::bus
