#include "bus/envelope.hpp"

#include <gtest/gtest.h>
#include <msgpack.hpp>

namespace kai::bus {
namespace {

TEST(EnvelopeTest, RequestHeaderRoundTrip) {
  RequestHeader h{42,        "organization.create", 1'800'000'000'000, "key-1", "req-1",
                  "trace-1", "alliance-office"};
  auto d = decode_request_header(encode_request_header(h));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->id, 42u);
  EXPECT_EQ(d->op, "organization.create");
  EXPECT_EQ(d->deadline_ms, 1'800'000'000'000);
  EXPECT_EQ(d->idempotency_key, "key-1");
  EXPECT_EQ(d->request_id, "req-1");
  EXPECT_EQ(d->trace_id, "trace-1");
  EXPECT_EQ(d->principal, "alliance-office");
}

TEST(EnvelopeTest, ReplyHeaderCarriesStatus) {
  auto ok = decode_reply_header(encode_reply_header({7, Status::Ok()}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->id, 7u);
  EXPECT_TRUE(ok->status.ok());

  auto err = decode_reply_header(encode_reply_header({8, invalid_argument("too long", "name")}));
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->status.code(), StatusCode::invalid_argument);
  EXPECT_EQ(err->status.message(), "too long");
  EXPECT_EQ(err->status.field(), "name");
}

TEST(EnvelopeTest, UnknownCodeFromANewerPeerIsAnError) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(2);
  pk.pack(std::string("id"));
  pk.pack_uint64(1);
  pk.pack(std::string("code"));
  pk.pack(std::string("quantum_flux"));
  auto r = decode_reply_header(std::string_view(buf.data(), buf.size()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.code(), StatusCode::internal);
}

TEST(EnvelopeTest, RejectsGarbageAndMissingFields) {
  EXPECT_FALSE(decode_request_header("").ok());
  EXPECT_FALSE(decode_request_header("\xc1").ok());  // never-used msgpack byte
  EXPECT_FALSE(decode_request_header(std::string(5000, 'x')).ok());
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(1);
  pk.pack(std::string("op"));
  pk.pack(std::string("x"));
  EXPECT_FALSE(decode_request_header(std::string_view(buf.data(), buf.size())).ok());
  msgpack::sbuffer wrong;
  msgpack::packer<msgpack::sbuffer> pk2(wrong);
  pk2.pack_map(2);
  pk2.pack(std::string("id"));
  pk2.pack(std::string("not a number"));
  pk2.pack(std::string("op"));
  pk2.pack(std::string("x"));
  auto r = decode_request_header(std::string_view(wrong.data(), wrong.size()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::invalid_argument);
}

}  // namespace
}  // namespace kai::bus
