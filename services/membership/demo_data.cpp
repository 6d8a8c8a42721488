#include "membership/demo_data.hpp"

namespace kai::membership::demo {

using K = msg::membership::OrganizationKind;

const std::vector<Unit>& units() {
  static const std::vector<Unit> kUnits = [] {
    std::vector<Unit> u = {
        {"浙江大学华家池校区", K::institution, true},
        {"杭州凯旋教育集团", K::institution, true},
        {"浙江省农业厅", K::government, true},
        {"浙江省水利河口研究院", K::institution, true},
        {"武警杭州疗养院", K::institution, true},
        {"杭州市滨江房产集团股份有限公司", K::enterprise, true},
        {"张生记酒店餐饮(集团)杭州管理公司", K::enterprise, true},
        {"杭州蓝天园林生态科技股份有限公司", K::enterprise, true},
    };
    // The other 29 of the 37: the three kinds the source lists (bodies and institutions, key
    // enterprises, "two new" organisations), with sample names.
    static const char* const kSample[] = {
        "【示例】成员单位09（机关）",     "【示例】成员单位10（机关）",
        "【示例】成员单位11（机关）",     "【示例】成员单位12（机关）",
        "【示例】成员单位13（事业单位）", "【示例】成员单位14（事业单位）",
        "【示例】成员单位15（事业单位）", "【示例】成员单位16（事业单位）",
        "【示例】成员单位17（事业单位）", "【示例】成员单位18（事业单位）",
        "【示例】成员单位19（企业）",     "【示例】成员单位20（企业）",
        "【示例】成员单位21（企业）",     "【示例】成员单位22（企业）",
        "【示例】成员单位23（企业）",     "【示例】成员单位24（企业）",
        "【示例】成员单位25（企业）",     "【示例】成员单位26（企业）",
        "【示例】成员单位27（企业）",     "【示例】成员单位28（企业）",
        "【示例】成员单位29（两新组织）", "【示例】成员单位30（两新组织）",
        "【示例】成员单位31（两新组织）", "【示例】成员单位32（两新组织）",
        "【示例】成员单位33（两新组织）", "【示例】成员单位34（两新组织）",
        "【示例】成员单位35（两新组织）", "【示例】成员单位36（两新组织）",
        "【示例】成员单位37（两新组织）",
    };
    for (int i = 0; i < 29; ++i) {
      const K kind = i < 4    ? K::government
                     : i < 10 ? K::institution
                     : i < 20 ? K::enterprise
                              : K::two_new;
      u.push_back({kSample[i], kind, false});
    }
    return u;
  }();
  return kUnits;
}

const std::vector<Group>& working_groups() {
  static const std::vector<Group> kGroups = {
      {"party_mass", "党群建设", "党建共建专项工作组：党群建设，由条线负责人兼任组长。"},
      {"economy", "经济发展", "党建共建专项工作组：经济发展，由条线负责人兼任组长。"},
      {"public_safety", "平安维稳", "党建共建专项工作组：平安维稳，由条线负责人兼任组长。"},
      {"livelihood", "民生保障", "党建共建专项工作组：民生保障，由条线负责人兼任组长。"},
      {"ecology", "生态环境", "党建共建专项工作组：生态环境，由条线负责人兼任组长。"},
      {"civility", "精神文明", "党建共建专项工作组：精神文明，由条线负责人兼任组长。"},
      {"sample_seventh", "【示例】第七专项工作组",
       "示例数据：来源材料称共有七个专项工作组，但只列出六个；此组代表未列出的第七组。"},
  };
  return kGroups;
}

const std::vector<Theme>& themes() {
  static const std::vector<Theme> kThemes = {
      {"五水共治", "ecology"},    {"三美凯旋", "civility"},      {"贴心就业", "livelihood"},
      {"党建共建", "party_mass"}, {"平安巡防", "public_safety"},
  };
  return kThemes;
}

int participant_times(int i) {
  return 40 + i % 5;
}

}  // namespace kai::membership::demo
