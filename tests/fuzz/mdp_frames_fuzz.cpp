// Fuzzes the MDP frame parsers and the broker's state machine with arbitrary message sequences
// from a handful of peers. Input layout, repeated: [peer byte][frame count byte] then per frame
// [length byte][bytes]; a peer byte with the top bit set advances the clock instead (ticks:
// heartbeats, expiry, queue deadlines).
#include <cstddef>
#include <cstdint>
#include <string>

#include "broker/broker_core.hpp"
#include "bus/mdp.hpp"
#include "common/log.hpp"

namespace {

using namespace kai;

class NullSink : public broker::Sink {
 public:
  bus::SendResult send(bus::Frames& msg) override {
    // Pretend some peers are gone so the failure paths run too.
    if (!msg.empty() && msg[0].size() > 0 &&
        (static_cast<const unsigned char*>(msg[0].data())[0] & 7) == 7) {
      return bus::SendResult::unreachable;
    }
    msg.clear();
    return bus::SendResult::ok;
  }
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  log::init("fuzz", log::Level::error);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A registry per input: metric children for fuzzed service names must not pile up.
  prometheus::Registry registry;
  broker::BrokerMetrics metrics(registry);
  NullSink sink;
  broker::BrokerOptions opts;
  opts.heartbeat_interval = std::chrono::milliseconds(100);
  opts.queue_limit = 4;
  opts.max_services = 8;
  broker::BrokerCore core(opts, sink, metrics);
  auto now = broker::Clock::time_point{};

  std::size_t i = 0;
  while (i + 2 <= size) {
    const std::uint8_t peer = data[i++];
    if (peer & 0x80) {
      now += std::chrono::milliseconds((peer & 0x7F) * 10);
      core.tick(now);
      ++i;
      continue;
    }
    const std::size_t nframes = data[i++] % 10;
    bus::Frames frames;
    frames.push_back(bus::frame(std::string(1, static_cast<char>(peer & 0x0F))));
    for (std::size_t f = 0; f < nframes && i < size; ++f) {
      const std::size_t len = data[i++] % 16;
      const std::size_t take = std::min(len, size - i);
      frames.push_back(bus::frame(std::string_view(reinterpret_cast<const char*>(data + i), take)));
      i += take;
    }
    // The client- and worker-side parsers see the same bytes without the identity frame.
    bus::Frames tail;
    for (std::size_t f = 1; f < frames.size(); ++f)
      tail.push_back(bus::frame(bus::view(frames[f])));
    (void)bus::mdp::parse_worker_inbound(tail);
    (void)bus::mdp::parse_client_inbound(tail);
    core.handle(frames, now);
  }
  core.tick(now + std::chrono::seconds(10));
  core.disconnect_all();
  return 0;
}
