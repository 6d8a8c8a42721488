// Versioned migrations on both backends.
#include <thread>
#include <vector>

#include "store/runtime.hpp"
#include "store/store_test_util.hpp"

namespace kai::store::testing {
namespace {

const std::vector<Migration> kV1 = {
    {.version = 1,
     .name = "members",
     .sql = "CREATE TABLE member (id BIGINT PRIMARY KEY, name TEXT)"},
};
const std::vector<Migration> kV2 = {
    kV1[0],
    {.version = 2,
     .name = "member phone",
     .sql = "ALTER TABLE member ADD COLUMN phone TEXT;"
            "CREATE INDEX member_phone ON member(phone)"},
};

class MigrateTest : public StoreTest {
 protected:
  struct Applied {
    std::int64_t version;
    std::string name;
    std::int64_t applied_at;
  };
  std::vector<Applied> applied(Database& db, std::string_view component) {
    std::vector<Applied> out;
    const Status s = db.read([&](Tx& tx) -> Status {
      auto rows = tx.query(
          "SELECT version, name, applied_at FROM kai_migrations WHERE component = ? ORDER BY "
          "version",
          {component});
      if (!rows.ok()) return rows.status();
      for (const Row& r : *rows)
        out.push_back({r.int64(0), r.text(1), r.int64(2)});
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return out;
  }
  bool table_works(Database& db, const char* sql) {
    return db.read([&](Tx& tx) { return tx.query(sql).status(); }).ok();
  }
};

TEST_P(MigrateTest, OpenAppliesTheRuntimeComponent) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  const auto rt = applied(*db, kRuntimeComponent);
  ASSERT_EQ(rt.size(), runtime_migrations().size());
  EXPECT_EQ(rt[0].name, runtime_migrations()[0].name);
  EXPECT_TRUE(table_works(*db, "SELECT key, op, reply, created_at FROM kai_idempotency"));
  EXPECT_TRUE(table_works(*db, "SELECT seq, topic, payload, created_at FROM kai_outbox"));
  EXPECT_TRUE(table_works(*db, "SELECT publisher, last_seq FROM kai_subscriptions"));
}

TEST_P(MigrateTest, FreshThenUpgradeThenNoOp) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  KAI_ASSERT_OK(db->migrate("members", kV1));
  EXPECT_TRUE(table_works(*db, "SELECT id, name FROM member"));
  EXPECT_FALSE(table_works(*db, "SELECT phone FROM member"));
  KAI_ASSERT_OK(db->migrate("members", kV2));
  EXPECT_TRUE(table_works(*db, "SELECT id, name, phone FROM member"));
  const auto first = applied(*db, "members");
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].version, 1);
  EXPECT_EQ(first[1].name, "member phone");
  EXPECT_GT(first[1].applied_at, 0);
  // Re-running, in this process or after a restart, changes nothing.
  KAI_ASSERT_OK(db->migrate("members", kV2));
  db.reset();
  db = open();
  ASSERT_NE(db, nullptr);
  KAI_ASSERT_OK(db->migrate("members", kV2));
  const auto again = applied(*db, "members");
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].applied_at, first[0].applied_at);
  EXPECT_EQ(again[1].applied_at, first[1].applied_at);
}

TEST_P(MigrateTest, StatementsPreparedBeforeAMigrationSeeTheNewSchema) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  KAI_ASSERT_OK(db->migrate("members", kV1));
  KAI_ASSERT_OK(db->write([](Tx& tx) {
    return tx.exec("INSERT INTO member(id, name) VALUES (?, ?)", {1, "a"});
  }));
  auto columns = [&] {
    std::size_t n = 0;
    const Status s = db->read([&](Tx& tx) -> Status {
      auto row = tx.query_one("SELECT * FROM member");
      if (!row.ok()) return row.status();
      n = (*row)->size();
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return n;
  };
  EXPECT_EQ(columns(), 2u);
  KAI_ASSERT_OK(db->migrate("members", kV2));
  EXPECT_EQ(columns(), 3u);
}

TEST_P(MigrateTest, RefusesADatabaseNewerThanTheCode) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  KAI_ASSERT_OK(db->migrate("members", kV2));
  const Status s = db->migrate("members", kV1);
  EXPECT_EQ(s.code(), StatusCode::failed_precondition) << s.to_string();
  EXPECT_NE(s.message().find("newer"), std::string::npos) << s.message();
}

TEST_P(MigrateTest, RefusesAnEditedHistory) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  KAI_ASSERT_OK(db->migrate("members", kV2));
  std::vector<Migration> edited = kV2;
  edited[0].name = "members (renamed)";
  const Status s = db->migrate("members", edited);
  EXPECT_EQ(s.code(), StatusCode::failed_precondition) << s.to_string();
  EXPECT_NE(s.message().find("edited"), std::string::npos) << s.message();
  std::vector<Migration> edited_last = kV2;
  edited_last[1].name = "phone";
  EXPECT_EQ(db->migrate("members", edited_last).code(), StatusCode::failed_precondition);
  // A build that dropped a released migration from its list is refused too.
  const std::vector<Migration> dropped = {kV2[1]};
  EXPECT_EQ(db->migrate("members", dropped).code(), StatusCode::failed_precondition);
  const auto rows = applied(*db, "members");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].name, "members");
  EXPECT_EQ(rows[1].name, "member phone");
}

TEST_P(MigrateTest, RefusesAMissingVersionBelowAnAppliedOne) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> one_and_three = {
      kV1[0], {.version = 3, .name = "three", .sql = "CREATE TABLE three (x BIGINT)"}};
  KAI_ASSERT_OK(db->migrate("members", one_and_three));
  const std::vector<Migration> with_two = {
      kV1[0],
      {.version = 2, .name = "two", .sql = "CREATE TABLE two (x BIGINT)"},
      one_and_three[1]};
  EXPECT_EQ(db->migrate("members", with_two).code(), StatusCode::failed_precondition);
  EXPECT_FALSE(table_works(*db, "SELECT x FROM two"));
}

TEST_P(MigrateTest, RejectsMalformedLists) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> zero = {{.version = 0, .name = "zero", .sql = "SELECT 1"}};
  EXPECT_EQ(db->migrate("c", zero).code(), StatusCode::invalid_argument);
  const std::vector<Migration> unnamed = {{.version = 1, .name = "", .sql = "SELECT 1"}};
  EXPECT_EQ(db->migrate("c", unnamed).code(), StatusCode::invalid_argument);
  const std::vector<Migration> descending = {{.version = 2, .name = "b", .sql = "SELECT 1"},
                                             {.version = 1, .name = "a", .sql = "SELECT 1"}};
  EXPECT_EQ(db->migrate("c", descending).code(), StatusCode::invalid_argument);
  EXPECT_EQ(db->migrate("", kV1).code(), StatusCode::invalid_argument);
  KAI_EXPECT_OK(db->migrate("empty", std::span<const Migration>()));
}

TEST_P(MigrateTest, AFailingMigrationLeavesNothingBehind) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> broken = {
      kV1[0],
      {.version = 2,
       .name = "half",
       .sql = "CREATE TABLE half (x BIGINT); CREATE TABLE oops (x NOTATYPE NOT NULL DEFAULT)"}};
  const Status s = db->migrate("members", broken);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("half"), std::string::npos) << s.message();
  const auto rows = applied(*db, "members");
  ASSERT_EQ(rows.size(), 1u);  // version 1 went in its own transaction before
  EXPECT_FALSE(table_works(*db, "SELECT x FROM half"));
  // The writer is usable afterwards.
  KAI_EXPECT_OK(db->write([](Tx& tx) {
    return tx.exec("INSERT INTO member(id, name) VALUES (?, ?)", {1, "a"});
  }));
}

TEST_P(MigrateTest, DialectSpecificSql) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> m = {{.version = 1,
                                     .name = "typed",
                                     .sql = "THIS IS NOT SQL",
                                     .sqlite = "CREATE TABLE typed (id INTEGER PRIMARY KEY "
                                               "AUTOINCREMENT, dialect TEXT DEFAULT 'sqlite')",
                                     .postgres = "CREATE TABLE typed (id BIGSERIAL PRIMARY KEY,"
                                                 " dialect TEXT DEFAULT 'postgres')"}};
  KAI_ASSERT_OK(db->migrate("typed", m));
  std::string dialect;
  KAI_ASSERT_OK(db->write([&](Tx& tx) -> Status {
    auto row = tx.query_one("INSERT INTO typed DEFAULT VALUES RETURNING dialect");
    if (!row.ok()) return row.status();
    dialect = (*row)->text(0);
    return Status::Ok();
  }));
  EXPECT_EQ(dialect, is_pg() ? "postgres" : "sqlite");
}

TEST_P(MigrateTest, ComponentsAreIndependent) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  KAI_ASSERT_OK(db->migrate("members", kV1));
  const std::vector<Migration> other = {
      {.version = 1, .name = "other table", .sql = "CREATE TABLE other (x BIGINT)"}};
  KAI_ASSERT_OK(db->migrate("other", other));
  EXPECT_EQ(applied(*db, "members").size(), 1u);
  EXPECT_EQ(applied(*db, "other").size(), 1u);
}

TEST_P(MigrateTest, ConcurrentStartUpsApplyEachVersionOnce) {
  // Two processes' worth of Database objects on the same database, migrating at once.
  auto a = open();
  auto b = open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  Status sa;
  Status sb;
  std::thread ta([&] { sa = a->migrate("members", kV2); });
  std::thread tb([&] { sb = b->migrate("members", kV2); });
  ta.join();
  tb.join();
  KAI_EXPECT_OK(sa);
  KAI_EXPECT_OK(sb);
  EXPECT_EQ(applied(*a, "members").size(), 2u);
  EXPECT_TRUE(table_works(*b, "SELECT id, name, phone FROM member"));
}

INSTANTIATE_TEST_SUITE_P(Backends, MigrateTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name);

}  // namespace
}  // namespace kai::store::testing
