// The runtime tables every service database has, created by the store's own migration component
// "kai_runtime" when Database::open() runs. The service chassis builds on them; each function
// takes the Tx of the caller so that it runs in the same transaction as the domain write.
//
//   kai_idempotency(key PRIMARY KEY, op, reply BLOB, created_at)   — processed request keys
//   kai_outbox(seq PRIMARY KEY, topic, payload BLOB, created_at)   — events, stored before sent
//   kai_subscriptions(publisher PRIMARY KEY, last_seq)             — how far each feed is applied
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "store/database.hpp"
#include "store/tx.hpp"

namespace kai::store {

inline constexpr std::string_view kRuntimeComponent = "kai_runtime";
std::span<const Migration> runtime_migrations();

// Idempotency keys. The chassis, inside one write():
//   if (auto r = idempotency::lookup(tx, key); r.ok() && *r) → replay (*r)->reply
//   else run the handler, then idempotency::record(tx, key, op, reply)
// so a write and its key commit together or not at all. If two replicas race on one key, the
// loser's record() fails with already_exists, which rolls its whole unit back; it can then look
// the key up again and replay the winner's reply.
namespace idempotency {

struct StoredReply {
  std::string op;     // the operation the key was first used for
  std::string reply;  // the encoded reply, replayed verbatim
  UnixMillis created_at = 0;
};

Result<std::optional<StoredReply>> lookup(Tx& tx, std::string_view key);
// already_exists when the key is recorded already; invalid_argument for an empty key.
Status record(Tx& tx, std::string_view key, std::string_view op, std::string_view reply);
// Forgets keys recorded before `unix_ms`; returns how many.
Result<std::int64_t> purge_older_than(Tx& tx, UnixMillis unix_ms);

}  // namespace idempotency

// The outbox: a service appends its domain events in the transaction that changes the data, and
// a publisher sends them afterwards. Sequence numbers are strictly increasing and never reused,
// and on both backends they become visible in sequence order (on PostgreSQL append() takes a
// transaction-scoped advisory lock, so replicas sharing a database append one batch at a time);
// a reader never sees seq N+1 committed while N is still to come.
namespace outbox {

struct Event {
  std::int64_t seq = 0;
  std::string topic;
  std::string payload;
  UnixMillis created_at = 0;
};

// invalid_argument for an empty topic. Returns the event's sequence number.
Result<std::int64_t> append(Tx& tx, std::string_view topic, std::string_view payload);
// Events with seq > after_seq in order, at most `limit` (1..10000, else invalid_argument).
Result<std::vector<Event>> read_since(Tx& tx, std::int64_t after_seq, int limit);
// The highest sequence number stored, 0 when the outbox is empty.
Result<std::int64_t> head(Tx& tx);

}  // namespace outbox

// Subscriber progress: the last sequence number applied from each publisher, written in the same
// transaction as the effects of applying the event.
namespace subscriptions {

// 0 for a publisher never seen.
Result<std::int64_t> last_applied(Tx& tx, std::string_view publisher);
Status set_last_applied(Tx& tx, std::string_view publisher, std::int64_t seq);

}  // namespace subscriptions

}  // namespace kai::store
