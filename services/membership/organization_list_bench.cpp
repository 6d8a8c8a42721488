// What a page of organization.list costs kai-membership itself, without the bus: the request
// decoded and validated, the page read from a real SQLite file, the reply encoded, through the
// same path the worker threads run (svc::LocalService). The organisations carry what the demo
// data's do: a contact with a phone, tags and a party organisation in BLOB columns.
//
//   build/bench/organization_list_bench [--benchmark_repetitions=5]
#include <string>

#include <benchmark/benchmark.h>

#include "membership/service_definition.hpp"
#include "schema/membership.hpp"
#include "service/local_service.hpp"
#include "support/process.hpp"

namespace {

namespace mm = kai::msg::membership;

mm::OrganizationCreateRequest organisation(int i) {
  mm::OrganizationCreateRequest req;
  req.name = "杭州凯旋街道第" + std::to_string(i) + "号企业有限公司";
  req.kind = mm::OrganizationKind::enterprise;
  req.credit_code = "91330104MA2GL" + std::to_string(10000 + i);
  mm::Contact contact;
  contact.name = "王丽";
  contact.phone = "13812345678";
  contact.role = "党建联络员";
  req.contact = contact;
  mm::PartyOrganization party;
  party.name = "第" + std::to_string(i) + "党支部";
  party.level = mm::PartyOrganizationLevel::branch;
  party.secretary = "李强";
  party.members = 12;
  req.party_organization = party;
  req.tags = std::vector<std::string>{"两新组织", "共建单位"};
  req.joined_on = "2016-05-01";
  return req;
}

void BM_OrganizationListPageOf50(benchmark::State& state) {
  kai::testing::TempDir dir;
  auto svc = kai::svc::LocalService::start(kai::membership::definition(),
                                           {.data_dir = dir.path(), .run_start_work = false});
  if (!svc.ok()) {
    state.SkipWithError(svc.status().to_string().c_str());
    return;
  }
  for (int i = 0; i < 60; ++i) {
    auto created = (*svc)->call<mm::OrganizationCreate>(organisation(i));
    if (!created.ok()) {
      state.SkipWithError(created.status().to_string().c_str());
      return;
    }
  }
  mm::OrganizationListRequest list;
  list.limit = 50;
  const std::string request = encode(list);
  for (auto _ : state) {
    auto reply = (*svc)->call_raw(mm::OrganizationList::name, request);
    if (!reply.ok()) {
      state.SkipWithError(reply.status().to_string().c_str());
      return;
    }
    benchmark::DoNotOptimize(reply->data());
  }
  state.SetItemsProcessed(state.iterations() * 50);
}
BENCHMARK(BM_OrganizationListPageOf50)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
