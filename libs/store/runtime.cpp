#include "store/runtime.hpp"

namespace kai::store {

namespace {

constexpr Migration kRuntimeMigrations[] = {
    {
        .version = 1,
        .name = "runtime tables: idempotency, outbox, subscriptions",
        .sql = "",
        .sqlite = "CREATE TABLE kai_idempotency ("
                  " key TEXT PRIMARY KEY,"
                  " op TEXT NOT NULL,"
                  " reply BLOB NOT NULL,"
                  " created_at INTEGER NOT NULL);"
                  "CREATE INDEX kai_idempotency_created_at ON kai_idempotency(created_at);"
                  "CREATE TABLE kai_outbox ("
                  " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                  " topic TEXT NOT NULL,"
                  " payload BLOB NOT NULL,"
                  " created_at INTEGER NOT NULL);"
                  "CREATE TABLE kai_subscriptions ("
                  " publisher TEXT PRIMARY KEY,"
                  " last_seq INTEGER NOT NULL);",
        .postgres = "CREATE TABLE kai_idempotency ("
                    " key TEXT PRIMARY KEY,"
                    " op TEXT NOT NULL,"
                    " reply BYTEA NOT NULL,"
                    " created_at BIGINT NOT NULL);"
                    "CREATE INDEX kai_idempotency_created_at ON kai_idempotency(created_at);"
                    "CREATE TABLE kai_outbox ("
                    " seq BIGSERIAL PRIMARY KEY,"
                    " topic TEXT NOT NULL,"
                    " payload BYTEA NOT NULL,"
                    " created_at BIGINT NOT NULL);"
                    "CREATE TABLE kai_subscriptions ("
                    " publisher TEXT PRIMARY KEY,"
                    " last_seq BIGINT NOT NULL);",
    },
};

// pg_advisory_xact_lock key serialising outbox appends ("kai-outb").
constexpr std::int64_t kOutboxLockKey = 0x6b61692d6f757462;

}  // namespace

std::span<const Migration> runtime_migrations() {
  return kRuntimeMigrations;
}

namespace idempotency {

Result<std::optional<StoredReply>> lookup(Tx& tx, std::string_view key) {
  auto row = tx.query_one("SELECT op, reply, created_at FROM kai_idempotency WHERE key = ?", {key});
  if (!row.ok()) return row.status();
  if (!row->has_value()) return std::optional<StoredReply>();
  const Row& r = **row;
  return std::optional<StoredReply>(
      StoredReply{r.text(std::size_t{0}), r.blob(std::size_t{1}), r.int64(std::size_t{2})});
}

Status record(Tx& tx, std::string_view key, std::string_view op, std::string_view reply) {
  if (key.empty()) return invalid_argument("idempotency key is empty", "key");
  return tx.exec("INSERT INTO kai_idempotency(key, op, reply, created_at) VALUES (?, ?, ?, ?)",
                 {key, op, Blob{std::string(reply)}, now_unix_ms()});
}

Result<std::int64_t> purge_older_than(Tx& tx, UnixMillis unix_ms) {
  KAI_RETURN_IF_ERROR(tx.exec("DELETE FROM kai_idempotency WHERE created_at < ?", {unix_ms}));
  return tx.changes();
}

}  // namespace idempotency

namespace outbox {

Result<std::int64_t> append(Tx& tx, std::string_view topic, std::string_view payload) {
  if (topic.empty()) return invalid_argument("outbox topic is empty", "topic");
  if (tx.dialect() == Dialect::postgres) {
    // Sequence values are taken at insert but become visible at commit; holding this lock to the
    // end of the transaction makes the two orders agree across replicas.
    auto locked = tx.query_one("SELECT pg_advisory_xact_lock(?)", {kOutboxLockKey});
    if (!locked.ok()) return locked.status();
  }
  auto row = tx.query_one(
      "INSERT INTO kai_outbox(topic, payload, created_at) VALUES (?, ?, ?) RETURNING seq",
      {topic, Blob{std::string(payload)}, now_unix_ms()});
  if (!row.ok()) return row.status();
  if (!row->has_value()) return internal_error("outbox insert returned no sequence number");
  return (*row)->int64(std::size_t{0});
}

Result<std::vector<Event>> read_since(Tx& tx, std::int64_t after_seq, int limit) {
  if (limit < 1 || limit > 10000) return invalid_argument("limit must be within 1..10000", "limit");
  auto rows = tx.query(
      "SELECT seq, topic, payload, created_at FROM kai_outbox WHERE seq > ? ORDER BY seq LIMIT ?",
      {after_seq, limit});
  if (!rows.ok()) return rows.status();
  std::vector<Event> events;
  events.reserve(rows->size());
  for (const Row& r : *rows) {
    events.push_back(Event{r.int64(std::size_t{0}), r.text(std::size_t{1}), r.blob(std::size_t{2}),
                           r.int64(std::size_t{3})});
  }
  return events;
}

Result<std::int64_t> head(Tx& tx) {
  auto row = tx.query_one("SELECT COALESCE(MAX(seq), 0) AS head FROM kai_outbox");
  if (!row.ok()) return row.status();
  return row->has_value() ? (*row)->int64(std::size_t{0}) : 0;
}

}  // namespace outbox

namespace subscriptions {

Result<std::int64_t> last_applied(Tx& tx, std::string_view publisher) {
  auto row =
      tx.query_one("SELECT last_seq FROM kai_subscriptions WHERE publisher = ?", {publisher});
  if (!row.ok()) return row.status();
  return row->has_value() ? (*row)->int64(std::size_t{0}) : 0;
}

Status set_last_applied(Tx& tx, std::string_view publisher, std::int64_t seq) {
  if (publisher.empty()) return invalid_argument("publisher is empty", "publisher");
  return tx.exec(
      "INSERT INTO kai_subscriptions(publisher, last_seq) VALUES (?, ?) "
      "ON CONFLICT (publisher) DO UPDATE SET last_seq = excluded.last_seq",
      {publisher, seq});
}

}  // namespace subscriptions

}  // namespace kai::store
