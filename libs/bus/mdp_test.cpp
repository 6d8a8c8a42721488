#include "bus/mdp.hpp"

#include <gtest/gtest.h>

namespace kai::bus::mdp {
namespace {

Frames make(std::initializer_list<std::string_view> parts) {
  Frames f;
  for (auto p : parts)
    f.push_back(frame(p));
  return f;
}

const std::string kId("\0\x80\x00\x01\x02", 5);  // libzmq-style binary identity with NULs

TEST(MdpBrokerInboundTest, ClientRequestWithBinaryIdentity) {
  Frames f = make({kId, "", "MDPC01", "echo", "body1", "body2"});
  auto in = parse_broker_inbound(f);
  ASSERT_EQ(in.kind, BrokerInbound::Kind::client_request);
  EXPECT_EQ(in.sender, kId);
  EXPECT_EQ(in.sender.size(), 5u);
  EXPECT_EQ(in.service, "echo");
  EXPECT_EQ(in.body_index, 4u);
}

TEST(MdpBrokerInboundTest, ReadyCarriesCreditOnlyWhenAsked) {
  auto plain = parse_broker_inbound(make({kId, "", "MDPW01", "\x01", "svc"}));
  ASSERT_EQ(plain.kind, BrokerInbound::Kind::worker_ready);
  EXPECT_EQ(plain.credit, 1u);
  auto credit = parse_broker_inbound(make({kId, "", "MDPW01", "\x01", "svc", "4096"}));
  ASSERT_EQ(credit.kind, BrokerInbound::Kind::worker_ready);
  EXPECT_EQ(credit.credit, 4096u);

  Frames out;
  build_worker_ready(out, "svc", 1);
  EXPECT_EQ(out.size(), 4u);  // [empty][MDPW01][READY][service]: plain 7/MDP
  build_worker_ready(out, "svc", 32);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(view(out[4]), "32");
}

TEST(MdpBrokerInboundTest, WorkerCommands) {
  auto ready = make({kId, "", "MDPW01", "\x01", "membership"});
  EXPECT_EQ(parse_broker_inbound(ready).kind, BrokerInbound::Kind::worker_ready);
  EXPECT_EQ(parse_broker_inbound(ready).service, "membership");

  auto reply = make({kId, "", "MDPW01", "\x03", "client", "", "b"});
  auto in = parse_broker_inbound(reply);
  ASSERT_EQ(in.kind, BrokerInbound::Kind::worker_reply);
  EXPECT_EQ(in.client_address, "client");
  EXPECT_EQ(in.body_index, 6u);

  EXPECT_EQ(parse_broker_inbound(make({kId, "", "MDPW01", "\x04"})).kind,
            BrokerInbound::Kind::worker_heartbeat);
  EXPECT_EQ(parse_broker_inbound(make({kId, "", "MDPW01", "\x05"})).kind,
            BrokerInbound::Kind::worker_disconnect);
}

struct BadCase {
  std::vector<std::string> frames;
  Malformed why;
};

TEST(MdpBrokerInboundTest, RejectsEveryKindOfMalformedMessage) {
  const std::vector<BadCase> cases = {
      {{kId}, Malformed::too_few_frames},
      {{kId, "x", "MDPC01", "s", "b"}, Malformed::missing_empty_delimiter},
      {{kId, "", "MDPX01", "s", "b"}, Malformed::unknown_protocol_header},
      {{kId, "", "MDPC01"}, Malformed::too_few_frames},
      {{kId, "", "MDPC01", "svc"}, Malformed::missing_body},
      {{kId, "", "MDPC01", "", "b"}, Malformed::bad_service_name},
      {{kId, "", "MDPC01", "bad name", "b"}, Malformed::bad_service_name},
      {{kId, "", "MDPC01", std::string(256, 'a'), "b"}, Malformed::bad_service_name},
      {{kId, "", "MDPW01", "\x01\x01", "svc"}, Malformed::bad_command_frame},
      {{kId, "", "MDPW01", "\x09"}, Malformed::unknown_command},
      {{kId, "", "MDPW01", std::string("\0", 1)}, Malformed::unknown_command},
      {{kId, "", "MDPW01", "\x02", "c", "", "b"}, Malformed::unknown_command},  // REQUEST inbound
      {{kId, "", "MDPW01", "\x01"}, Malformed::wrong_frame_count},
      {{kId, "", "MDPW01", "\x01", "svc", "extra"}, Malformed::bad_credit},
      {{kId, "", "MDPW01", "\x01", "svc", "1"}, Malformed::bad_credit},  // 1 is a plain READY
      {{kId, "", "MDPW01", "\x01", "svc", "0"}, Malformed::bad_credit},
      {{kId, "", "MDPW01", "\x01", "svc", "08"}, Malformed::bad_credit},
      {{kId, "", "MDPW01", "\x01", "svc", "4097"}, Malformed::bad_credit},
      {{kId, "", "MDPW01", "\x01", "svc", "-5"}, Malformed::bad_credit},
      {{kId, "", "MDPW01", "\x01", "svc", "16", "x"}, Malformed::wrong_frame_count},
      {{kId, "", "MDPW01", "\x03", "c"}, Malformed::too_few_frames},
      {{kId, "", "MDPW01", "\x03", "c", ""}, Malformed::missing_body},
      {{kId, "", "MDPW01", "\x03", "c", "x", "b"}, Malformed::missing_empty_delimiter},
      {{kId, "", "MDPW01", "\x04", "x"}, Malformed::wrong_frame_count},
      {{kId, "", "MDPW01", "\x05", "x"}, Malformed::wrong_frame_count},
  };
  for (const auto& c : cases) {
    Frames f;
    for (const auto& p : c.frames)
      f.push_back(frame(p));
    auto in = parse_broker_inbound(f);
    EXPECT_EQ(in.kind, BrokerInbound::Kind::invalid) << c.frames.size();
    EXPECT_EQ(in.error, c.why) << malformed_name(in.error) << " for case with " << c.frames.size()
                               << " frames";
  }
}

TEST(MdpWorkerInboundTest, RequestHeartbeatDisconnectAndGarbage) {
  auto req = make({"", "MDPW01", "\x02", kId, "", "body"});
  auto in = parse_worker_inbound(req);
  ASSERT_EQ(in.kind, WorkerInbound::Kind::request);
  EXPECT_EQ(view(req[in.client_address_index]), kId);
  EXPECT_EQ(in.body_index, 5u);
  EXPECT_EQ(parse_worker_inbound(make({"", "MDPW01", "\x04"})).kind,
            WorkerInbound::Kind::heartbeat);
  EXPECT_EQ(parse_worker_inbound(make({"", "MDPW01", "\x05"})).kind,
            WorkerInbound::Kind::disconnect);
  EXPECT_EQ(parse_worker_inbound(make({"", "MDPW01", "\x02", kId, ""})).error,
            Malformed::missing_body);
  EXPECT_EQ(parse_worker_inbound(make({"", "MDPC01", "\x04"})).error,
            Malformed::unknown_protocol_header);
  EXPECT_EQ(parse_worker_inbound(make({"x", "MDPW01", "\x04"})).error,
            Malformed::missing_empty_delimiter);
  EXPECT_EQ(parse_worker_inbound(make({"", "MDPW01", "\x01"})).error, Malformed::unknown_command);
}

TEST(MdpClientInboundTest, ReplyAndGarbage) {
  auto ok = parse_client_inbound(make({"", "MDPC01", "echo", "b"}));
  ASSERT_TRUE(ok.valid);
  EXPECT_EQ(ok.service, "echo");
  EXPECT_EQ(ok.body_index, 3u);
  EXPECT_FALSE(parse_client_inbound(make({"", "MDPC01", "echo"})).valid);
  EXPECT_FALSE(parse_client_inbound(make({"", "MDPW01", "echo", "b"})).valid);
}

TEST(MdpBuildersTest, ProduceExactWireFrames) {
  Frames f;
  build_worker_ready(f, "clubs");
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(view(f[0]), "");
  EXPECT_EQ(view(f[1]), "MDPW01");
  EXPECT_EQ(view(f[2]), "\x01");
  EXPECT_EQ(view(f[3]), "clubs");

  build_worker_reply(f, frame(kId));
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(view(f[2]), "\x03");
  EXPECT_EQ(view(f[3]), kId);
  EXPECT_EQ(view(f[4]), "");

  build_client_request(f, "venture");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(view(f[1]), "MDPC01");
  EXPECT_EQ(view(f[2]), "venture");
}

}  // namespace
}  // namespace kai::bus::mdp
