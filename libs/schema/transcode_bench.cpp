// Speed of the gateway's hot path: rendering a page of 50 organisations as JSON (with masking),
// validating it, and converting a create request from JSON.
#include <string>

#include <benchmark/benchmark.h>

#include "schema/membership.hpp"
#include "schema/transcode.hpp"
#include "schema/unpack.hpp"
#include "schema/validate.hpp"

namespace {

namespace mm = kai::msg::membership;

std::string list_page() {
  mm::OrganizationListReply reply;
  for (int i = 0; i < 50; ++i) {
    mm::Organization& o = reply.items.emplace_back();
    o.id = 1000 + i;
    o.name = "杭州凯旋街道第" + std::to_string(i) + "号企业有限公司";
    o.kind = mm::OrganizationKind::enterprise;
    o.credit_code = "91330104MA2GL1234X";
    o.community = "凯旋社区";
    o.grid = "第三网格";
    o.contact.emplace();
    o.contact->name = "王丽";
    o.contact->phone = "13812345678";
    o.tags = std::vector<std::string>{"党建", "共建"};
    o.joined_on = "2016-05-01";
    o.version = 3;
    o.created_at = 1719705600123;
    o.updated_at = 1719705600123;
  }
  reply.next_cursor = "eyJpZCI6MTA1MH0";
  return encode(reply);
}

void BM_RenderListPage(benchmark::State& state) {
  const std::string bytes = list_page();
  const kai::schema::JsonOptions options{.mask_pii = state.range(0) != 0};
  std::string out;
  for (auto _ : state) {
    out.clear();
    const kai::Status s =
        kai::schema::msgpack_to_json(bytes, mm::OrganizationListReply::desc(), options, out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_RenderListPage)->Arg(0)->Arg(1);

// What rendering from the bytes saves the gateway: the unpack it no longer does per reply.
void BM_UnpackListPage(benchmark::State& state) {
  const std::string bytes = list_page();
  for (auto _ : state) {
    auto handle = kai::schema::unpack_borrowed(bytes);
    benchmark::DoNotOptimize(handle);
  }
}
BENCHMARK(BM_UnpackListPage);

void BM_UnpackValidateListPage(benchmark::State& state) {
  const std::string bytes = list_page();
  for (auto _ : state) {
    auto handle = kai::schema::unpack(bytes);
    const kai::Status s = kai::schema::validate(handle->get(), mm::OrganizationListReply::desc());
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_UnpackValidateListPage);

void BM_CreateRequestFromJson(benchmark::State& state) {
  const std::string json =
      R"({"name":"杭州凯旋科技有限公司","kind":"enterprise","credit_code":"91330104MA2GL1234X",)"
      R"("contact":{"name":"王丽","phone":"13812345678"},"tags":["党建"],"joined_on":"2016-05-01"})";
  for (auto _ : state) {
    auto r = kai::schema::json_to_msgpack(json, mm::OrganizationCreateRequest::desc());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_CreateRequestFromJson);

}  // namespace

BENCHMARK_MAIN();
