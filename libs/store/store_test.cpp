// Behavioural tests of Database and Tx, run against SQLite and PostgreSQL alike.
#include <cstdio>
#include <future>
#include <limits>
#include <thread>
#include <vector>

#include "store/store_test_util.hpp"

using namespace std::chrono_literals;

namespace kai::store::testing {
namespace {

constexpr Migration kItems[] = {
    {.version = 1,
     .name = "items",
     .sql = "CREATE TABLE item (id BIGINT PRIMARY KEY, name TEXT NOT NULL, score DOUBLE PRECISION,"
            " data BLOB, qty BIGINT)",
     .postgres = "CREATE TABLE item (id BIGINT PRIMARY KEY, name TEXT NOT NULL,"
                 " score DOUBLE PRECISION, data BYTEA, qty BIGINT)"},
};

class DatabaseTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    db_ = open();
    ASSERT_NE(db_, nullptr);
    KAI_ASSERT_OK(db_->migrate("test", kItems));
  }

  Status insert(std::int64_t id, std::string name) {
    return db_->write([&](Tx& tx) {
      return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {id, name});
    });
  }

  std::int64_t count() {
    std::int64_t n = -1;
    const Status s = db_->read([&](Tx& tx) {
      auto row = tx.query_one("SELECT COUNT(*) AS n FROM item");
      if (!row.ok()) return row.status();
      n = (*row)->int64("n");
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return n;
  }

  bool exists(std::int64_t id) {
    bool found = false;
    const Status s = db_->read([&](Tx& tx) {
      auto row = tx.query_one("SELECT id FROM item WHERE id = ?", {id});
      if (!row.ok()) return row.status();
      found = row->has_value();
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return found;
  }

  std::unique_ptr<Database> db_;
};

TEST_P(DatabaseTest, DialectMatchesBackend) {
  EXPECT_EQ(db_->dialect(), is_pg() ? Dialect::postgres : Dialect::sqlite);
}

TEST_P(DatabaseTest, DurableSettingsOnTheWriter) {
  KAI_ASSERT_OK(db_->write([&](Tx& tx) -> Status {
    if (tx.dialect() == Dialect::sqlite) {
      auto mode = tx.query_one("PRAGMA journal_mode");
      if (!mode.ok()) return mode.status();
      EXPECT_EQ((*mode)->text(std::size_t{0}), "wal");
      auto sync = tx.query_one("PRAGMA synchronous");
      if (!sync.ok()) return sync.status();
      EXPECT_EQ((*sync)->int64(std::size_t{0}), 2);  // FULL
    } else {
      auto sync = tx.query_one(
          "SELECT current_setting('synchronous_commit') AS s,"
          " current_setting('fsync') AS f");
      if (!sync.ok()) return sync.status();
      EXPECT_EQ((*sync)->text("s"), "on");
      EXPECT_EQ((*sync)->text("f"), "on");
    }
    return Status::Ok();
  }));
}

TEST_P(DatabaseTest, ValuesRoundTrip) {
  const std::string bytes("\x00\x01\xfe\xff kai", 8);
  const std::string unicode = "凯联盟 — Kaixuan";
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  const std::int64_t small = std::numeric_limits<std::int64_t>::min();
  KAI_ASSERT_OK(db_->write([&](Tx& tx) -> Status {
    KAI_RETURN_IF_ERROR(
        tx.exec("INSERT INTO item(id, name, score, data, qty) VALUES (?, ?, ?, ?, ?)",
                {1, unicode, 2.25, Blob{bytes}, big}));
    KAI_RETURN_IF_ERROR(
        tx.exec("INSERT INTO item(id, name, score, data, qty) VALUES (?, ?, ?, ?, ?)",
                {2, "", nullptr, Blob{""}, small}));
    return tx.exec("INSERT INTO item(id, name, qty) VALUES (?, ?, ?)",
                   {3, "opt", std::optional<std::int64_t>()});
  }));
  KAI_ASSERT_OK(db_->read([&](Tx& tx) -> Status {
    auto rows = tx.query("SELECT id, name, score, data, qty FROM item ORDER BY id");
    if (!rows.ok()) return rows.status();
    EXPECT_EQ(rows->size(), 3u);
    if (rows->size() != 3) return Status::Ok();
    const Row& a = (*rows)[0];
    EXPECT_EQ(a.columns(), (ColumnNames{"id", "name", "score", "data", "qty"}));
    EXPECT_EQ(a.at("id").kind(), ValueKind::int64);
    EXPECT_EQ(a.int64("id"), 1);
    EXPECT_EQ(a.at("name").kind(), ValueKind::text);
    EXPECT_EQ(a.text("name"), unicode);
    EXPECT_EQ(a.at("score").kind(), ValueKind::float64);
    EXPECT_DOUBLE_EQ(a.float64("score"), 2.25);
    EXPECT_EQ(a.at("data").kind(), ValueKind::blob);
    EXPECT_EQ(a.blob("data"), bytes);
    EXPECT_EQ(a.int64("qty"), big);
    const Row& b = (*rows)[1];
    EXPECT_EQ(b.text(1), "");
    EXPECT_TRUE(b.is_null("score"));
    EXPECT_EQ(b.at("data").kind(), ValueKind::blob);
    EXPECT_EQ(b.blob("data"), "");
    EXPECT_EQ(b.int64("qty"), small);
    const Row& c = (*rows)[2];
    EXPECT_TRUE(c.is_null("qty"));
    EXPECT_EQ(c.opt_int64("qty"), std::nullopt);
    return Status::Ok();
  }));
}

TEST_P(DatabaseTest, ExpressionsDecodeToPortableKinds) {
  KAI_ASSERT_OK(insert(1, "a"));
  KAI_ASSERT_OK(insert(2, "b"));
  KAI_ASSERT_OK(db_->write([&](Tx& tx) { return tx.exec("UPDATE item SET qty = id * 10"); }));
  KAI_ASSERT_OK(db_->read([&](Tx& tx) -> Status {
    // SUM over BIGINT is numeric on PostgreSQL; it must still read as an integer.
    auto row = tx.query_one(
        "SELECT SUM(qty) AS total, COUNT(*) AS n, MAX(name) AS last, 1 = 1 AS yes FROM item");
    if (!row.ok()) return row.status();
    EXPECT_EQ((*row)->at("total").kind(), ValueKind::int64);
    EXPECT_EQ((*row)->int64("total"), 30);
    EXPECT_EQ((*row)->int64("n"), 2);
    EXPECT_EQ((*row)->text("last"), "b");
    EXPECT_EQ((*row)->int64("yes"), 1);
    return Status::Ok();
  }));
}

TEST_P(DatabaseTest, QueryOneAndChanges) {
  for (int i = 1; i <= 3; ++i)
    KAI_ASSERT_OK(insert(i, "n" + std::to_string(i)));
  KAI_ASSERT_OK(db_->write([&](Tx& tx) -> Status {
    KAI_RETURN_IF_ERROR(tx.exec("UPDATE item SET qty = ? WHERE id >= ?", {5, 2}));
    EXPECT_EQ(tx.changes(), 2);
    KAI_RETURN_IF_ERROR(tx.exec("DELETE FROM item WHERE id = ?", {42}));
    EXPECT_EQ(tx.changes(), 0);
    auto none = tx.query_one("SELECT id FROM item WHERE id = ?", {42});
    if (!none.ok()) return none.status();
    EXPECT_FALSE(none->has_value());
    auto first = tx.query_one("SELECT id FROM item ORDER BY id DESC");
    if (!first.ok()) return first.status();
    EXPECT_EQ((*first)->int64(0), 3);
    auto returned = tx.query_one("INSERT INTO item(id, name) VALUES (?, ?) RETURNING id", {9, "r"});
    if (!returned.ok()) return returned.status();
    EXPECT_EQ((*returned)->int64("id"), 9);
    return Status::Ok();
  }));
  EXPECT_EQ(count(), 4);
}

TEST_P(DatabaseTest, QueryEachVisitsRowsInOrderRefillingOneRow) {
  // Values of changing lengths and kinds in the same columns: a refilled row must never show a
  // previous row's bytes.
  KAI_ASSERT_OK(db_->write([&](Tx& tx) -> Status {
    KAI_RETURN_IF_ERROR(tx.exec("INSERT INTO item(id, name, data, qty) VALUES (?, ?, ?, ?)",
                                {1, "凯旋街道党建联盟成员单位", Blob{std::string(300, 'x')}, 7}));
    KAI_RETURN_IF_ERROR(
        tx.exec("INSERT INTO item(id, name, data) VALUES (?, ?, ?)", {2, "短", Blob{"\x01"}}));
    return tx.exec("INSERT INTO item(id, name, qty) VALUES (?, ?, ?)", {3, "", 9});
  }));
  std::vector<std::vector<Value>> seen;
  KAI_ASSERT_OK(db_->read([&](Tx& tx) {
    return tx.query_each("SELECT id, name, data, qty FROM item WHERE id >= ? ORDER BY id",
                         std::vector<Value>{Value(1)}, [&](const Row& row) {
                           EXPECT_EQ(row.columns(), (ColumnNames{"id", "name", "data", "qty"}));
                           seen.push_back(row.values());
                           return Status::Ok();
                         });
  }));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0],
            (std::vector<Value>{1, "凯旋街道党建联盟成员单位", Blob{std::string(300, 'x')}, 7}));
  EXPECT_EQ(seen[1], (std::vector<Value>{2, "短", Blob{"\x01"}, Value()}));
  EXPECT_EQ(seen[2], (std::vector<Value>{3, "", Value(), 9}));
}

TEST_P(DatabaseTest, QueryEachStopsAtTheVisitorsErrorAndReturnsItAsItIs) {
  for (int i = 1; i <= 5; ++i)
    KAI_ASSERT_OK(insert(i, "n" + std::to_string(i)));
  int visited = 0;
  const Status s = db_->read([&](Tx& tx) -> Status {
    const Status stopped =
        tx.query_each("SELECT id FROM item ORDER BY id", {}, [&](const Row& row) {
          ++visited;
          return row.int64("id") == 2 ? internal_error("stored row 2 is bad") : Status::Ok();
        });
    EXPECT_EQ(stopped, internal_error("stored row 2 is bad"));
    // The visitor's error is not a statement error: the unit goes on.
    EXPECT_TRUE(tx.first_error().ok());
    auto n = tx.query_one("SELECT COUNT(*) AS n FROM item");
    if (!n.ok()) return n.status();
    EXPECT_EQ((*n)->int64("n"), 5);
    // A statement error is one, as for query().
    const Status bad =
        tx.query_each("SELECT nope FROM item", {}, [](const Row&) { return Status::Ok(); });
    EXPECT_EQ(bad.code(), StatusCode::internal);
    EXPECT_FALSE(tx.first_error().ok());
    return Status::Ok();
  });
  EXPECT_EQ(visited, 2);
  EXPECT_EQ(s.code(), StatusCode::internal);  // the failed statement fails the unit
}

TEST_P(DatabaseTest, LastInsertId) {
  KAI_ASSERT_OK(db_->migrate(
      "seq", std::vector<Migration>{{.version = 1,
                                     .name = "auto ids",
                                     .sql = "",
                                     .sqlite = "CREATE TABLE auto (id INTEGER PRIMARY KEY "
                                               "AUTOINCREMENT, v TEXT)",
                                     .postgres = "CREATE TABLE auto (id BIGSERIAL PRIMARY KEY, "
                                                 "v TEXT)"}}));
  std::int64_t first = 0;
  std::int64_t second = 0;
  KAI_ASSERT_OK(db_->write([&](Tx& tx) -> Status {
    KAI_RETURN_IF_ERROR(tx.exec("INSERT INTO auto(v) VALUES (?)", {"a"}));
    auto id = tx.last_insert_id();
    if (!id.ok()) return id.status();
    first = *id;
    KAI_RETURN_IF_ERROR(tx.exec("INSERT INTO auto(v) VALUES (?)", {"b"}));
    id = tx.last_insert_id();
    if (!id.ok()) return id.status();
    second = *id;
    return Status::Ok();
  }));
  EXPECT_GT(first, 0);
  EXPECT_EQ(second, first + 1);
}

TEST_P(DatabaseTest, ErrorCodes) {
  KAI_ASSERT_OK(insert(1, "a"));
  auto code_of = [&](const char* sql, std::vector<Value> params) {
    return db_->write([&](Tx& tx) { return tx.exec(sql, params); }).code();
  };
  EXPECT_EQ(code_of("INSERT INTO item(id, name) VALUES (?, ?)", {1, "dup"}),
            StatusCode::already_exists);
  EXPECT_EQ(code_of("INSERT INTO item(id, name) VALUES (?, ?)", {2, nullptr}),
            StatusCode::failed_precondition);
  EXPECT_EQ(code_of("INSRT INTO item VALUES (?)", {1}), StatusCode::internal);
  EXPECT_EQ(code_of("SELECT * FROM no_such_table", {}), StatusCode::internal);
  EXPECT_EQ(code_of("INSERT INTO item(id, name) VALUES (?, ?)", {3}), StatusCode::internal);
  EXPECT_EQ(code_of("INSERT INTO item(id, name) VALUES (?, ?)", {3, "a", "b"}),
            StatusCode::internal);
  EXPECT_EQ(code_of("INSERT INTO item(id, name) VALUES (?, ?)", {3, std::string("bad\xff", 4)}),
            StatusCode::invalid_argument);
  EXPECT_EQ(code_of("INSERT INTO item(id, name) VALUES (?, ?)", {3, std::string("nul\0x", 5)}),
            StatusCode::invalid_argument);
  EXPECT_EQ(code_of("DELETE FROM item; DELETE FROM item", {}), StatusCode::internal);
  EXPECT_EQ(code_of("", {}), StatusCode::internal);
  // Nothing of the above got in, and the database still works.
  EXPECT_EQ(count(), 1);
  KAI_EXPECT_OK(insert(3, "c"));
}

TEST_P(DatabaseTest, WritingInsideReadIsRefused) {
  const Status s = db_->read([&](Tx& tx) {
    return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {1, "x"});
  });
  EXPECT_EQ(s.code(), StatusCode::failed_precondition) << s.to_string();
  EXPECT_EQ(count(), 0);
}

TEST_P(DatabaseTest, IgnoredStatementErrorStillFailsTheUnit) {
  KAI_ASSERT_OK(insert(1, "a"));
  const Status s = db_->write([&](Tx& tx) {
    (void)tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {2, "kept?"});
    (void)tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {1, "dup"});  // ignored error
    return Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::already_exists) << s.to_string();
  EXPECT_FALSE(exists(2));
  // The function's own error wins over the statement's.
  const Status own = db_->write([&](Tx& tx) {
    (void)tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {1, "dup"});
    return aborted("mine");
  });
  EXPECT_EQ(own, aborted("mine"));
}

TEST_P(DatabaseTest, ThrowingFunctionIsAnInternalErrorNotACrash) {
  const Status s = db_->write([&](Tx& tx) -> Status {
    (void)tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {1, "a"});
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(s.code(), StatusCode::internal);
  EXPECT_FALSE(exists(1));
  const Status r = db_->read([](Tx&) -> Status { throw 42; });
  EXPECT_EQ(r.code(), StatusCode::internal);
  KAI_EXPECT_OK(insert(2, "b"));
}

// Holds the writer thread inside a write function until released, so that writes queued
// meanwhile are known to form the next batch.
class WriterGate {
 public:
  explicit WriterGate(Database& db) {
    db.write_async(
        [this](Tx&) {
          started_.set_value();
          release_future_.wait();
          return Status::Ok();
        },
        [this](Status s) { done_.set_value(std::move(s)); });
    started_.get_future().wait();
  }
  Status open() {
    release_.set_value();
    return done_future_.get();
  }

 private:
  std::promise<void> started_;
  std::promise<void> release_;
  std::shared_future<void> release_future_ = release_.get_future().share();
  std::promise<Status> done_;
  std::future<Status> done_future_ = done_.get_future();
};

TEST_P(DatabaseTest, FailedUnitRollsBackOnlyItsSavepoint) {
  const auto before = read_histogram("kai_db_write_batch_size", service_);
  WriterGate gate(*db_);
  std::vector<std::future<Status>> results;
  auto enqueue = [&](Database::WriteFn fn) {
    auto p = std::make_shared<std::promise<Status>>();
    results.push_back(p->get_future());
    db_->write_async(std::move(fn), [p](Status s) { p->set_value(std::move(s)); });
  };
  enqueue([](Tx& tx) { return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {1, "a"}); });
  enqueue([](Tx& tx) -> Status {
    KAI_RETURN_IF_ERROR(tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {2, "b"}));
    KAI_RETURN_IF_ERROR(tx.exec("UPDATE item SET qty = 99 WHERE id = ?", {1}));
    return failed_precondition("domain rule says no");
  });
  enqueue([](Tx& tx) {  // a statement error, not a returned one
    return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {1, "dup"});
  });
  enqueue([](Tx& tx) { return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {3, "c"}); });
  KAI_ASSERT_OK(gate.open());
  KAI_EXPECT_OK(results[0].get());
  EXPECT_EQ(results[1].get(), failed_precondition("domain rule says no"));
  EXPECT_EQ(results[2].get().code(), StatusCode::already_exists);
  KAI_EXPECT_OK(results[3].get());
  EXPECT_TRUE(exists(1));
  EXPECT_FALSE(exists(2));
  EXPECT_TRUE(exists(3));
  KAI_ASSERT_OK(db_->read([&](Tx& tx) -> Status {
    auto row = tx.query_one("SELECT qty FROM item WHERE id = ?", {1});
    if (!row.ok()) return row.status();
    EXPECT_TRUE((*row)->is_null("qty"));  // the failed unit's UPDATE is gone too
    return Status::Ok();
  }));
  // Exactly two batches: the gate alone, then the four units together.
  const auto after = read_histogram("kai_db_write_batch_size", service_);
  EXPECT_EQ(after.count - before.count, 2u);
  EXPECT_DOUBLE_EQ(after.sum - before.sum, 5.0);
}

TEST_P(DatabaseTest, AUnitThatEndsTheTransactionFailsItsWholeBatch) {
  WriterGate gate(*db_);
  std::vector<std::future<Status>> results;
  auto enqueue = [&](Database::WriteFn fn) {
    auto p = std::make_shared<std::promise<Status>>();
    results.push_back(p->get_future());
    db_->write_async(std::move(fn), [p](Status s) { p->set_value(std::move(s)); });
  };
  enqueue([](Tx& tx) { return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {1, "a"}); });
  enqueue([](Tx& tx) { return tx.exec("ROLLBACK"); });  // forbidden: transaction control
  enqueue([](Tx& tx) { return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {3, "c"}); });
  KAI_ASSERT_OK(gate.open());
  // Nobody may be told "ok" for work that did not commit.
  for (auto& r : results)
    EXPECT_EQ(r.get().code(), StatusCode::unavailable);
  EXPECT_FALSE(exists(1));
  EXPECT_FALSE(exists(3));
  KAI_EXPECT_OK(insert(4, "d"));  // the writer recovers
  EXPECT_TRUE(exists(4));
}

TEST_P(DatabaseTest, ConcurrentWritersAreGroupCommitted) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 150;
  const auto before = read_histogram("kai_db_write_batch_size", service_);
  // First round: every thread's first write is queued behind the gate, so they share a batch.
  auto gate = std::make_unique<WriterGate>(*db_);
  std::atomic<int> queued{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  std::vector<std::promise<Status>> first(kThreads);
  std::vector<std::future<Status>> first_done;
  for (auto& p : first)
    first_done.push_back(p.get_future());
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::int64_t base = static_cast<std::int64_t>(t) * 1000000;
      db_->write_async(
          [base](Tx& tx) {
            return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {base, "first"});
          },
          [&first, t](Status s) { first[static_cast<std::size_t>(t)].set_value(std::move(s)); });
      queued.fetch_add(1);
      if (!first_done[static_cast<std::size_t>(t)].get().ok()) failures.fetch_add(1);
      for (int i = 1; i < kPerThread; ++i) {
        const Status s = db_->write([&](Tx& tx) {
          return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {base + i, "n"});
        });
        if (!s.ok()) failures.fetch_add(1);
      }
    });
  }
  ASSERT_TRUE(kai::testing::wait_until([&] { return queued.load() == kThreads; }, 30s));
  KAI_ASSERT_OK(gate->open());
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(count(), kThreads * kPerThread);
  const auto after = read_histogram("kai_db_write_batch_size", service_);
  const auto batches = after.count - before.count;
  const double units = after.sum - before.sum;
  EXPECT_DOUBLE_EQ(units, kThreads * kPerThread + 1);
  // The gated round guarantees one batch of all kThreads first writes.
  EXPECT_GE(after.above(8) - before.above(8), 1u);
  EXPECT_LT(batches, static_cast<std::uint64_t>(units));
  std::printf("[ info ] %d writes from %d threads in %llu batches (mean %.1f per batch)\n",
              kThreads * kPerThread, kThreads, static_cast<unsigned long long>(batches),
              units / static_cast<double>(batches));
}

TEST_P(DatabaseTest, WriteFromTheWriterThreadIsRefused) {
  Status inner;
  KAI_ASSERT_OK(db_->write([&](Tx&) {
    inner = db_->write([](Tx&) { return Status::Ok(); });
    return Status::Ok();
  }));
  EXPECT_EQ(inner.code(), StatusCode::failed_precondition);
  // write_async from there is fine: it lands in a later batch.
  std::promise<Status> later;
  KAI_ASSERT_OK(db_->write([&](Tx&) {
    db_->write_async(
        [](Tx& tx) {
          return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {5, "later"});
        },
        [&](Status s) { later.set_value(std::move(s)); });
    return Status::Ok();
  }));
  KAI_EXPECT_OK(later.get_future().get());
  EXPECT_TRUE(exists(5));
}

TEST_P(DatabaseTest, NestedReadIsRefused) {
  Status inner;
  KAI_ASSERT_OK(db_->read([&](Tx&) {
    inner = db_->read([](Tx&) { return Status::Ok(); });
    return Status::Ok();
  }));
  EXPECT_EQ(inner.code(), StatusCode::failed_precondition);
}

TEST_P(DatabaseTest, ReadersSeeASnapshotAndAreNotBlockedByTheWriter) {
  KAI_ASSERT_OK(insert(1, "a"));
  // The writer sits inside an open write transaction that already inserted a row...
  std::promise<void> inserted;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<Status> done;
  db_->write_async(
      [&](Tx& tx) {
        Status s = tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {2, "pending"});
        inserted.set_value();
        released.wait();
        return s;
      },
      [&](Status s) { done.set_value(std::move(s)); });
  inserted.get_future().wait();
  // ...and a reader neither waits for it nor sees the uncommitted row.
  EXPECT_EQ(count(), 1);
  release.set_value();
  KAI_ASSERT_OK(done.get_future().get());
  EXPECT_EQ(count(), 2);

  // A read function keeps its snapshot while a write commits in between.
  std::int64_t first = -1;
  std::int64_t second = -1;
  KAI_ASSERT_OK(db_->read([&](Tx& tx) -> Status {
    auto a = tx.query_one("SELECT COUNT(*) FROM item");
    if (!a.ok()) return a.status();
    first = (*a)->int64(0);
    KAI_RETURN_IF_ERROR(insert(3, "c"));  // committed by the writer thread
    auto b = tx.query_one("SELECT COUNT(*) FROM item");
    if (!b.ok()) return b.status();
    second = (*b)->int64(0);
    return Status::Ok();
  }));
  EXPECT_EQ(first, 2);
  EXPECT_EQ(second, 2);
  EXPECT_EQ(count(), 3);
}

TEST_P(DatabaseTest, ManyConcurrentReaders) {
  for (int i = 0; i < 20; ++i)
    KAI_ASSERT_OK(insert(i, "n"));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const std::int64_t id = (t + i) % 20;
        std::int64_t got = -1;
        const Status s = db_->read([&](Tx& tx) -> Status {
          auto row = tx.query_one("SELECT id FROM item WHERE id = ?", {id});
          if (!row.ok()) return row.status();
          if (*row) got = (*row)->int64(0);
          return Status::Ok();
        });
        if (!s.ok() || got != id) wrong.fetch_add(1);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_P(DatabaseTest, DataSurvivesReopen) {
  KAI_ASSERT_OK(insert(7, "persisted"));
  db_.reset();
  db_ = open();
  ASSERT_NE(db_, nullptr);
  KAI_ASSERT_OK(db_->migrate("test", kItems));  // already applied: a no-op
  EXPECT_TRUE(exists(7));
}

TEST_P(DatabaseTest, ClosingFinishesQueuedWrites) {
  std::vector<std::future<Status>> results;
  for (int i = 0; i < 50; ++i) {
    auto p = std::make_shared<std::promise<Status>>();
    results.push_back(p->get_future());
    db_->write_async(
        [i](Tx& tx) {
          return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {i, "q"});
        },
        [p](Status s) { p->set_value(std::move(s)); });
  }
  db_.reset();
  for (auto& r : results)
    KAI_EXPECT_OK(r.get());
  db_ = open();
  ASSERT_NE(db_, nullptr);
  EXPECT_EQ(count(), 50);
}

TEST_P(DatabaseTest, QueueBoundRefusesWithResourceExhausted) {
  StoreOptions o = options();
  o.max_queued_writes = 2;
  auto db = open(o);
  ASSERT_NE(db, nullptr);
  WriterGate gate(*db);
  std::vector<std::future<Status>> results;
  for (int i = 0; i < 3; ++i) {
    auto p = std::make_shared<std::promise<Status>>();
    results.push_back(p->get_future());
    db->write_async([](Tx&) { return Status::Ok(); },
                    [p](Status s) { p->set_value(std::move(s)); });
  }
  // The third was refused at once, before the gate opened.
  EXPECT_EQ(results[2].get().code(), StatusCode::resource_exhausted);
  KAI_ASSERT_OK(gate.open());
  KAI_EXPECT_OK(results[0].get());
  KAI_EXPECT_OK(results[1].get());
}

TEST_P(DatabaseTest, HealthAndMetrics) {
  const HealthReport h = db_->health();
  EXPECT_TRUE(h.healthy) << h.detail;
  EXPECT_TRUE(db_->healthy());
  KAI_ASSERT_OK(insert(1, "a"));
  (void)insert(1, "dup");
  const std::string text = ops::render_metrics();
  const std::string label = "service=\"" + service_ + "\"";
  for (const char* name : {"kai_db_write_batches_total{", "kai_db_write_batch_size_bucket{",
                           "kai_db_commit_seconds_bucket{", "kai_db_errors_total{"}) {
    bool found = false;
    std::size_t pos = 0;
    while ((pos = text.find(name, pos)) != std::string::npos) {
      const std::size_t eol = text.find('\n', pos);
      if (text.substr(pos, eol - pos).find(label) != std::string::npos) found = true;
      pos = eol;
    }
    EXPECT_TRUE(found) << name << " with " << label;
  }
  EXPECT_NE(text.find("kai_db_errors_total{kind=\"already_exists\"," + label), std::string::npos)
      << text;
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name);

// Options are checked before anything is opened.
TEST(DatabaseOpenTest, RejectsBadOptions) {
  kai::testing::TempDir dir;
  auto code = [&](StoreOptions o) {
    auto db = Database::open(o);
    return db.ok() ? StatusCode::ok : db.status().code();
  };
  StoreOptions good{.data_dir = dir.path(), .service = "svc"};
  EXPECT_EQ(code(good), StatusCode::ok);
  StoreOptions o = good;
  o.service = "";
  EXPECT_EQ(code(o), StatusCode::invalid_argument);
  o.service = "../escape";
  EXPECT_EQ(code(o), StatusCode::invalid_argument);
  o = good;
  o.read_pool_size = 0;
  EXPECT_EQ(code(o), StatusCode::invalid_argument);
  o = good;
  o.max_batch = 0;
  EXPECT_EQ(code(o), StatusCode::invalid_argument);
  o = good;
  o.db_url = "mysql://x";
  EXPECT_EQ(code(o), StatusCode::invalid_argument);
  o = good;
  o.data_dir = "";
  EXPECT_EQ(code(o), StatusCode::invalid_argument);
  o = good;
  o.data_dir = "/proc/kai-cannot-create";
  EXPECT_EQ(code(o), StatusCode::unavailable);
  o = good;
  o.db_url = "postgresql://127.0.0.1:" + std::to_string(kai::testing::free_port()) + "/nothing";
  o.connect_timeout_s = 2;
  EXPECT_EQ(code(o), StatusCode::unavailable);
}

TEST(DatabaseOpenTest, NotADatabaseFileIsAnErrorNotACrash) {
  kai::testing::TempDir dir;
  {
    std::FILE* f = std::fopen(dir.file("svc.db").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string junk(4096, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto db = Database::open({.data_dir = dir.path(), .service = "svc"});
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().code(), StatusCode::ok);
}

// The same Database object keeps working across a PostgreSQL crash and restart.
TEST(PostgresTest, ReconnectsAfterServerRestart) {
  PgServer* server = shared_pg_server();
  ASSERT_NE(server, nullptr);
  auto url = server->create_database();
  ASSERT_TRUE(url.ok()) << url.status().to_string();
  auto opened =
      Database::open({.service = unique_service("pg"), .db_url = *url, .read_pool_size = 2});
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  auto& db = **opened;
  KAI_ASSERT_OK(db.migrate("test", kItems));
  KAI_ASSERT_OK(db.write([](Tx& tx) {
    return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {1, "before"});
  }));
  server->crash();
  EXPECT_FALSE(db.healthy());
  const Status down = db.write([](Tx& tx) {
    return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {2, "while down"});
  });
  EXPECT_EQ(down.code(), StatusCode::unavailable) << down.to_string();
  KAI_ASSERT_OK(server->restart());
  KAI_ASSERT_OK(db.write([](Tx& tx) {
    return tx.exec("INSERT INTO item(id, name) VALUES (?, ?)", {3, "after"});
  }));
  std::int64_t n = 0;
  KAI_ASSERT_OK(db.read([&](Tx& tx) -> Status {
    auto row = tx.query_one("SELECT COUNT(*) FROM item");
    if (!row.ok()) return row.status();
    n = (*row)->int64(0);
    return Status::Ok();
  }));
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(db.healthy()) << db.health().detail;
}

}  // namespace
}  // namespace kai::store::testing
