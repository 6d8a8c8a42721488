#include "sample_service/ledger.hpp"

#include <array>
#include <chrono>

#include "sample_schema/ledger.hpp"

namespace kai::sample {

namespace {

namespace msg = kai::sample::ledger;
using namespace std::chrono_literals;

constexpr std::array kMigrations = {
    store::Migration{
        .version = 1,
        .name = "entries",
        .sql = {},
        .sqlite = "CREATE TABLE ledger_entry(id INTEGER PRIMARY KEY, account TEXT NOT NULL, "
                  "amount INTEGER NOT NULL, note TEXT, created_at INTEGER NOT NULL);"
                  "CREATE INDEX ledger_entry_account ON ledger_entry(account);",
        .postgres = "CREATE TABLE ledger_entry(id BIGSERIAL PRIMARY KEY, account TEXT NOT NULL, "
                    "amount BIGINT NOT NULL, note TEXT, created_at BIGINT NOT NULL);"
                    "CREATE INDEX ledger_entry_account ON ledger_entry(account);",
    },
};

std::string entry_key(std::int64_t id) {
  return "entry:" + std::to_string(id);
}
std::string balance_key(std::string_view account) {
  return "balance:" + std::string(account);
}

Result<msg::Entry> add_entry(const msg::EntryAddRequest& req, svc::WriteContext& ctx) {
  const UnixMillis now = ctx.now();
  auto row = ctx.tx().query_one(
      "INSERT INTO ledger_entry(account, amount, note, created_at) VALUES(?, ?, ?, ?) "
      "RETURNING id",
      {req.account, req.amount, req.note, now});
  if (!row.ok()) return row.status();
  msg::Entry entry{
      .id = (*row)->int64(0),
      .account = req.account,
      .amount = req.amount,
      .note = req.note,
      .created_at = now,
  };
  KAI_RETURN_IF_ERROR(ctx.emit(msg::EntryAddedEvent{
      .id = entry.id, .account = entry.account, .amount = entry.amount, .at = now}));
  ctx.invalidate(balance_key(entry.account));
  return entry;
}

Result<msg::EntryRemoveReply> remove_entry(const msg::EntryRemoveRequest& req,
                                           svc::WriteContext& ctx) {
  auto row =
      ctx.tx().query_one("DELETE FROM ledger_entry WHERE id = ? RETURNING account", {req.id});
  if (!row.ok()) return row.status();
  if (!*row) return msg::EntryRemoveReply{.removed = false};
  ctx.invalidate(entry_key(req.id), balance_key((*row)->text(0)));
  return msg::EntryRemoveReply{.removed = true};
}

// Registered with cached_read (below): the chassis caches what this returns under entry_key.
Result<msg::Entry> load_entry(const msg::EntryGetRequest& req, svc::ReadContext& ctx) {
  auto row = ctx.tx().query_one(
      "SELECT id, account, amount, note, created_at FROM ledger_entry WHERE id = ?", {req.id});
  if (!row.ok()) return row.status();
  if (!*row) return not_found("entry " + std::to_string(req.id) + " does not exist");
  const store::Row& r = **row;
  return msg::Entry{
      .id = r.int64(0),
      .account = r.text(1),
      .amount = r.int64(2),
      .note = r.opt_text(3),
      .created_at = r.int64(4),
  };
}

Result<msg::Balance> get_balance(const msg::AccountBalanceRequest& req, svc::ReadContext& ctx) {
  return ctx.cached<msg::Balance>(balance_key(req.account), 1min, [&]() -> Result<msg::Balance> {
    auto row = ctx.tx().query_one(
        "SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM ledger_entry WHERE account = ?",
        {req.account});
    if (!row.ok()) return row.status();
    return msg::Balance{
        .account = req.account, .balance = (*row)->int64(0), .entries = (*row)->int64(1)};
  });
}

Status setup(svc::Registrar& r, const Config&) {
  r.write<msg::EntryAdd>(add_entry);
  r.write<msg::EntryRemove>(remove_entry);
  r.cached_read<msg::EntryGet>([](const msg::EntryGetRequest& req) { return entry_key(req.id); },
                               5min, load_entry);
  r.read<msg::AccountBalance>(get_balance);
  r.gauge("kai_ledger_entries", "Entries recorded by the sample ledger",
          [](svc::ReadContext& ctx) -> Result<double> {
            auto row = ctx.tx().query_one("SELECT COUNT(*) FROM ledger_entry");
            if (!row.ok()) return row.status();
            return static_cast<double>((*row)->int64(0));
          });
  return Status::Ok();
}

}  // namespace

svc::ServiceDefinition ledger_definition() {
  return {
      .name = "ledger",
      .schema = &msg::service_desc(),
      .summary = "Sample ledger service of the chassis tests and benchmark.",
      .ops_port = 0,
      .migrations = kMigrations,
      .settings = {},
      .setup = setup,
      .clock = {},
  };
}

}  // namespace kai::sample
