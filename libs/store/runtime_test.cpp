// The runtime tables (idempotency keys, outbox, subscriptions) on both backends.
#include "store/runtime.hpp"

#include <future>
#include <set>
#include <thread>
#include <vector>

#include "store/store_test_util.hpp"

namespace kai::store::testing {
namespace {

constexpr Migration kOrders[] = {
    {.version = 1,
     .name = "orders",
     .sql = "CREATE TABLE orders (id BIGINT PRIMARY KEY, what TEXT)"},
};

class RuntimeTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    db_ = open();
    ASSERT_NE(db_, nullptr);
    KAI_ASSERT_OK(db_->migrate("orders", kOrders));
  }

  // What the service chassis does for a write with an idempotency key.
  Status handle(const std::string& key, std::int64_t order_id, std::string* reply) {
    return db_->write([&](Tx& tx) -> Status {
      auto stored = idempotency::lookup(tx, key);
      if (!stored.ok()) return stored.status();
      if (*stored) {
        *reply = (*stored)->reply;
        return Status::Ok();
      }
      KAI_RETURN_IF_ERROR(
          tx.exec("INSERT INTO orders(id, what) VALUES (?, ?)", {order_id, "order"}));
      auto seq = outbox::append(tx, "test.order.created", "order " + std::to_string(order_id));
      if (!seq.ok()) return seq.status();
      *reply = "created " + std::to_string(order_id);
      return idempotency::record(tx, key, "order.create", *reply);
    });
  }

  std::int64_t scalar(const char* sql) {
    std::int64_t v = -1;
    const Status s = db_->read([&](Tx& tx) -> Status {
      auto row = tx.query_one(sql);
      if (!row.ok()) return row.status();
      v = (*row)->int64(0);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return v;
  }

  std::unique_ptr<Database> db_;
};

TEST_P(RuntimeTest, IdempotencyLookupAndRecord) {
  KAI_ASSERT_OK(db_->write([&](Tx& tx) -> Status {
    auto none = idempotency::lookup(tx, "k1");
    if (!none.ok()) return none.status();
    EXPECT_FALSE(none->has_value());
    const std::string reply("\x81\xa2id\x07\x00", 6);  // binary MessagePack-like bytes
    KAI_RETURN_IF_ERROR(idempotency::record(tx, "k1", "org.create", reply));
    auto got = idempotency::lookup(tx, "k1");
    if (!got.ok()) return got.status();
    EXPECT_TRUE(got->has_value());
    if (*got) {
      EXPECT_EQ((*got)->op, "org.create");
      EXPECT_EQ((*got)->reply, reply);
      EXPECT_GT((*got)->created_at, 0);
    }
    return Status::Ok();
  }));
  const Status dup =
      db_->write([](Tx& tx) { return idempotency::record(tx, "k1", "org.create", "other"); });
  EXPECT_EQ(dup.code(), StatusCode::already_exists);
  EXPECT_EQ(db_->write([](Tx& tx) { return idempotency::record(tx, "", "op", "r"); }).code(),
            StatusCode::invalid_argument);
}

TEST_P(RuntimeTest, RetriedWriteIsAppliedOnceAndReplayed) {
  std::string first;
  std::string second;
  KAI_ASSERT_OK(handle("key-1", 1, &first));
  KAI_ASSERT_OK(handle("key-1", 1, &second));
  EXPECT_EQ(first, "created 1");
  EXPECT_EQ(second, first);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM orders"), 1);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM kai_outbox"), 1);
}

TEST_P(RuntimeTest, KeyAndWriteCommitTogetherOrNotAtAll) {
  KAI_ASSERT_OK(db_->write([](Tx& tx) {
    return tx.exec("INSERT INTO orders(id, what) VALUES (?, ?)", {5, "taken"});
  }));
  std::string reply;
  // The domain insert collides: neither the key nor the event may remain.
  EXPECT_EQ(handle("key-5", 5, &reply).code(), StatusCode::already_exists);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM kai_idempotency"), 0);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM kai_outbox"), 0);
  // The key recorded first, then a failing handler: the key is rolled back with it.
  const Status s = db_->write([](Tx& tx) -> Status {
    KAI_RETURN_IF_ERROR(idempotency::record(tx, "key-6", "order.create", "r"));
    return failed_precondition("handler refused");
  });
  EXPECT_EQ(s.code(), StatusCode::failed_precondition);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM kai_idempotency"), 0);
  KAI_ASSERT_OK(handle("key-6", 6, &reply));
  EXPECT_EQ(reply, "created 6");
}

TEST_P(RuntimeTest, PurgeOlderThan) {
  KAI_ASSERT_OK(db_->write([](Tx& tx) -> Status {
    KAI_RETURN_IF_ERROR(idempotency::record(tx, "old", "op", "r"));
    // Backdate one key; the other stays current.
    KAI_RETURN_IF_ERROR(
        tx.exec("UPDATE kai_idempotency SET created_at = ? WHERE key = ?", {1000, "old"}));
    return idempotency::record(tx, "new", "op", "r");
  }));
  std::int64_t purged = -1;
  KAI_ASSERT_OK(db_->write([&](Tx& tx) -> Status {
    auto n = idempotency::purge_older_than(tx, 2000);
    if (!n.ok()) return n.status();
    purged = *n;
    return Status::Ok();
  }));
  EXPECT_EQ(purged, 1);
  KAI_ASSERT_OK(db_->read([](Tx& tx) -> Status {
    auto old = idempotency::lookup(tx, "old");
    auto cur = idempotency::lookup(tx, "new");
    if (!old.ok()) return old.status();
    if (!cur.ok()) return cur.status();
    EXPECT_FALSE(old->has_value());
    EXPECT_TRUE(cur->has_value());
    return Status::Ok();
  }));
}

TEST_P(RuntimeTest, OutboxOrderingAndReadSince) {
  std::vector<std::int64_t> seqs;
  KAI_ASSERT_OK(db_->read([](Tx& tx) -> Status {
    auto h = outbox::head(tx);
    if (!h.ok()) return h.status();
    EXPECT_EQ(*h, 0);
    return Status::Ok();
  }));
  for (int i = 0; i < 5; ++i) {
    KAI_ASSERT_OK(db_->write([&](Tx& tx) -> Status {
      auto seq = outbox::append(tx, "t.e.changed", std::string("p\0", 2) + std::to_string(i));
      if (!seq.ok()) return seq.status();
      seqs.push_back(*seq);
      return Status::Ok();
    }));
  }
  for (std::size_t i = 1; i < seqs.size(); ++i)
    EXPECT_GT(seqs[i], seqs[i - 1]);
  KAI_ASSERT_OK(db_->read([&](Tx& tx) -> Status {
    auto h = outbox::head(tx);
    if (!h.ok()) return h.status();
    EXPECT_EQ(*h, seqs.back());
    auto all = outbox::read_since(tx, 0, 100);
    if (!all.ok()) return all.status();
    EXPECT_EQ(all->size(), 5u);
    for (std::size_t i = 0; i < all->size() && i < seqs.size(); ++i) {
      EXPECT_EQ((*all)[i].seq, seqs[i]);
      EXPECT_EQ((*all)[i].topic, "t.e.changed");
      EXPECT_EQ((*all)[i].payload, std::string("p\0", 2) + std::to_string(i));
      EXPECT_GT((*all)[i].created_at, 0);
    }
    auto page = outbox::read_since(tx, seqs[1], 2);
    if (!page.ok()) return page.status();
    EXPECT_EQ(page->size(), 2u);
    if (page->size() == 2) {
      EXPECT_EQ((*page)[0].seq, seqs[2]);
      EXPECT_EQ((*page)[1].seq, seqs[3]);
    }
    auto none = outbox::read_since(tx, seqs.back(), 10);
    if (!none.ok()) return none.status();
    EXPECT_TRUE(none->empty());
    EXPECT_EQ(outbox::read_since(tx, 0, 0).status().code(), StatusCode::invalid_argument);
    return Status::Ok();
  }));
  EXPECT_EQ(db_->write([](Tx& tx) { return outbox::append(tx, "", "p").status(); }).code(),
            StatusCode::invalid_argument);
}

TEST_P(RuntimeTest, OutboxSequenceNumbersAreNeverReused) {
  std::int64_t last = 0;
  KAI_ASSERT_OK(db_->write([&](Tx& tx) -> Status {
    auto a = outbox::append(tx, "t", "a");
    if (!a.ok()) return a.status();
    auto b = outbox::append(tx, "t", "b");
    if (!b.ok()) return b.status();
    last = *b;
    return Status::Ok();
  }));
  // A rolled-back append and a deleted newest row must not free their numbers.
  (void)db_->write([](Tx& tx) -> Status {
    KAI_RETURN_IF_ERROR(outbox::append(tx, "t", "rolled back").status());
    return aborted("give up");
  });
  KAI_ASSERT_OK(
      db_->write([&](Tx& tx) { return tx.exec("DELETE FROM kai_outbox WHERE seq = ?", {last}); }));
  std::int64_t next = 0;
  KAI_ASSERT_OK(db_->write([&](Tx& tx) -> Status {
    auto c = outbox::append(tx, "t", "c");
    if (!c.ok()) return c.status();
    next = *c;
    return Status::Ok();
  }));
  EXPECT_GT(next, last);
}

TEST_P(RuntimeTest, ConcurrentAppendsCommitInSequenceOrder) {
  constexpr int kThreads = 8;
  constexpr int kEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const Status s = db_->write([&](Tx& tx) {
          return outbox::append(tx, "t", std::to_string(t) + ":" + std::to_string(i)).status();
        });
        if (!s.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  KAI_ASSERT_OK(db_->read([&](Tx& tx) -> Status {
    auto all = outbox::read_since(tx, 0, 10000);
    if (!all.ok()) return all.status();
    EXPECT_EQ(all->size(), static_cast<std::size_t>(kThreads * kEach));
    std::set<std::string> payloads;
    for (std::size_t i = 0; i < all->size(); ++i) {
      if (i > 0) {
        EXPECT_GT((*all)[i].seq, (*all)[i - 1].seq);
      }
      payloads.insert((*all)[i].payload);
    }
    EXPECT_EQ(payloads.size(), all->size());
    // Each thread's events appear in the order it wrote them.
    std::vector<int> next(kThreads, 0);
    for (const auto& e : *all) {
      const int t = std::stoi(e.payload.substr(0, e.payload.find(':')));
      const int i = std::stoi(e.payload.substr(e.payload.find(':') + 1));
      EXPECT_EQ(i, next[static_cast<std::size_t>(t)]++);
    }
    return Status::Ok();
  }));
}

TEST_P(RuntimeTest, SubscriptionProgress) {
  KAI_ASSERT_OK(db_->write([](Tx& tx) -> Status {
    auto none = subscriptions::last_applied(tx, "membership");
    if (!none.ok()) return none.status();
    EXPECT_EQ(*none, 0);
    KAI_RETURN_IF_ERROR(subscriptions::set_last_applied(tx, "membership", 10));
    KAI_RETURN_IF_ERROR(subscriptions::set_last_applied(tx, "clubs", 3));
    return subscriptions::set_last_applied(tx, "membership", 12);
  }));
  KAI_ASSERT_OK(db_->read([](Tx& tx) -> Status {
    auto m = subscriptions::last_applied(tx, "membership");
    auto c = subscriptions::last_applied(tx, "clubs");
    if (!m.ok()) return m.status();
    if (!c.ok()) return c.status();
    EXPECT_EQ(*m, 12);
    EXPECT_EQ(*c, 3);
    return Status::Ok();
  }));
  // Progress written with a failing unit does not stick.
  (void)db_->write([](Tx& tx) -> Status {
    KAI_RETURN_IF_ERROR(subscriptions::set_last_applied(tx, "membership", 99));
    return aborted("apply failed");
  });
  KAI_ASSERT_OK(db_->read([](Tx& tx) -> Status {
    auto m = subscriptions::last_applied(tx, "membership");
    if (!m.ok()) return m.status();
    EXPECT_EQ(*m, 12);
    return Status::Ok();
  }));
  EXPECT_EQ(db_->write([](Tx& tx) { return subscriptions::set_last_applied(tx, "", 1); }).code(),
            StatusCode::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Backends, RuntimeTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name);

}  // namespace
}  // namespace kai::store::testing
