// The chassis' request path, run in-process through LocalService against real SQLite files:
// dispatch, the handler check at start, schema validation before domain code, deadlines, handler
// exceptions, idempotent replay, events.since, periodic jobs and gauges.
#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "sample_schema/ledger.hpp"
#include "sample_schema/tally.hpp"
#include "sample_service/ledger.hpp"
#include "sample_service/tally.hpp"
#include "service/local_service.hpp"
#include "service/service_test_util.hpp"
#include "support/process.hpp"

namespace kai::svc {
namespace {

namespace ledger = kai::sample::ledger;
namespace tally = kai::sample::tally;
using kai::testing::TempDir;
using testing::metric;
using testing::pack;

std::unique_ptr<LocalService> start_ledger(const TempDir& dir) {
  auto svc = LocalService::start(kai::sample::ledger_definition(), {.data_dir = dir.path()});
  EXPECT_TRUE(svc.ok()) << svc.status().to_string();
  return svc.ok() ? std::move(*svc) : nullptr;
}

// A "ledger" whose handlers are the test's: setup registers what `fn` registers.
ServiceDefinition ledger_with(std::function<void(Registrar&)> fn) {
  return {
      .name = "ledger",
      .schema = &ledger::service_desc(),
      .summary = "test ledger",
      .ops_port = 0,
      .migrations = {},
      .settings = {},
      .setup =
          [fn](Registrar& r, const Config&) {
            fn(r);
            return Status::Ok();
          },
      .clock = {},
  };
}

// Handlers for every ledger operation that answer fixed values (for tests that need only some).
void register_all_fixed(Registrar& r) {
  r.write<ledger::EntryAdd>(
      [](const ledger::EntryAddRequest& req, WriteContext& ctx) -> Result<ledger::Entry> {
        return ledger::Entry{.id = 1,
                             .account = req.account,
                             .amount = req.amount,
                             .note = req.note,
                             .created_at = ctx.now()};
      });
  r.write<ledger::EntryRemove>(
      [](const ledger::EntryRemoveRequest&, WriteContext&) -> Result<ledger::EntryRemoveReply> {
        return ledger::EntryRemoveReply{.removed = false};
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
}

ledger::EntryAddRequest add_request(std::string account, std::int64_t amount) {
  return {.account = std::move(account), .amount = amount, .note = std::nullopt};
}

TEST(ServiceDispatch, WritesAndReadsThroughTheHandlers) {
  TempDir dir;
  auto svc = start_ledger(dir);
  ASSERT_NE(svc, nullptr);
  auto added = svc->call<ledger::EntryAdd>(
      {.account = "acct-1", .amount = 1250, .note = std::string("dues")});
  ASSERT_TRUE(added.ok()) << added.status().to_string();
  EXPECT_GT(added->id, 0);
  EXPECT_EQ(added->amount, 1250);
  ASSERT_TRUE(svc->call<ledger::EntryAdd>(add_request("acct-1", -250)).ok());

  auto got = svc->call<ledger::EntryGet>({.id = added->id});
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(*got, *added);
  auto balance = svc->call<ledger::AccountBalance>({.account = "acct-1"});
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->balance, 1000);
  EXPECT_EQ(balance->entries, 2);

  auto missing = svc->call<ledger::EntryGet>({.id = 999});
  EXPECT_EQ(missing.status().code(), StatusCode::not_found);
}

TEST(ServiceDispatch, CountsRequestsPerOperationAndCode) {
  TempDir dir;
  auto svc = start_ledger(dir);
  ASSERT_NE(svc, nullptr);
  const std::string ok_series = R"(kai_requests_total{code="ok",op="entry.get",service="ledger"})";
  const std::string nf_series =
      R"(kai_requests_total{code="not_found",op="entry.get",service="ledger"})";
  const std::string unknown_series =
      R"x(kai_requests_total{code="invalid_argument",op="(unknown)",service="ledger"})x";
  // -1 when absent: a series appears with the first request answered with its code.
  const double ok_before = std::max(0.0, metric(ok_series));
  const double nf_before = std::max(0.0, metric(nf_series));
  const double unknown_before = std::max(0.0, metric(unknown_series));
  auto added = svc->call<ledger::EntryAdd>(add_request("a", 5));
  ASSERT_TRUE(added.ok());
  ASSERT_TRUE(svc->call<ledger::EntryGet>({.id = added->id}).ok());
  ASSERT_FALSE(svc->call<ledger::EntryGet>({.id = 12345}).ok());
  ASSERT_FALSE(svc->call_raw("no.such.op", "").ok());
  EXPECT_EQ(metric(ok_series), ok_before + 1);
  EXPECT_EQ(metric(nf_series), nf_before + 1);
  EXPECT_EQ(metric(unknown_series), unknown_before + 1);
  EXPECT_GE(metric(R"(kai_request_duration_seconds_count{op="entry.get",service="ledger"})"), 2);
  EXPECT_EQ(metric(R"(kai_requests_in_flight{service="ledger"})"), 0);
}

TEST(ServiceDispatch, UnknownOperationIsRefusedNamingIt) {
  TempDir dir;
  auto svc = start_ledger(dir);
  ASSERT_NE(svc, nullptr);
  auto r = svc->call_raw("entry.explode", "\x80");
  ASSERT_EQ(r.status().code(), StatusCode::invalid_argument);
  EXPECT_EQ(r.status().field(), "op");
  EXPECT_NE(r.status().message().find("entry.explode"), std::string::npos);
}

TEST(ServiceValidation, EveryViolationIsInvalidArgumentNamingTheField) {
  TempDir dir;
  auto svc = start_ledger(dir);
  ASSERT_NE(svc, nullptr);
  struct Case {
    const char* what;
    std::string payload;
    std::string field;
  };
  const std::string long_note(201, 'x');
  const Case cases[] = {
      {"pattern", pack([](auto& pk) {
         pk.pack_map(2);
         pk.pack("account");
         pk.pack("Not Valid!");
         pk.pack("amount");
         pk.pack(1);
       }),
       "account"},
      {"missing required", pack([](auto& pk) {
         pk.pack_map(1);
         pk.pack("amount");
         pk.pack(1);
       }),
       "account"},
      {"wrong type", pack([](auto& pk) {
         pk.pack_map(2);
         pk.pack("account");
         pk.pack("a");
         pk.pack("amount");
         pk.pack("12");
       }),
       "amount"},
      {"out of range", pack([](auto& pk) {
         pk.pack_map(2);
         pk.pack("account");
         pk.pack("a");
         pk.pack("amount");
         pk.pack(std::int64_t{100000001});
       }),
       "amount"},
      {"too long", pack([&](auto& pk) {
         pk.pack_map(3);
         pk.pack("account");
         pk.pack("a");
         pk.pack("amount");
         pk.pack(1);
         pk.pack("note");
         pk.pack(long_note);
       }),
       "note"},
      {"unknown field", pack([](auto& pk) {
         pk.pack_map(3);
         pk.pack("account");
         pk.pack("a");
         pk.pack("amount");
         pk.pack(1);
         pk.pack("colour");
         pk.pack("red");
       }),
       "colour"},
  };
  for (const auto& c : cases) {
    auto r = svc->call_raw("entry.add", c.payload);
    ASSERT_EQ(r.status().code(), StatusCode::invalid_argument) << c.what;
    EXPECT_EQ(r.status().field(), c.field) << c.what << ": " << r.status().to_string();
  }
  // Not MessagePack at all, and a request that is not a map.
  EXPECT_EQ(svc->call_raw("entry.get", "\xc1\xc1").status().code(), StatusCode::invalid_argument);
  EXPECT_EQ(svc->call_raw("entry.get", pack([](auto& pk) { pk.pack(7); })).status().code(),
            StatusCode::invalid_argument);
  // Deep nesting is refused before anything allocates.
  std::string deep(100, '\x91');
  deep.push_back('\x80');
  EXPECT_EQ(svc->call_raw("entry.get", deep).status().code(), StatusCode::invalid_argument);
  // Nothing reached the database.
  auto balance = svc->call<ledger::AccountBalance>({.account = "a"});
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->entries, 0);
}

TEST(ServiceValidation, DomainCodeNeverSeesInvalidRequests) {
  std::atomic<int> calls{0};
  TempDir dir;
  auto counting = LocalService::start(
      ledger_with([&](Registrar& r) {
        r.write<ledger::EntryAdd>(
            [&](const ledger::EntryAddRequest&, WriteContext&) -> Result<ledger::Entry> {
              ++calls;
              return internal_error("must not run");
            });
        r.write<ledger::EntryRemove>([](const ledger::EntryRemoveRequest&,
                                        WriteContext&) -> Result<ledger::EntryRemoveReply> {
          return ledger::EntryRemoveReply{.removed = false};
        });
        r.read<ledger::EntryGet>(
            [&](const ledger::EntryGetRequest&, ReadContext&) -> Result<ledger::Entry> {
              ++calls;
              return internal_error("must not run");
            });
        r.read<ledger::AccountBalance>(
            [](const ledger::AccountBalanceRequest& req, ReadContext&) -> Result<ledger::Balance> {
              return ledger::Balance{.account = req.account, .balance = 0, .entries = 0};
            });
      }),
      {.data_dir = dir.path()});
  ASSERT_TRUE(counting.ok()) << counting.status().to_string();
  EXPECT_EQ((*counting)
                ->call_raw("entry.get", pack([](auto& pk) {
                             pk.pack_map(1);
                             pk.pack("id");
                             pk.pack(0);
                           }))
                .status()
                .field(),
            "id");
  EXPECT_EQ((*counting)->call_raw("entry.add", "\x80").status().field(), "account");
  EXPECT_EQ(calls.load(), 0);
}

TEST(ServiceDispatch, ExpiredDeadlineIsAnsweredWithoutRunningTheHandler) {
  std::atomic<int> calls{0};
  TempDir dir;
  auto counting = LocalService::start(
      ledger_with([&](Registrar& r) {
        r.write<ledger::EntryAdd>(
            [&](const ledger::EntryAddRequest& req, WriteContext& ctx) -> Result<ledger::Entry> {
              ++calls;
              return ledger::Entry{.id = 1,
                                   .account = req.account,
                                   .amount = req.amount,
                                   .note = std::nullopt,
                                   .created_at = ctx.now()};
            });
        r.write<ledger::EntryRemove>([](const ledger::EntryRemoveRequest&,
                                        WriteContext&) -> Result<ledger::EntryRemoveReply> {
          return ledger::EntryRemoveReply{.removed = false};
        });
        r.read<ledger::EntryGet>(
            [&](const ledger::EntryGetRequest& req, ReadContext&) -> Result<ledger::Entry> {
              ++calls;
              return ledger::Entry{
                  .id = req.id, .account = "a", .amount = 1, .note = std::nullopt, .created_at = 1};
            });
        r.read<ledger::AccountBalance>(
            [](const ledger::AccountBalanceRequest& req, ReadContext&) -> Result<ledger::Balance> {
              return ledger::Balance{.account = req.account, .balance = 0, .entries = 0};
            });
      }),
      {.data_dir = dir.path()});
  ASSERT_TRUE(counting.ok());
  LocalService& s = **counting;
  const UnixMillis past = now_unix_ms() - 1;
  EXPECT_EQ(s.call<ledger::EntryGet>({.id = 1}, {.deadline_ms = past}).status().code(),
            StatusCode::deadline_exceeded);
  EXPECT_EQ(s.call<ledger::EntryAdd>(add_request("a", 1), {.deadline_ms = past}).status().code(),
            StatusCode::deadline_exceeded);
  EXPECT_EQ(calls.load(), 0);
  const UnixMillis future = now_unix_ms() + 60'000;
  EXPECT_TRUE(s.call<ledger::EntryGet>({.id = 1}, {.deadline_ms = future}).ok());
  EXPECT_EQ(calls.load(), 1);
}

TEST(ServiceDispatch, HandlerExceptionsAreInternalAndTheServiceCarriesOn) {
  TempDir dir;
  auto svc = LocalService::start(
      ledger_with([](Registrar& r) {
        r.write<ledger::EntryAdd>(
            [](const ledger::EntryAddRequest& req, WriteContext& ctx) -> Result<ledger::Entry> {
              KAI_RETURN_IF_ERROR(ctx.emit(ledger::EntryAddedEvent{
                  .id = 1, .account = req.account, .amount = req.amount, .at = ctx.now()}));
              if (req.amount == 13) throw std::runtime_error("unlucky amount");
              return ledger::Entry{.id = 1,
                                   .account = req.account,
                                   .amount = req.amount,
                                   .note = std::nullopt,
                                   .created_at = ctx.now()};
            });
        r.write<ledger::EntryRemove>([](const ledger::EntryRemoveRequest&,
                                        WriteContext&) -> Result<ledger::EntryRemoveReply> {
          throw 42;  // not even a std::exception
        });
        r.read<ledger::EntryGet>(
            [](const ledger::EntryGetRequest& req, ReadContext&) -> Result<ledger::Entry> {
              if (req.id == 13) throw std::logic_error("boom");
              return ledger::Entry{
                  .id = req.id, .account = "a", .amount = 1, .note = std::nullopt, .created_at = 1};
            });
        r.read<ledger::AccountBalance>(
            [](const ledger::AccountBalanceRequest& req, ReadContext&) -> Result<ledger::Balance> {
              return ledger::Balance{.account = req.account, .balance = 0, .entries = 0};
            });
      }),
      {.data_dir = dir.path()});
  ASSERT_TRUE(svc.ok());
  LocalService& s = **svc;
  auto read = s.call<ledger::EntryGet>({.id = 13});
  EXPECT_EQ(read.status().code(), StatusCode::internal);
  EXPECT_NE(read.status().message().find("boom"), std::string::npos);
  auto write = s.call<ledger::EntryAdd>(add_request("a", 13));
  EXPECT_EQ(write.status().code(), StatusCode::internal);
  EXPECT_EQ(s.call<ledger::EntryRemove>({.id = 1}).status().code(), StatusCode::internal);
  // The failed write's event was rolled back with it; the service still answers.
  auto events = s.published();
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
  EXPECT_TRUE(s.call<ledger::EntryGet>({.id = 12}).ok());
  EXPECT_TRUE(s.call<ledger::EntryAdd>(add_request("a", 12)).ok());
  events = s.published();
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 1u);
}

TEST(ServiceDispatch, InvalidRepliesAndEventsAreInternalErrors) {
  TempDir dir;
  auto bad = LocalService::start(
      ledger_with([](Registrar& r) {
        r.write<ledger::EntryAdd>(
            [](const ledger::EntryAddRequest& req, WriteContext& ctx) -> Result<ledger::Entry> {
              // id 0 violates the schema's min: 1 in the event …
              KAI_RETURN_IF_ERROR(ctx.emit(ledger::EntryAddedEvent{
                  .id = 0, .account = req.account, .amount = req.amount, .at = ctx.now()}));
              return internal_error("unreachable");
            });
        r.write<ledger::EntryRemove>([](const ledger::EntryRemoveRequest&,
                                        WriteContext&) -> Result<ledger::EntryRemoveReply> {
          return ledger::EntryRemoveReply{.removed = false};
        });
        r.read<ledger::EntryGet>(
            [](const ledger::EntryGetRequest&, ReadContext&) -> Result<ledger::Entry> {
              // … and in the reply.
              return ledger::Entry{
                  .id = 0, .account = "a", .amount = 1, .note = std::nullopt, .created_at = 1};
            });
        r.read<ledger::AccountBalance>(
            [](const ledger::AccountBalanceRequest& req, ReadContext&) -> Result<ledger::Balance> {
              return ledger::Balance{.account = req.account, .balance = 0, .entries = 0};
            });
      }),
      {.data_dir = dir.path()});
  ASSERT_TRUE(bad.ok());
  auto reply = (*bad)->call<ledger::EntryGet>({.id = 1});
  EXPECT_EQ(reply.status().code(), StatusCode::internal);
  EXPECT_NE(reply.status().message().find("does not match its schema"), std::string::npos);
  auto emitted = (*bad)->call<ledger::EntryAdd>(add_request("a", 1));
  EXPECT_EQ(emitted.status().code(), StatusCode::internal);
  EXPECT_NE(emitted.status().message().find("ledger.entry.added"), std::string::npos);
}

// A read handler's replies are all checked at first, then one in 64 (service_runtime.hpp says
// why); the test suite, starting fresh services, only ever sees the first ones.
TEST(ServiceDispatch, ReadRepliesAreCheckedFirstAlwaysThenBySample) {
  TempDir dir;
  auto bad = LocalService::start(
      ledger_with([](Registrar& r) {
        r.write<ledger::EntryAdd>(
            [](const ledger::EntryAddRequest&, WriteContext&) -> Result<ledger::Entry> {
              return ledger::Entry{
                  .id = 0, .account = "a", .amount = 1, .note = std::nullopt, .created_at = 1};
            });
        r.write<ledger::EntryRemove>([](const ledger::EntryRemoveRequest&,
                                        WriteContext&) -> Result<ledger::EntryRemoveReply> {
          return ledger::EntryRemoveReply{.removed = false};
        });
        r.read<ledger::EntryGet>(
            [](const ledger::EntryGetRequest&, ReadContext&) -> Result<ledger::Entry> {
              return ledger::Entry{// id 0 breaks the schema's min: 1
                                   .id = 0,
                                   .account = "a",
                                   .amount = 1,
                                   .note = std::nullopt,
                                   .created_at = 1};
            });
        r.read<ledger::AccountBalance>(
            [](const ledger::AccountBalanceRequest& req, ReadContext&) -> Result<ledger::Balance> {
              return ledger::Balance{.account = req.account, .balance = 0, .entries = 0};
            });
      }),
      {.data_dir = dir.path()});
  ASSERT_TRUE(bad.ok());
  LocalService& s = **bad;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(s.call_raw("entry.get", encode(ledger::EntryGetRequest{.id = 1})).status().code(),
              StatusCode::internal)
        << "reply " << i;
  }
  int refused = 0;
  for (int i = 0; i < 128; ++i) {
    if (!s.call_raw("entry.get", encode(ledger::EntryGetRequest{.id = 1})).ok()) ++refused;
  }
  EXPECT_EQ(refused, 2);  // replies 1024 and 1088
  // Writes are checked every time.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(s.call<ledger::EntryAdd>(add_request("a", 1)).status().code(), StatusCode::internal);
  }
}

TEST(ServiceStartup, RefusesAnOperationWithoutAHandler) {
  TempDir dir;
  auto svc =
      LocalService::start(ledger_with([](Registrar& r) {
                            r.write<ledger::EntryAdd>([](const ledger::EntryAddRequest&,
                                                         WriteContext&) -> Result<ledger::Entry> {
                              return internal_error("unused");
                            });
                          }),
                          {.data_dir = dir.path()});
  ASSERT_FALSE(svc.ok());
  EXPECT_EQ(svc.status().code(), StatusCode::failed_precondition);
  EXPECT_NE(svc.status().message().find("operation entry.get has no handler"), std::string::npos)
      << svc.status().message();
  EXPECT_NE(svc.status().message().find("operation account.balance has no handler"),
            std::string::npos);
}

TEST(ServiceStartup, RefusesAHandlerForAnotherServicesOperation) {
  TempDir dir;
  auto svc = LocalService::start(
      ledger_with([](Registrar& r) {
        register_all_fixed(r);
        r.read<tally::TotalGet>(
            [](const tally::TotalGetRequest&, ReadContext&) -> Result<tally::AccountTotal> {
              return internal_error("unused");
            });
      }),
      {.data_dir = dir.path()});
  ASSERT_FALSE(svc.ok());
  EXPECT_NE(svc.status().message().find("total.get"), std::string::npos) << svc.status().message();
}

TEST(ServiceStartup, RefusesDuplicatesOwnEventsAndStandardOperations) {
  TempDir dir;
  auto svc = LocalService::start(
      ledger_with([](Registrar& r) {
        register_all_fixed(r);
        r.read<ledger::EntryGet>(
            [](const ledger::EntryGetRequest&, ReadContext&) -> Result<ledger::Entry> {
              return internal_error("unused");
            });
        r.subscribe<ledger::EntryAddedEvent>(
            [](const ledger::EntryAddedEvent&, WriteContext&) { return Status::Ok(); });
        r.read<ledger::EventsSince>([](const ledger::EventsSince::Request&,
                                       ReadContext&) -> Result<ledger::EventsSince::Reply> {
          return internal_error("unused");
        });
      }),
      {.data_dir = dir.path()});
  ASSERT_FALSE(svc.ok());
  const std::string m = svc.status().message();
  EXPECT_NE(m.find("operation entry.get is registered twice"), std::string::npos) << m;
  EXPECT_NE(m.find("own events"), std::string::npos) << m;
  EXPECT_NE(m.find("events.since is answered by the chassis"), std::string::npos) << m;
}

TEST(ServiceStartup, SetupErrorsAndBadSettingsStopTheStart) {
  TempDir dir;
  ServiceDefinition def = kai::sample::ledger_definition();
  def.setup = [](Registrar&, const Config&) { return invalid_argument("no such tariff"); };
  auto svc = LocalService::start(def, {.data_dir = dir.path()});
  ASSERT_FALSE(svc.ok());
  EXPECT_NE(svc.status().message().find("no such tariff"), std::string::npos);

  auto bad =
      LocalService::start(kai::sample::ledger_definition(),
                          {.data_dir = dir.path(), .settings = {{"gauge-interval", "soon"}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "gauge-interval");

  def = kai::sample::ledger_definition();
  def.settings = {{"data-dir", "x", "clashes"}};
  auto clash = LocalService::start(def, {.data_dir = dir.path()});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().field(), "data-dir");
}

TEST(ServiceStartup, ServiceSettingsReachSetup) {
  TempDir dir;
  ServiceDefinition def = kai::sample::ledger_definition();
  std::string seen;
  auto inner = def.setup;
  def.settings = {{"tariff", "standard", "which tariff applies"}};
  def.setup = [&](Registrar& r, const Config& cfg) {
    seen = cfg.str("tariff");
    return inner(r, cfg);
  };
  auto svc =
      LocalService::start(def, {.data_dir = dir.path(), .settings = {{"tariff", "reduced"}}});
  ASSERT_TRUE(svc.ok()) << svc.status().to_string();
  EXPECT_EQ(seen, "reduced");
}

}  // namespace
}  // namespace kai::svc
