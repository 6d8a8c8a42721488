#include "sample_service/tally.hpp"

#include <array>
#include <chrono>

#include "sample_schema/ledger.hpp"
#include "sample_schema/tally.hpp"

namespace kai::sample {

namespace {

namespace msg = kai::sample::tally;
namespace ledger_msg = kai::sample::ledger;
using namespace std::chrono_literals;

constexpr std::array kMigrations = {
    store::Migration{
        .version = 1,
        .name = "totals",
        .sql = "CREATE TABLE tally_application(seq BIGINT NOT NULL, entry_id BIGINT NOT NULL, "
               "account TEXT NOT NULL, amount BIGINT NOT NULL);"
               "CREATE TABLE tally_total(account TEXT PRIMARY KEY, total BIGINT NOT NULL, "
               "entries BIGINT NOT NULL);",
        .sqlite = {},
        .postgres = {},
    },
};

std::string total_key(std::string_view account) {
  return "total:" + std::string(account);
}

Status apply_entry(const ledger_msg::EntryAddedEvent& e, svc::WriteContext& ctx) {
  KAI_RETURN_IF_ERROR(ctx.tx().exec(
      "INSERT INTO tally_application(seq, entry_id, account, amount) VALUES(?, ?, ?, ?)",
      {ctx.event()->seq, e.id, e.account, e.amount}));
  KAI_RETURN_IF_ERROR(ctx.tx().exec(
      "INSERT INTO tally_total(account, total, entries) VALUES(?, ?, 1) "
      "ON CONFLICT(account) DO UPDATE SET total = tally_total.total + excluded.total, "
      "entries = tally_total.entries + 1",
      {e.account, e.amount}));
  ctx.invalidate(total_key(e.account));
  return Status::Ok();
}

Result<msg::AccountTotal> get_total(const msg::TotalGetRequest& req, svc::ReadContext& ctx) {
  return ctx.cached<msg::AccountTotal>(
      total_key(req.account), 1min, [&]() -> Result<msg::AccountTotal> {
        auto row = ctx.tx().query_one("SELECT total, entries FROM tally_total WHERE account = ?",
                                      {req.account});
        if (!row.ok()) return row.status();
        msg::AccountTotal out{.account = req.account, .total = 0, .entries = 0};
        if (*row) {
          out.total = (*row)->int64(0);
          out.entries = (*row)->int64(1);
        }
        return out;
      });
}

Result<msg::TallySummaryReply> summary(const msg::TallySummaryRequest&, svc::ReadContext& ctx) {
  auto row = ctx.tx().query_one(
      "SELECT COUNT(*), COUNT(DISTINCT entry_id), COALESCE(MAX(seq), 0) FROM tally_application");
  if (!row.ok()) return row.status();
  return msg::TallySummaryReply{.applications = (*row)->int64(0),
                                .distinct_entries = (*row)->int64(1),
                                .last_seq = (*row)->int64(2)};
}

Status setup(svc::Registrar& r, const Config&) {
  r.subscribe<ledger_msg::EntryAddedEvent>(apply_entry);
  r.read<msg::TotalGet>(get_total);
  r.read<msg::TallySummary>(summary);
  return Status::Ok();
}

}  // namespace

svc::ServiceDefinition tally_definition() {
  return {
      .name = "tally",
      .schema = &msg::service_desc(),
      .summary = "Sample tally service of the chassis tests: applies the ledger's events.",
      .ops_port = 0,
      .migrations = kMigrations,
      .settings = {},
      .setup = setup,
      .clock = {},
  };
}

}  // namespace kai::sample
