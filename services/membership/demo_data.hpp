// Demo data (KAI_DEMO_DATA=true): the real structure of the 凯联盟 as the source describes it.
//
// Real, from the source: the three tiers and their heads by title (the chair is the subdistrict
// party working committee secretary, the vice chairs its deputy secretary and the head of the
// subdistrict office, the office director a committee member; station heads are community
// secretaries, grid alliances are led by grid leaders), 14 community stations, the working groups
// it names (党群建设, 经济发展, 平安维稳, 民生保障, 生态环境, 精神文明), the 8 member units it
// names, 37 member units in all, five-year terms, the activity themes (五水共治, 三美凯旋,
// 贴心就业) and the ledger's size (494 activities, 20,000+ participant-times since 2014), the
// Tiesha river water project with the provincial institute and the parking problem of an
// agricultural department.
//
// Sample, and marked "【示例】" in every name: people's names, the community and grid names, the
// seventh working group (the source says seven but names six), the 29 units the source does not
// name, dates it does not give, and each activity's details.
#pragma once

#include <string_view>
#include <vector>

#include "schema/membership.hpp"

namespace kai::membership::demo {

inline constexpr std::string_view kSampleMark = "【示例】";

struct Unit {
  std::string_view name;
  msg::membership::OrganizationKind kind;
  bool named_in_source;
};

// The 37 member units: the 8 the source names first, then 29 sample units.
const std::vector<Unit>& units();

inline constexpr int kCommunities = 14;
inline constexpr int kGridsPerCommunity = 2;

struct Group {
  std::string_view code;
  std::string_view name;
  std::string_view description;
};
// The seven working groups: the six the source names, then the sample seventh.
const std::vector<Group>& working_groups();

// Activity themes of the ledger and the working group (code) each belongs to.
struct Theme {
  std::string_view name;
  std::string_view group_code;
};
const std::vector<Theme>& themes();

inline constexpr int kActivities = 494;
// Participant-times of the i-th demo activity (0-based); they add up to 20,746.
int participant_times(int i);

}  // namespace kai::membership::demo
