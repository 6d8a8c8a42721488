#include "bus/mdp.hpp"

namespace kai::bus::mdp {

std::string_view malformed_name(Malformed m) {
  switch (m) {
    case Malformed::none:
      return "none";
    case Malformed::too_few_frames:
      return "too_few_frames";
    case Malformed::missing_empty_delimiter:
      return "missing_empty_delimiter";
    case Malformed::unknown_protocol_header:
      return "unknown_protocol_header";
    case Malformed::bad_command_frame:
      return "bad_command_frame";
    case Malformed::unknown_command:
      return "unknown_command";
    case Malformed::bad_service_name:
      return "bad_service_name";
    case Malformed::wrong_frame_count:
      return "wrong_frame_count";
    case Malformed::missing_body:
      return "missing_body";
    case Malformed::bad_credit:
      return "bad_credit";
    case Malformed::too_many_frames:
      return "too_many_frames";
  }
  return "unknown";
}

bool valid_service_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxServiceNameLength) return false;
  for (char c : name) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

namespace {

// Decimal 2..kMaxCredit, no sign, no leading zero.
bool parse_credit(std::string_view text, std::uint32_t& credit) {
  if (text.empty() || text.size() > 4 || text[0] == '0') return false;
  std::uint32_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (n < 2 || n > kMaxCredit) return false;
  credit = n;
  return true;
}

BrokerInbound invalid(BrokerInbound in, Malformed why) {
  in.kind = BrokerInbound::Kind::invalid;
  in.error = why;
  return in;
}

// Worker commands share their layout between directions: [empty][MDPW01][cmd]...; `base` is the
// index of the empty frame.
bool parse_command(const Frames& f, std::size_t base, Command& cmd, Malformed& why) {
  const zmq::message_t& c = f[base + 2];
  if (c.size() != 1) {
    why = Malformed::bad_command_frame;
    return false;
  }
  const auto byte = *static_cast<const std::uint8_t*>(c.data());
  if (byte < 0x01 || byte > 0x05) {
    why = Malformed::unknown_command;
    return false;
  }
  cmd = static_cast<Command>(byte);
  return true;
}

}  // namespace

BrokerInbound parse_broker_inbound(const Frames& f) {
  BrokerInbound in;
  if (f.size() < 3) return invalid(in, Malformed::too_few_frames);
  in.sender = view(f[0]);
  if (f[1].size() != 0) return invalid(in, Malformed::missing_empty_delimiter);
  const std::string_view header = view(f[2]);
  if (header == kClientHeader) {
    if (f.size() < 4) return invalid(in, Malformed::too_few_frames);
    in.service = view(f[3]);
    if (!valid_service_name(in.service)) return invalid(in, Malformed::bad_service_name);
    if (f.size() < 5) return invalid(in, Malformed::missing_body);
    in.kind = BrokerInbound::Kind::client_request;
    in.body_index = 4;
    return in;
  }
  if (header != kWorkerHeader) return invalid(in, Malformed::unknown_protocol_header);
  if (f.size() < 4) return invalid(in, Malformed::too_few_frames);
  Command cmd;
  Malformed why;
  if (!parse_command(f, 1, cmd, why)) return invalid(in, why);
  switch (cmd) {
    case Command::ready:
      if (f.size() != 5 && f.size() != 6) return invalid(in, Malformed::wrong_frame_count);
      in.service = view(f[4]);
      if (!valid_service_name(in.service)) return invalid(in, Malformed::bad_service_name);
      if (f.size() == 6 && !parse_credit(view(f[5]), in.credit)) {
        return invalid(in, Malformed::bad_credit);
      }
      in.kind = BrokerInbound::Kind::worker_ready;
      return in;
    case Command::reply:
      // [id][empty][MDPW01][0x03][client][empty][body...]
      if (f.size() < 7)
        return invalid(in, f.size() < 6 ? Malformed::too_few_frames : Malformed::missing_body);
      if (f[5].size() != 0) return invalid(in, Malformed::missing_empty_delimiter);
      in.client_address = view(f[4]);
      in.kind = BrokerInbound::Kind::worker_reply;
      in.body_index = 6;
      return in;
    case Command::heartbeat:
      if (f.size() != 4) return invalid(in, Malformed::wrong_frame_count);
      in.kind = BrokerInbound::Kind::worker_heartbeat;
      return in;
    case Command::disconnect:
      if (f.size() != 4) return invalid(in, Malformed::wrong_frame_count);
      in.kind = BrokerInbound::Kind::worker_disconnect;
      return in;
    case Command::request:
      // A REQUEST only ever flows broker -> worker.
      return invalid(in, Malformed::unknown_command);
  }
  return invalid(in, Malformed::unknown_command);
}

WorkerInbound parse_worker_inbound(const Frames& f) {
  WorkerInbound in;
  if (f.size() < 3) {
    in.error = Malformed::too_few_frames;
    return in;
  }
  if (f[0].size() != 0) {
    in.error = Malformed::missing_empty_delimiter;
    return in;
  }
  if (view(f[1]) != kWorkerHeader) {
    in.error = Malformed::unknown_protocol_header;
    return in;
  }
  Command cmd;
  if (!parse_command(f, 0, cmd, in.error)) return in;
  switch (cmd) {
    case Command::request:
      // [empty][MDPW01][0x02][client][empty][body...]
      if (f.size() < 6) {
        in.error = f.size() < 5 ? Malformed::too_few_frames : Malformed::missing_body;
        return in;
      }
      if (f[4].size() != 0) {
        in.error = Malformed::missing_empty_delimiter;
        return in;
      }
      in.kind = WorkerInbound::Kind::request;
      in.client_address_index = 3;
      in.body_index = 5;
      return in;
    case Command::heartbeat:
      if (f.size() != 3) {
        in.error = Malformed::wrong_frame_count;
        return in;
      }
      in.kind = WorkerInbound::Kind::heartbeat;
      return in;
    case Command::disconnect:
      if (f.size() != 3) {
        in.error = Malformed::wrong_frame_count;
        return in;
      }
      in.kind = WorkerInbound::Kind::disconnect;
      return in;
    case Command::ready:
    case Command::reply:
      in.error = Malformed::unknown_command;
      return in;
  }
  in.error = Malformed::unknown_command;
  return in;
}

ClientInbound parse_client_inbound(const Frames& f) {
  ClientInbound in;
  if (f.size() < 4) {
    in.error = Malformed::too_few_frames;
    return in;
  }
  if (f[0].size() != 0) {
    in.error = Malformed::missing_empty_delimiter;
    return in;
  }
  if (view(f[1]) != kClientHeader) {
    in.error = Malformed::unknown_protocol_header;
    return in;
  }
  in.service = view(f[2]);
  if (!valid_service_name(in.service)) {
    in.error = Malformed::bad_service_name;
    return in;
  }
  in.valid = true;
  in.body_index = 3;
  return in;
}

void build_client_request(Frames& out, std::string_view service) {
  out.clear();
  out.emplace_back();
  out.push_back(frame(kClientHeader));
  out.push_back(frame(service));
}

void build_worker_command(Frames& out, Command command) {
  out.clear();
  out.emplace_back();
  out.push_back(frame(kWorkerHeader));
  const auto byte = static_cast<char>(command);
  out.push_back(frame(std::string_view(&byte, 1)));
}

void build_worker_ready(Frames& out, std::string_view service, std::uint32_t credit) {
  build_worker_command(out, Command::ready);
  out.push_back(frame(service));
  if (credit > 1) out.push_back(frame(std::to_string(credit)));
}

void build_worker_reply(Frames& out, zmq::message_t&& client_address) {
  build_worker_command(out, Command::reply);
  out.push_back(std::move(client_address));
  out.emplace_back();
}

}  // namespace kai::bus::mdp
