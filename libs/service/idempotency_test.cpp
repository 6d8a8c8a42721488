// Idempotent writes: a key is recorded with its reply in the write's own transaction, a repeated
// key replays the stored reply without running the handler again, and a key reused for another
// request or operation is refused.
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sample_schema/ledger.hpp"
#include "sample_service/ledger.hpp"
#include "schema/unpack.hpp"
#include "service/idempotency_record.hpp"
#include "service/local_service.hpp"
#include "service/service_test_util.hpp"
#include "store/runtime.hpp"
#include "support/process.hpp"

namespace kai::svc {
namespace {

namespace ledger = kai::sample::ledger;
using kai::testing::TempDir;
using testing::pack;

std::int64_t count_rows(LocalService& svc, std::string_view sql) {
  std::int64_t n = -1;
  EXPECT_TRUE(svc.database()
                  .read([&](store::Tx& tx) -> Status {
                    auto row = tx.query_one(sql);
                    if (!row.ok()) return row.status();
                    n = (*row)->int64(0);
                    return Status::Ok();
                  })
                  .ok());
  return n;
}

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto svc = LocalService::start(kai::sample::ledger_definition(), {.data_dir = dir_.path()});
    ASSERT_TRUE(svc.ok()) << svc.status().to_string();
    svc_ = std::move(*svc);
  }
  TempDir dir_;
  std::unique_ptr<LocalService> svc_;
};

TEST_F(IdempotencyTest, RepeatedKeyReplaysTheStoredReplyOnce) {
  const ledger::EntryAddRequest req{.account = "acct", .amount = 700, .note = "first"};
  auto first = svc_->call<ledger::EntryAdd>(req, {.idempotency_key = "key-1"});
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  for (int i = 0; i < 3; ++i) {
    auto again = svc_->call<ledger::EntryAdd>(req, {.idempotency_key = "key-1"});
    ASSERT_TRUE(again.ok()) << again.status().to_string();
    EXPECT_EQ(*again, *first);  // same id, same created_at: the stored reply
  }
  EXPECT_EQ(count_rows(*svc_, "SELECT COUNT(*) FROM ledger_entry"), 1);
  auto events = svc_->published();
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 1u);
  // Another key is another write.
  auto other = svc_->call<ledger::EntryAdd>(req, {.idempotency_key = "key-2"});
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->id, first->id);
  EXPECT_EQ(count_rows(*svc_, "SELECT COUNT(*) FROM ledger_entry"), 2);
}

TEST_F(IdempotencyTest, KeyAndReplyCommitWithTheWrite) {
  ASSERT_TRUE(svc_->call<ledger::EntryAdd>({.account = "a", .amount = 1, .note = std::nullopt},
                                           {.idempotency_key = "k"})
                  .ok());
  std::optional<store::idempotency::StoredReply> stored;
  ASSERT_TRUE(svc_->database()
                  .read([&](store::Tx& tx) -> Status {
                    auto r = store::idempotency::lookup(tx, "k");
                    if (!r.ok()) return r.status();
                    stored = *r;
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->op, "entry.add");
  auto rec = detail::decode_stored_reply(stored->reply);
  ASSERT_TRUE(rec.ok());
  auto obj = schema::unpack(rec->reply);
  ASSERT_TRUE(obj.ok());
  ledger::Entry entry;
  ASSERT_TRUE(decode(obj->get(), entry).ok());
  EXPECT_EQ(entry.account, "a");
}

TEST(Idempotency, FailedWritesAreNotRecordedAndRunAgain) {
  std::atomic<int> calls{0};
  ServiceDefinition def = kai::sample::ledger_definition();
  // The ledger's tables, with an entry.remove that fails after changing the database.
  def.setup = [&](Registrar& r, const Config&) -> Status {
    r.write<ledger::EntryAdd>(
        [](const ledger::EntryAddRequest& req, WriteContext& ctx) -> Result<ledger::Entry> {
          KAI_RETURN_IF_ERROR(
              ctx.tx().exec("INSERT INTO ledger_entry(account, amount, created_at) VALUES(?, ?, ?)",
                            {req.account, req.amount, ctx.now()}));
          return ledger::Entry{.id = 1,
                               .account = req.account,
                               .amount = req.amount,
                               .note = std::nullopt,
                               .created_at = ctx.now()};
        });
    r.write<ledger::EntryRemove>([&](const ledger::EntryRemoveRequest& req,
                                     WriteContext& ctx) -> Result<ledger::EntryRemoveReply> {
      ++calls;
      KAI_RETURN_IF_ERROR(ctx.tx().exec("DELETE FROM ledger_entry WHERE id = ?", {req.id}));
      return failed_precondition("entries cannot be removed today");
    });
    r.read<ledger::EntryGet>(
        [](const ledger::EntryGetRequest& req, ReadContext&) -> Result<ledger::Entry> {
          return ledger::Entry{
              .id = req.id, .account = "a", .amount = 1, .note = std::nullopt, .created_at = 1};
        });
    r.read<ledger::AccountBalance>(
        [](const ledger::AccountBalanceRequest& req, ReadContext&) -> Result<ledger::Balance> {
          return ledger::Balance{.account = req.account, .balance = 0, .entries = 0};
        });
    return Status::Ok();
  };
  TempDir dir;
  auto svc = LocalService::start(def, {.data_dir = dir.path()});
  ASSERT_TRUE(svc.ok()) << svc.status().to_string();
  ASSERT_TRUE(
      (*svc)->call<ledger::EntryAdd>({.account = "a", .amount = 1, .note = std::nullopt}).ok());
  for (int i = 0; i < 2; ++i) {
    auto r = (*svc)->call<ledger::EntryRemove>({.id = 1}, {.idempotency_key = "k-fail"});
    EXPECT_EQ(r.status().code(), StatusCode::failed_precondition);
  }
  EXPECT_EQ(calls.load(), 2);  // errors are not replayed: the handler ran again
  EXPECT_EQ(count_rows(**svc, "SELECT COUNT(*) FROM ledger_entry"), 1);  // rolled back
  EXPECT_EQ(count_rows(**svc, "SELECT COUNT(*) FROM kai_idempotency WHERE key = 'k-fail'"), 0);
}

TEST_F(IdempotencyTest, ReusedKeyWithAnotherRequestIsRefused) {
  ASSERT_TRUE(svc_->call<ledger::EntryAdd>({.account = "a", .amount = 1, .note = std::nullopt},
                                           {.idempotency_key = "k"})
                  .ok());
  auto other = svc_->call<ledger::EntryAdd>({.account = "a", .amount = 2, .note = std::nullopt},
                                            {.idempotency_key = "k"});
  ASSERT_EQ(other.status().code(), StatusCode::invalid_argument);
  EXPECT_EQ(other.status().field(), "idempotency_key");
  EXPECT_NE(other.status().message().find("different"), std::string::npos);

  auto other_op = svc_->call<ledger::EntryRemove>({.id = 1}, {.idempotency_key = "k"});
  ASSERT_EQ(other_op.status().code(), StatusCode::invalid_argument);
  EXPECT_EQ(other_op.status().field(), "idempotency_key");
  EXPECT_NE(other_op.status().message().find("entry.add"), std::string::npos);
  EXPECT_EQ(count_rows(*svc_, "SELECT COUNT(*) FROM ledger_entry"), 1);
}

TEST_F(IdempotencyTest, TheSameRequestEncodedDifferentlyStillReplays) {
  // Field order, nil for an absent optional field and integer widths do not make a request
  // different.
  const std::string a = pack([](auto& pk) {
    pk.pack_map(2);
    pk.pack("account");
    pk.pack("acct");
    pk.pack("amount");
    pk.pack(std::uint8_t{5});
  });
  const std::string b = pack([](auto& pk) {
    pk.pack_map(3);
    pk.pack("note");
    pk.pack_nil();
    pk.pack("amount");
    pk.pack_int64(5);
    pk.pack("account");
    pk.pack("acct");
  });
  auto first = svc_->call_raw("entry.add", a, {.idempotency_key = "same"});
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  auto second = svc_->call_raw("entry.add", b, {.idempotency_key = "same"});
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(count_rows(*svc_, "SELECT COUNT(*) FROM ledger_entry"), 1);
}

TEST_F(IdempotencyTest, KeysAreBounded) {
  const std::string req = pack([](auto& pk) {
    pk.pack_map(2);
    pk.pack("account");
    pk.pack("a");
    pk.pack("amount");
    pk.pack(1);
  });
  // LocalService makes up a key when none is given, like the bus client; a request without one
  // can only come as a raw envelope (service_process_test covers it through the broker).
  auto too_long = svc_->call_raw("entry.add", req, {.idempotency_key = std::string(300, 'k')});
  ASSERT_EQ(too_long.status().code(), StatusCode::invalid_argument);
  EXPECT_EQ(too_long.status().field(), "idempotency_key");
}

TEST_F(IdempotencyTest, ConcurrentRetriesOfOneKeyApplyOnce) {
  const ledger::EntryAddRequest req{.account = "race", .amount = 9, .note = std::nullopt};
  std::vector<std::thread> threads;
  std::vector<Result<ledger::Entry>> results(16, Result<ledger::Entry>(internal_error("unset")));
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      results[static_cast<std::size_t>(i)] =
          svc_->call<ledger::EntryAdd>(req, {.idempotency_key = "racy"});
    });
  }
  for (auto& t : threads)
    t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->id, results[0]->id);
  }
  EXPECT_EQ(count_rows(*svc_, "SELECT COUNT(*) FROM ledger_entry"), 1);
}

TEST_F(IdempotencyTest, RecordsSurviveARestartAndOldOnesArePurged) {
  auto first = svc_->call<ledger::EntryAdd>({.account = "a", .amount = 3, .note = std::nullopt},
                                            {.idempotency_key = "durable"});
  ASSERT_TRUE(first.ok());
  svc_.reset();
  auto again = LocalService::start(kai::sample::ledger_definition(), {.data_dir = dir_.path()});
  ASSERT_TRUE(again.ok());
  auto replay = (*again)->call<ledger::EntryAdd>(
      {.account = "a", .amount = 3, .note = std::nullopt}, {.idempotency_key = "durable"});
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(*replay, *first);
  EXPECT_EQ(count_rows(**again, "SELECT COUNT(*) FROM ledger_entry"), 1);
  again->reset();

  // With a retention of one second, the key recorded more than a second ago is purged by the
  // start-up purge job, and the same key then writes anew.
  ASSERT_TRUE(kai::testing::wait_until([&] { return now_unix_ms() - first->created_at > 1100; },
                                       std::chrono::seconds(5)));
  auto purged =
      LocalService::start(kai::sample::ledger_definition(),
                          {.data_dir = dir_.path(), .settings = {{"idempotency-retention", "1s"}}});
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(count_rows(**purged, "SELECT COUNT(*) FROM kai_idempotency"), 0);
}

TEST(IdempotencyRecord, CanonicalFormSortsKeysAndDropsNil) {
  auto a = schema::unpack(pack([](auto& pk) {
    pk.pack_map(3);
    pk.pack("b");
    pk.pack(1);
    pk.pack("a");
    pk.pack_array(2);
    pk.pack(1.5f);
    pk.pack_map(2);
    pk.pack("y");
    pk.pack_nil();
    pk.pack("x");
    pk.pack(std::int64_t{-1});
    pk.pack("c");
    pk.pack_nil();
  }));
  auto b = schema::unpack(pack([](auto& pk) {
    pk.pack_map(2);
    pk.pack("a");
    pk.pack_array(2);
    pk.pack(1.5);
    pk.pack_map(1);
    pk.pack("x");
    pk.pack(std::int8_t{-1});
    pk.pack("b");
    pk.pack(std::uint64_t{1});
  }));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(detail::canonical_msgpack(a->get()), detail::canonical_msgpack(b->get()));
  EXPECT_EQ(detail::request_digest("op", a->get()), detail::request_digest("op", b->get()));
  EXPECT_NE(detail::request_digest("op", a->get()), detail::request_digest("other", a->get()));
  EXPECT_EQ(detail::request_digest("op", a->get()).size(), 16u);
}

TEST(IdempotencyRecord, StoredReplyRoundTripsAndRejectsGarbage) {
  const std::string stored = detail::encode_stored_reply("0123456789abcdef", "\x81\xa1x\x01");
  auto back = detail::decode_stored_reply(stored);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->digest, "0123456789abcdef");
  EXPECT_EQ(back->reply, "\x81\xa1x\x01");
  EXPECT_EQ(detail::decode_stored_reply("\x93\x01\x02\x03").status().code(), StatusCode::internal);
  EXPECT_EQ(detail::decode_stored_reply("").status().code(), StatusCode::internal);
}

}  // namespace
}  // namespace kai::svc
