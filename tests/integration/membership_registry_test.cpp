// kai-membership through the real kai-broker, with a real redis-server and SQLite: the organisation
// registry (the DESIGN.md §3 contract), validation and error codes, idempotent creates, the Redis
// cache and its invalidation, Redis going away, and the structure of the alliance.
#include <gtest/gtest.h>

#include "integration/membership_cluster.hpp"

namespace kai {
namespace {

using namespace msg::membership;
using testing::MembershipCluster;
using testing::wait_until;

OrganizationCreateRequest org(std::string name,
                              OrganizationKind kind = OrganizationKind::enterprise) {
  OrganizationCreateRequest r;
  r.name = std::move(name);
  r.kind = kind;
  return r;
}

// A map with the given fields, packed as MessagePack (for requests the typed API cannot express).
std::string packed(const std::map<std::string, msgpack::object>& fields) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(static_cast<std::uint32_t>(fields.size()));
  for (const auto& [k, v] : fields) {
    pk.pack(k);
    pk.pack(v);
  }
  return std::string(buf.data(), buf.size());
}

TEST(MembershipRegistry, CreateGetListUpdate) {
  MembershipCluster c;
  OrganizationCreateRequest req = org("杭州凯旋科技有限公司");
  req.credit_code = "91330104MA2GL1234X";
  req.contact = Contact{.name = "王丽", .phone = "13812345678", .role = "党务联络员"};
  req.party_organization = PartyOrganization{.name = "中共杭州凯旋科技有限公司支部委员会",
                                             .level = PartyOrganizationLevel::branch,
                                             .form = PartyOrganizationForm::standalone,
                                             .secretary = "李明",
                                             .members = 12};
  req.tags = std::vector<std::string>{"楼宇企业"};
  auto created = c.call<OrganizationCreate>(req);
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->version, 1);
  EXPECT_EQ(created->contact->phone, "13812345678");
  EXPECT_EQ(created->party_organization->members, 12);

  auto got = c.call<OrganizationGet>({.id = created->id});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *created);

  OrganizationUpdateRequest upd;
  upd.id = created->id;
  upd.expected_version = 1;
  upd.name = "杭州凯旋科技股份有限公司";
  auto updated = c.call<OrganizationUpdate>(upd);
  ASSERT_TRUE(updated.ok()) << updated.status().to_string();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->name, "杭州凯旋科技股份有限公司");
  EXPECT_EQ(updated->contact, created->contact);  // fields left out keep their value

  // A stale expected_version loses: aborted.
  upd.name = "其他";
  EXPECT_EQ(c.call<OrganizationUpdate>(upd).status().code(), StatusCode::aborted);

  OrganizationListRequest list;
  auto page = c.call<OrganizationList>(list);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  // Listed as organization.get answers it, every field (contacts, party, tags) included.
  EXPECT_EQ(page->items[0], *updated);
  EXPECT_FALSE(page->next_cursor.has_value());
}

TEST(MembershipRegistry, FailureCodes) {
  MembershipCluster c;
  // A missing organisation is not_found, on read and on update.
  auto missing = c.call<OrganizationGet>({.id = 424242});
  EXPECT_EQ(missing.status().code(), StatusCode::not_found);
  OrganizationUpdateRequest upd;
  upd.id = 424242;
  upd.name = "x";
  EXPECT_EQ(c.call<OrganizationUpdate>(upd).status().code(), StatusCode::not_found);

  // The schema refuses bad input before any domain code runs, naming the field.
  OrganizationCreateRequest bad = org("");
  auto empty = c.call<OrganizationCreate>(bad);
  EXPECT_EQ(empty.status().code(), StatusCode::invalid_argument);
  EXPECT_EQ(empty.status().field(), "name");
  OrganizationCreateRequest phone = org("某单位");
  phone.contact = Contact{.name = "王丽", .phone = "call me", .role = std::nullopt};
  auto bad_phone = c.call<OrganizationCreate>(phone);
  EXPECT_EQ(bad_phone.status().code(), StatusCode::invalid_argument);
  EXPECT_EQ(bad_phone.status().field(), "contact.phone");
  msgpack::zone z;
  const auto unknown_kind = c.call_raw("organization.create",
                                       packed({{"name", msgpack::object(std::string("某单位"), z)},
                                               {"kind", msgpack::object(std::string("bank"), z)}}),
                                       true);
  EXPECT_EQ(unknown_kind.status.code(), StatusCode::invalid_argument);
  EXPECT_EQ(unknown_kind.status.field(), "kind");
  const auto extra = c.call_raw(
      "organization.get",
      packed({{"id", msgpack::object(1, z)}, {"evil", msgpack::object(true, z)}}), false);
  EXPECT_EQ(extra.status.code(), StatusCode::invalid_argument);
  EXPECT_EQ(c.call_raw("organization.get", "\xc1", false).status.code(),
            StatusCode::invalid_argument);
  EXPECT_EQ(c.call_raw("organization.delete", packed({}), true).status.code(),
            StatusCode::invalid_argument);

  // Unique credit codes; placement at an existing node; list filters.
  OrganizationCreateRequest a = org("甲单位");
  a.credit_code = "91330104MA2GL1234X";
  ASSERT_TRUE(c.call<OrganizationCreate>(a).ok());
  OrganizationCreateRequest b = org("乙单位");
  b.credit_code = "91330104MA2GL1234X";
  auto dup = c.call<OrganizationCreate>(b);
  EXPECT_EQ(dup.status().code(), StatusCode::already_exists);
  EXPECT_EQ(dup.status().field(), "credit_code");
  auto second = c.call<OrganizationCreate>(org("乙单位"));
  ASSERT_TRUE(second.ok());
  OrganizationUpdateRequest take_code;
  take_code.id = second->id;
  take_code.credit_code = "91330104MA2GL1234X";
  EXPECT_EQ(c.call<OrganizationUpdate>(take_code).status().code(), StatusCode::already_exists);
  OrganizationCreateRequest nowhere = org("丙单位");
  nowhere.node_id = 999;
  EXPECT_EQ(c.call<OrganizationCreate>(nowhere).status().field(), "node_id");
  OrganizationListRequest list;
  list.node_id = 999;
  EXPECT_EQ(c.call<OrganizationList>(list).status().code(), StatusCode::not_found);
  OrganizationListRequest tampered;
  tampered.cursor = "oN~1";
  EXPECT_EQ(c.call<OrganizationList>(tampered).status().field(), "cursor");
}

TEST(MembershipRegistry, DuplicateCreateWithTheSameIdempotencyKeyReturnsTheFirstReply) {
  MembershipCluster c;
  auto first = c.call<OrganizationCreate>(org("杭州凯旋教育集团", OrganizationKind::institution),
                                          "create-kaixuan-education");
  ASSERT_TRUE(first.ok());
  auto again = c.call<OrganizationCreate>(org("杭州凯旋教育集团", OrganizationKind::institution),
                                          "create-kaixuan-education");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  OrganizationListRequest list;
  EXPECT_EQ(c.call<OrganizationList>(list)->items.size(), 1u);
  // The same key for a different request is refused rather than replayed.
  auto other = c.call<OrganizationCreate>(org("别的单位"), "create-kaixuan-education");
  EXPECT_EQ(other.status().code(), StatusCode::invalid_argument);
  EXPECT_EQ(other.status().field(), "idempotency_key");
}

TEST(MembershipRegistry, ListPagesFiltersSearchesAndSorts) {
  MembershipCluster c;
  const char* names[] = {"戊单位", "甲单位", "丁企业", "乙单位", "丙企业"};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.call<OrganizationCreate>(org(names[i], i % 2 == 0 ? OrganizationKind::enterprise
                                                                    : OrganizationKind::social))
                    .ok());
  }
  // Cursor pagination by name visits every organisation once, in order.
  OrganizationListRequest page;
  page.limit = 2;
  std::vector<std::string> seen;
  for (int guard = 0; guard < 10; ++guard) {
    auto p = c.call<OrganizationList>(page);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    for (const auto& o : p->items)
      seen.push_back(o.name);
    if (!p->next_cursor) break;
    page.cursor = p->next_cursor;
  }
  std::vector<std::string> sorted(std::begin(names), std::end(names));
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(seen, sorted);
  // A page holding exactly the rest has no next cursor; one short of it has.
  OrganizationListRequest whole;
  whole.limit = 5;
  auto all = c.call<OrganizationList>(whole);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 5u);
  EXPECT_FALSE(all->next_cursor.has_value());
  whole.limit = 4;
  EXPECT_TRUE(c.call<OrganizationList>(whole)->next_cursor.has_value());

  OrganizationListRequest newest;
  newest.sort = OrganizationListRequest::Sort::created_at_desc;
  newest.limit = 1;
  auto n = c.call<OrganizationList>(newest);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->items[0].name, "丙企业");
  newest.cursor = n->next_cursor;
  EXPECT_EQ(c.call<OrganizationList>(newest)->items[0].name, "乙单位");
  // A cursor of one order does not continue another.
  OrganizationListRequest mixed;
  mixed.cursor = n->next_cursor;
  EXPECT_EQ(c.call<OrganizationList>(mixed).status().code(), StatusCode::invalid_argument);

  OrganizationListRequest social;
  social.kind = OrganizationKind::social;
  EXPECT_EQ(c.call<OrganizationList>(social)->items.size(), 2u);
  OrganizationListRequest search;
  search.q = "企业";
  EXPECT_EQ(c.call<OrganizationList>(search)->items.size(), 2u);
  search.q = "%";  // wildcards are searched for literally
  EXPECT_TRUE(c.call<OrganizationList>(search)->items.empty());
}

TEST(MembershipRegistry, OrganisationsArePlacedInTheStructureAndFilteredByNode) {
  MembershipCluster c;
  auto alliance = c.call<NodeCreate>({.tier = NodeTier::alliance,
                                      .name = "凯旋街道凯联盟",
                                      .parent_id = std::nullopt,
                                      .head = std::nullopt});
  ASSERT_TRUE(alliance.ok()) << alliance.status().to_string();
  auto station = c.call<NodeCreate>(
      {.tier = NodeTier::community,
       .name = "南肖埠社区工作站",
       .parent_id = alliance->id,
       .head = Person{.name = "陈红", .title = "社区书记", .phone = std::nullopt}});
  ASSERT_TRUE(station.ok());
  auto grid = c.call<NodeCreate>(
      {.tier = NodeTier::grid, .name = "第一网格", .parent_id = station->id, .head = std::nullopt});
  ASSERT_TRUE(grid.ok());
  OrganizationCreateRequest small = org("网格小微企业", OrganizationKind::small_enterprise);
  small.node_id = grid->id;
  auto placed = c.call<OrganizationCreate>(small);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->community, "南肖埠社区工作站");
  EXPECT_EQ(placed->grid, "第一网格");
  ASSERT_TRUE(c.call<OrganizationCreate>(org("未落格单位")).ok());

  OrganizationListRequest in_station;
  in_station.node_id = station->id;  // a station includes its grids
  auto listed = c.call<OrganizationList>(in_station);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0], *placed);  // community and grid named as organization.get names them

  // Renaming the station shows in the (cached) organisation at once.
  ASSERT_TRUE(c.call<OrganizationGet>({.id = placed->id}).ok());
  NodeUpdateRequest rename;
  rename.id = station->id;
  rename.name = "南肖埠社区凯联盟工作站";
  ASSERT_TRUE(c.call<NodeUpdate>(rename).ok());
  EXPECT_EQ(c.call<OrganizationGet>({.id = placed->id})->community, "南肖埠社区凯联盟工作站");
}

TEST(MembershipRegistry, CachedLookupsAreInvalidatedOnUpdate) {
  MembershipCluster c;
  auto created =
      c.call<OrganizationCreate>(org("浙江省水利河口研究院", OrganizationKind::institution));
  ASSERT_TRUE(created.ok());
  const auto hits = [&] {
    return c.metric("kai_cache_requests_total", {{"service", "membership"}, {"result", "hit"}})
        .value_or(0);
  };
  const double before = hits();
  ASSERT_TRUE(c.call<OrganizationGet>({.id = created->id}).ok());  // miss: loads and stores
  ASSERT_TRUE(c.call<OrganizationGet>({.id = created->id}).ok());  // served from Redis
  EXPECT_GE(hits(), before + 1);

  OrganizationUpdateRequest upd;
  upd.id = created->id;
  upd.name = "浙江省水利河口研究院（浙江省海洋规划设计研究院）";
  ASSERT_TRUE(c.call<OrganizationUpdate>(upd).ok());
  auto after = c.call<OrganizationGet>({.id = created->id});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->name, upd.name);
  EXPECT_EQ(after->version, 2);
}

TEST(MembershipRegistry, WithRedisDownEverythingStillWorks) {
  MembershipCluster c;
  auto created = c.call<OrganizationCreate>(org("武警杭州疗养院", OrganizationKind::institution));
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(c.call<OrganizationGet>({.id = created->id}).ok());
  c.redis()->kill_now();

  OrganizationUpdateRequest upd;
  upd.id = created->id;
  upd.name = "武警浙江总队杭州疗养院";
  ASSERT_TRUE(c.call<OrganizationUpdate>(upd).ok());
  for (int i = 0; i < 3; ++i) {
    auto got = c.call<OrganizationGet>({.id = created->id});
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    EXPECT_EQ(got->name, "武警浙江总队杭州疗养院");
  }
  ASSERT_TRUE(c.call<OrganizationCreate>(org("杭州市滨江房产集团股份有限公司")).ok());
  OrganizationListRequest list;
  EXPECT_EQ(c.call<OrganizationList>(list)->items.size(), 2u);
  EXPECT_TRUE(wait_until([&] {
    return c.metric("kai_cache_degraded", {{"service", "membership"}}).value_or(0) == 1;
  }));

  // Redis back: the invalidation missed while it was down is replayed, nothing stale is served.
  c.redis()->start();
  ASSERT_TRUE(wait_until(
      [&] {
        (void)c.call<OrganizationGet>({.id = created->id});
        return c.metric("kai_cache_degraded", {{"service", "membership"}}).value_or(1) == 0;
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(c.call<OrganizationGet>({.id = created->id})->name, "武警浙江总队杭州疗养院");
}

TEST(MembershipRegistry, StructureOfficesAndWorkingGroups) {
  MembershipCluster c;
  auto alliance = c.call<NodeCreate>({.tier = NodeTier::alliance,
                                      .name = "凯旋街道凯联盟",
                                      .parent_id = std::nullopt,
                                      .head = std::nullopt});
  ASSERT_TRUE(alliance.ok());
  // Tier rules, sibling names, missing parents.
  EXPECT_EQ(c.call<NodeCreate>({.tier = NodeTier::alliance,
                                .name = "第二个联盟",
                                .parent_id = std::nullopt,
                                .head = std::nullopt})
                .status()
                .code(),
            StatusCode::already_exists);
  EXPECT_EQ(c.call<NodeCreate>({.tier = NodeTier::grid,
                                .name = "网格",
                                .parent_id = alliance->id,
                                .head = std::nullopt})
                .status()
                .field(),
            "parent_id");
  EXPECT_EQ(
      c.call<NodeCreate>(
           {.tier = NodeTier::community, .name = "社区", .parent_id = 77, .head = std::nullopt})
          .status()
          .code(),
      StatusCode::not_found);
  std::vector<std::int64_t> stations;
  for (int i = 1; i <= 3; ++i) {
    auto s = c.call<NodeCreate>({.tier = NodeTier::community,
                                 .name = "社区" + std::to_string(i),
                                 .parent_id = alliance->id,
                                 .head = std::nullopt});
    ASSERT_TRUE(s.ok());
    stations.push_back(s->id);
  }
  EXPECT_EQ(c.call<NodeCreate>({.tier = NodeTier::community,
                                .name = "社区1",
                                .parent_id = alliance->id,
                                .head = std::nullopt})
                .status()
                .code(),
            StatusCode::already_exists);
  ASSERT_TRUE(c.call<NodeCreate>({.tier = NodeTier::grid,
                                  .name = "网格1",
                                  .parent_id = stations[0],
                                  .head = std::nullopt})
                  .ok());
  EXPECT_EQ(c.call<NodeGet>({.id = 999}).status().code(), StatusCode::not_found);
  NodeUpdateRequest head;
  head.id = stations[1];
  head.head = Person{.name = "周敏", .title = "社区书记", .phone = "0571-86001234"};
  EXPECT_EQ(c.call<NodeUpdate>(head)->head->name, "周敏");
  NodeUpdateRequest clash;
  clash.id = stations[1];
  clash.name = "社区1";
  EXPECT_EQ(c.call<NodeUpdate>(clash).status().code(), StatusCode::already_exists);

  // Tree order: each station followed by its grid.
  NodeListRequest nodes;
  nodes.limit = 3;
  auto first = c.call<NodeList>(nodes);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 3u);
  EXPECT_EQ(first->items[1].name, "社区1");
  EXPECT_EQ(first->items[2].name, "网格1");
  nodes.cursor = first->next_cursor;
  EXPECT_EQ(c.call<NodeList>(nodes)->items.size(), 2u);
  NodeListRequest grids;
  grids.tier = NodeTier::grid;
  EXPECT_EQ(c.call<NodeList>(grids)->items.size(), 1u);

  // Offices: a new chair ends the previous chair's tenure the day before.
  auto chair = c.call<PositionAssign>(
      {.title = PositionTitle::chair,
       .holder = Person{.name = "甲", .title = "街道党工委书记", .phone = std::nullopt},
       .since = "2014-01-01"});
  ASSERT_TRUE(chair.ok());
  auto next_chair = c.call<PositionAssign>(
      {.title = PositionTitle::chair,
       .holder = Person{.name = "乙", .title = "街道党工委书记", .phone = std::nullopt},
       .since = "2021-06-01"});
  ASSERT_TRUE(next_chair.ok());
  EXPECT_EQ(c.call<PositionAssign>({.title = PositionTitle::chair,
                                    .holder = Person{.name = "丙", .title = {}, .phone = {}},
                                    .since = "2020-01-01"})
                .status()
                .code(),
            StatusCode::failed_precondition);
  PositionListRequest all_positions;
  auto positions = c.call<PositionList>(all_positions);
  ASSERT_TRUE(positions.ok());
  ASSERT_EQ(positions->items.size(), 2u);
  EXPECT_TRUE(positions->items[0].current);
  EXPECT_EQ(positions->items[1].until, "2021-05-31");
  auto vice = c.call<PositionAssign>(
      {.title = PositionTitle::vice_chair,
       .holder = Person{.name = "丁", .title = "街道办事处主任", .phone = std::nullopt},
       .since = "2021-06-01"});
  ASSERT_TRUE(vice.ok());
  EXPECT_FALSE(c.call<PositionEnd>({.id = vice->id, .until = "2023-01-01"})->current);
  EXPECT_EQ(c.call<PositionEnd>({.id = vice->id, .until = "2023-01-01"}).status().code(),
            StatusCode::failed_precondition);
  EXPECT_EQ(c.call<PositionEnd>({.id = 999, .until = "2023-01-01"}).status().code(),
            StatusCode::not_found);
  PositionListRequest current;
  current.current_only = true;
  EXPECT_EQ(c.call<PositionList>(current)->items.size(), 1u);

  // Working groups, with unique codes and names.
  WorkingGroupCreateRequest wg;
  wg.code = "ecology";
  wg.name = "生态环境";
  wg.leader = Person{.name = "吴刚", .title = "城管科科长", .phone = std::nullopt};
  auto group = c.call<WorkingGroupCreate>(wg);
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(c.call<WorkingGroupCreate>(wg).status().code(), StatusCode::already_exists);
  wg.code = "Bad Code";
  EXPECT_EQ(c.call<WorkingGroupCreate>(wg).status().field(), "code");
  WorkingGroupCreateRequest other;
  other.code = "civility";
  other.name = "精神文明";
  ASSERT_TRUE(c.call<WorkingGroupCreate>(other).ok());
  WorkingGroupUpdateRequest rename;
  rename.id = group->id;
  rename.name = "精神文明";
  EXPECT_EQ(c.call<WorkingGroupUpdate>(rename).status().code(), StatusCode::already_exists);
  rename.name = std::nullopt;
  rename.leader_since = "2024-01-01";
  EXPECT_EQ(c.call<WorkingGroupUpdate>(rename)->leader_since, "2024-01-01");
  rename.id = 999;
  EXPECT_EQ(c.call<WorkingGroupUpdate>(rename).status().code(), StatusCode::not_found);
  EXPECT_EQ(c.call<WorkingGroupGet>({.id = group->id})->code, "ecology");
  EXPECT_EQ(c.call<WorkingGroupGet>({.id = 999}).status().code(), StatusCode::not_found);
  WorkingGroupListRequest groups;
  groups.limit = 1;
  auto first_group = c.call<WorkingGroupList>(groups);
  ASSERT_TRUE(first_group.ok());
  EXPECT_EQ(first_group->items.size(), 1u);
  groups.cursor = first_group->next_cursor;
  EXPECT_EQ(c.call<WorkingGroupList>(groups)->items.at(0).code, "civility");

  StructureGetRequest none;
  auto structure = c.call<StructureGet>(none);
  ASSERT_TRUE(structure.ok());
  EXPECT_EQ(structure->nodes.size(), 5u);
  EXPECT_EQ(structure->positions.size(), 1u);
  EXPECT_EQ(structure->working_groups.size(), 2u);
}

TEST(MembershipRegistry, BusinessGaugesAndDemoDataOnMetrics) {
  MembershipCluster c({.redis = true, .demo_data = true, .extra = {}});
  EXPECT_TRUE(wait_until([&] {
    return c.metric("kai_membership_organizations", {{"kind", "enterprise"}}).has_value();
  }));
  EXPECT_EQ(c.metric("kai_membership_terms_active"), 37);
  EXPECT_EQ(c.metric("kai_membership_organizations", {{"kind", "institution"}}), 10);
  EXPECT_EQ(c.metric("kai_membership_organizations", {{"kind", "enterprise"}}), 13);
  EXPECT_EQ(c.metric("kai_membership_organizations", {{"kind", "small_enterprise"}}), 14);
  EXPECT_EQ(c.metric("kai_membership_organizations", {{"kind", "government"}}), 5);
  EXPECT_EQ(c.metric("kai_membership_projects", {{"status", "active"}}), 1);
  EXPECT_EQ(c.metric("kai_membership_problems_open"), 0);
  EXPECT_TRUE(c.metric("kai_membership_terms_expiring_90d").has_value());
  EXPECT_TRUE(c.metric("kai_membership_activities_year").has_value());
  EXPECT_TRUE(c.metric("kai_membership_participant_times_year").has_value());
  EXPECT_TRUE(c.metric("kai_membership_problems_overdue").has_value());

  // The gauges follow the data.
  ProblemRecordRequest p;
  p.source = ProblemSource::resident;
  p.title = "楼道灯不亮";
  ASSERT_TRUE(c.call<ProblemRecord>(p).ok());
  EXPECT_TRUE(wait_until([&] { return c.metric("kai_membership_problems_open") == 1; }));

  // RED metrics per operation.
  EXPECT_TRUE(c.metric("kai_requests_total",
                       {{"service", "membership"}, {"op", "problem.record"}, {"code", "ok"}})
                  .has_value());

  // A restart keeps the demo data and does not load it twice.
  ASSERT_EQ(c.stop_service(), 0);
  c.start_service();
  OrganizationListRequest all;
  all.limit = 200;
  EXPECT_EQ(c.call<OrganizationList>(all)->items.size(), 65u);
}

}  // namespace
}  // namespace kai
