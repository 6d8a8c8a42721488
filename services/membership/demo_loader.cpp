#include "membership/demo_loader.hpp"

#include <map>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "membership/activity_store.hpp"
#include "membership/agreement_store.hpp"
#include "membership/demo_data.hpp"
#include "membership/handlers.hpp"
#include "membership/meeting_store.hpp"
#include "membership/need_store.hpp"
#include "membership/node_store.hpp"
#include "membership/office_store.hpp"
#include "membership/organization_store.hpp"
#include "membership/problem_rules.hpp"
#include "membership/problem_store.hpp"
#include "membership/project_store.hpp"
#include "membership/row_helpers.hpp"
#include "membership/term_store.hpp"
#include "membership/working_group_store.hpp"

namespace kai::membership {
namespace {

using namespace msg::membership;

std::string sample(std::string_view text) {
  return std::string(demo::kSampleMark) + std::string(text);
}

Person person(std::string_view title) {
  return Person{.name = sample(title), .title = std::string(title), .phone = std::nullopt};
}

// Everything below runs in the start-up transaction; any failure rolls all of it back.
class Loader {
 public:
  explicit Loader(svc::WriteContext& ctx)
      : ctx_(ctx), tx_(ctx.tx()), now_(ctx.now()), today_(day_of(now_)) {}

  Status run() {
    KAI_RETURN_IF_ERROR(structure());
    KAI_RETURN_IF_ERROR(offices());
    KAI_RETURN_IF_ERROR(groups());
    KAI_RETURN_IF_ERROR(organizations());
    KAI_RETURN_IF_ERROR(terms_and_agreements());
    KAI_RETURN_IF_ERROR(activities());
    KAI_RETURN_IF_ERROR(project());
    KAI_RETURN_IF_ERROR(problem());
    return meeting();
  }

 private:
  Status node(NodeTier tier, std::string name, std::optional<std::int64_t> parent,
              std::string_view head_title, std::int64_t* id) {
    auto n = create_node(
        tx_,
        {.tier = tier, .name = std::move(name), .parent_id = parent, .head = person(head_title)},
        now_);
    if (!n.ok()) return n.status();
    *id = n->id;
    return ctx_.emit(NodeChangedEvent{.id = n->id,
                                      .change = NodeChangedEvent::Change::created,
                                      .tier = n->tier,
                                      .name = n->name,
                                      .parent_id = n->parent_id,
                                      .at = now_});
  }

  Status structure() {
    KAI_RETURN_IF_ERROR(
        node(NodeTier::alliance, "凯旋街道凯联盟", std::nullopt, "街道党工委书记", &alliance_));
    for (int c = 1; c <= demo::kCommunities; ++c) {
      std::int64_t community = 0;
      const std::string num = (c < 10 ? "0" : "") + std::to_string(c);
      KAI_RETURN_IF_ERROR(node(NodeTier::community, sample("第" + num + "社区凯联盟工作站"),
                               alliance_, "社区书记", &community));
      for (int g = 1; g <= demo::kGridsPerCommunity; ++g) {
        std::int64_t grid = 0;
        KAI_RETURN_IF_ERROR(node(NodeTier::grid,
                                 sample("第" + num + "社区第" + std::to_string(g) + "网格凯联盟"),
                                 community, "网格长", &grid));
        grids_.push_back(grid);
      }
    }
    return Status::Ok();
  }

  Status office(PositionTitle title, std::string_view holder_title) {
    auto p = assign_position(
        tx_, {.title = title, .holder = person(holder_title), .since = "2014-01-01"}, now_,
        nullptr);
    if (!p.ok()) return p.status();
    return ctx_.emit(PositionChangedEvent{.id = p->id,
                                          .change = PositionChangedEvent::Change::assigned,
                                          .title = p->title,
                                          .holder = p->holder.name,
                                          .at = now_});
  }

  Status offices() {
    KAI_RETURN_IF_ERROR(office(PositionTitle::chair, "街道党工委书记"));
    KAI_RETURN_IF_ERROR(office(PositionTitle::vice_chair, "街道党工委副书记"));
    KAI_RETURN_IF_ERROR(office(PositionTitle::vice_chair, "街道办事处主任"));
    return office(PositionTitle::office_director, "街道党工委委员");
  }

  Status groups() {
    for (const demo::Group& g : demo::working_groups()) {
      auto wg = create_working_group(tx_,
                                     {.code = std::string(g.code),
                                      .name = std::string(g.name),
                                      .description = std::string(g.description),
                                      .leader = person("条线负责人"),
                                      .leader_since = "2014-01-01"},
                                     now_);
      if (!wg.ok()) return wg.status();
      group_ids_[std::string(g.code)] = wg->id;
      KAI_RETURN_IF_ERROR(
          ctx_.emit(WorkingGroupChangedEvent{.id = wg->id,
                                             .change = WorkingGroupChangedEvent::Change::created,
                                             .code = wg->code,
                                             .at = now_}));
    }
    return Status::Ok();
  }

  Status organization(OrganizationCreateRequest req, std::int64_t* id) {
    auto o = create_organization(tx_, req, now_);
    if (!o.ok()) return o.status();
    *id = o->id;
    return ctx_.emit(OrganizationChangedEvent{.id = o->id,
                                              .change = OrganizationChange::created,
                                              .version = o->version,
                                              .name = o->name,
                                              .kind = o->kind,
                                              .at = now_});
  }

  Status organizations() {
    for (const demo::Unit& u : demo::units()) {
      std::int64_t id = 0;
      std::vector<std::string> tags = {"凯联盟成员单位"};
      if (!u.named_in_source) tags.push_back("sample");
      OrganizationCreateRequest req;
      req.name = std::string(u.name);
      req.kind = u.kind;
      req.node_id = alliance_;
      req.tags = tags;
      req.joined_on = "2014-03-01";
      KAI_RETURN_IF_ERROR(organization(std::move(req), &id));
      units_.push_back(id);
    }
    // Grids hold the small enterprises and social organisations near them (sample).
    for (std::size_t i = 0; i < grids_.size(); ++i) {
      std::int64_t id = 0;
      const bool social = i % 2 == 1;
      OrganizationCreateRequest req;
      req.name = sample((social ? "网格社会组织" : "网格小微企业") + std::to_string(i + 1));
      req.kind = social ? OrganizationKind::social : OrganizationKind::small_enterprise;
      req.node_id = grids_[i];
      req.tags = std::vector<std::string>{"sample"};
      KAI_RETURN_IF_ERROR(organization(std::move(req), &id));
    }
    return Status::Ok();
  }

  Status term_event(const Term& t, TermChangedEvent::Change change) {
    return ctx_.emit(TermChangedEvent{.id = t.id,
                                      .organization_id = t.organization_id,
                                      .change = change,
                                      .status = t.status,
                                      .start_on = t.start_on,
                                      .end_on = t.end_on,
                                      .at = now_});
  }

  Status agreement_event(const Agreement& a, AgreementChangedEvent::Change change) {
    return ctx_.emit(AgreementChangedEvent{.id = a.id,
                                           .organization_id = a.organization_id,
                                           .change = change,
                                           .status = a.status,
                                           .at = now_});
  }

  // Every unit joined in 2014 (凯工委〔2014〕23号) and renewed its five-year term since; each
  // signed a co-building agreement for its current term.
  Status terms_and_agreements() {
    for (std::int64_t org : units_) {
      auto t = start_term(tx_, {.organization_id = org, .start_on = "2014-03-01"}, today_, now_);
      if (!t.ok()) return t.status();
      KAI_RETURN_IF_ERROR(term_event(*t, TermChangedEvent::Change::started));
      Term current = *t;
      for (const char* start : {"2019-03-01", "2024-03-01"}) {
        if (*parse_date(start) > today_) break;
        auto next = renew_term(tx_, {.id = current.id, .start_on = std::string(start)}, today_,
                               now_, nullptr);
        if (!next.ok()) return next.status();
        KAI_RETURN_IF_ERROR(term_event(*next, TermChangedEvent::Change::renewed));
        current = *next;
      }
      auto a = create_agreement(
          tx_,
          {.organization_id = org,
           .title = "区域共建协议",
           .start_on = current.start_on,
           .end_on = current.end_on,
           .subdistrict_provides = {SubdistrictService::human_resources,
                                    SubdistrictService::training,
                                    SubdistrictService::medical_access,
                                    SubdistrictService::schooling_access,
                                    SubdistrictService::public_services},
           .unit_opens = {UnitFacility::party_building, UnitFacility::culture,
                          UnitFacility::education, UnitFacility::sports},
           .commitments =
               "按照双向服务的原则：街道整合人力资源、教育培训、就医就学、公共保障等公共服务"
               "资源为成员单位服务；成员单位将党建、文化、教育、体育等活动设施向社区党员群众开放"
               "。"},
          now_);
      if (!a.ok()) return a.status();
      KAI_RETURN_IF_ERROR(agreement_event(*a, AgreementChangedEvent::Change::created));
      if (day(current.start_on) <= today_) {
        auto s = sign_agreement(tx_, {.id = a->id, .signed_on = current.start_on}, today_, now_);
        if (!s.ok()) return s.status();
        KAI_RETURN_IF_ERROR(agreement_event(*s, AgreementChangedEvent::Change::signed_));
      }
    }
    return Status::Ok();
  }

  // 494 activities from March 2014 to June 2016 (the source's figure), spread over the units.
  Status activities() {
    const CivilDays first = *parse_date("2014-03-01");
    const CivilDays last = *parse_date("2016-06-30");
    const auto& themes = demo::themes();
    for (int i = 0; i < demo::kActivities; ++i) {
      const demo::Theme& theme = themes[static_cast<std::size_t>(i) % themes.size()];
      const CivilDays held = first + (last - first) * i / (demo::kActivities - 1);
      std::vector<std::int64_t> orgs = {units_[static_cast<std::size_t>(i) % units_.size()]};
      if (i % 3 == 0) orgs.push_back(units_[static_cast<std::size_t>(i + 7) % units_.size()]);
      ActivityRecordRequest req;
      req.title = sample(std::string(theme.name) + "共建活动 " + std::to_string(i + 1));
      req.held_on = format_date(held);
      req.organization_ids = orgs;
      req.working_group_id = group_ids_.at(std::string(theme.group_code));
      req.participant_times = demo::participant_times(i);
      req.theme = std::string(theme.name);
      auto a = record_activity(tx_, req, now_);
      if (!a.ok()) return a.status();
      KAI_RETURN_IF_ERROR(ctx_.emit(ActivityRecordedEvent{.id = a->id,
                                                          .source = a->source,
                                                          .held_on = a->held_on,
                                                          .participant_times = a->participant_times,
                                                          .organization_ids = a->organization_ids,
                                                          .at = now_}));
    }
    return Status::Ok();
  }

  Status project_event(const Project& p, ProjectChangedEvent::Change change,
                       std::optional<std::int64_t> reward = std::nullopt) {
    return ctx_.emit(ProjectChangedEvent{.id = p.id,
                                         .change = change,
                                         .status = p.status,
                                         .lead_organization_id = p.lead_organization_id,
                                         .reward = reward,
                                         .at = now_});
  }

  Status need_event(const Need& n, NeedChangedEvent::Change change) {
    return ctx_.emit(NeedChangedEvent{
        .id = n.id, .change = change, .status = n.status, .project_id = n.project_id, .at = now_});
  }

  // The provincial institute's experts analyse the Tiesha river's water regularly (the source);
  // the plan dates, the evaluation and its reward are sample.
  Status project() {
    const std::int64_t institute = units_[3];  // 浙江省水利河口研究院
    NeedCreateRequest need_req;
    need_req.year = 2016;
    need_req.title = "贴沙河水质分析和环境评估";
    need_req.description = "五水共治：定期对贴沙河进行水质分析和环境评估。";
    need_req.source = NeedSource::survey;
    need_req.working_group_id = group_ids_.at("ecology");
    auto need = create_need(tx_, need_req, now_);
    if (!need.ok()) return need.status();
    KAI_RETURN_IF_ERROR(need_event(*need, NeedChangedEvent::Change::created));
    NeedClaimRequest claim;
    claim.id = need->id;
    claim.working_group_id = group_ids_.at("ecology");
    claim.lead_organization_id = institute;
    claim.partner_organization_ids = std::vector<std::int64_t>{units_[7]};
    Need claimed;
    auto p = claim_need(tx_, claim, now_, &claimed);
    if (!p.ok()) return p.status();
    KAI_RETURN_IF_ERROR(need_event(claimed, NeedChangedEvent::Change::claimed));
    KAI_RETURN_IF_ERROR(project_event(*p, ProjectChangedEvent::Change::created));
    for (const auto& [title, due] : {std::pair{"【示例】制定采样与评估方案", "2016-03-31"},
                                     std::pair{"【示例】每季度水质采样分析", "2016-12-31"}}) {
      auto s = add_step(tx_, {.id = p->id, .title = title, .due_on = due}, now_);
      if (!s.ok()) return s.status();
      KAI_RETURN_IF_ERROR(project_event(*s, ProjectChangedEvent::Change::step_added));
    }
    ProjectSetStatusRequest start;
    start.id = p->id;
    start.status = ProjectStatus::active;
    auto active = set_project_status(tx_, start, now_);
    if (!active.ok()) return active.status();
    KAI_RETURN_IF_ERROR(project_event(*active, ProjectChangedEvent::Change::status_changed));
    ProjectFileReportRequest report_req;
    report_req.id = p->id;
    report_req.year = 2016;
    report_req.quarter = 1;
    report_req.summary = "【示例】完成采样点位布设和首轮水质分析。";
    report_req.progress_percent = 25;
    auto report = file_report(tx_, report_req, today_, now_);
    if (!report.ok()) return report.status();
    auto evaluation = evaluate_project(tx_,
                                       {.id = p->id,
                                        .year = 2016,
                                        .half = 1,
                                        .score = 90,
                                        .comments = "【示例】运作顺畅，机制完善。",
                                        .reward = 500000,
                                        .evaluated_on = "2016-06-30"},
                                       today_, now_);
    if (!evaluation.ok()) return evaluation.status();
    auto after = get_project(tx_, p->id);
    if (!after.ok()) return after.status();
    return project_event(*after, ProjectChangedEvent::Change::evaluated, evaluation->reward);
  }

  Status problem_event(const Problem& p, ProblemChangedEvent::Change change) {
    return ctx_.emit(ProblemChangedEvent{.id = p.id,
                                         .change = change,
                                         .status = p.status,
                                         .organization_id = p.organization_id,
                                         .at = now_});
  }

  // An agricultural department's building works left it short of parking; the subdistrict found
  // spaces nearby (the source). Who handled it is sample.
  Status problem() {
    ProblemRecordRequest record;
    record.source = ProblemSource::staff;
    record.title = "工作大楼改造后停车位紧张";
    record.description = "辖区某农业部门在工作大楼改造后，停车位问题突出。";
    auto p = record_problem(tx_, record, today_, now_);
    if (!p.ok()) return p.status();
    KAI_RETURN_IF_ERROR(problem_event(*p, ProblemChangedEvent::Change::recorded));
    auto t = triage_problem(tx_,
                            {.id = p->id,
                             .category = ProblemCategory::parking_traffic,
                             .priority = ProblemPriority::normal},
                            today_, now_);
    if (!t.ok()) return t.status();
    KAI_RETURN_IF_ERROR(problem_event(*t, ProblemChangedEvent::Change::triaged));
    ProblemAssignRequest assign;
    assign.id = p->id;
    assign.handler = sample("街道城市管理科");
    assign.due_on = format_date(today_ + 30);
    auto a = assign_problem(tx_, assign, today_, now_);
    if (!a.ok()) return a.status();
    KAI_RETURN_IF_ERROR(problem_event(*a, ProblemChangedEvent::Change::assigned));
    auto r = resolve_problem(
        tx_,
        {.id = p->id, .resolution = "街道在周边小区、道路寻找可利用的停车资源，解决了停车难问题。"},
        today_, now_);
    if (!r.ok()) return r.status();
    return problem_event(*r, ProblemChangedEvent::Change::resolved);
  }

  Status meeting_event(const Meeting& m, MeetingChangedEvent::Change change) {
    return ctx_.emit(MeetingChangedEvent{
        .id = m.id, .change = change, .kind = m.kind, .status = m.status, .at = now_});
  }

  // The annual joint meeting of 2016 with every member unit invited (details sample).
  Status meeting() {
    const UnixMillis at =
        static_cast<UnixMillis>(*parse_date("2016-01-15")) * 86'400'000 + 6 * 3'600'000;
    MeetingCreateRequest create;
    create.kind = MeetingKind::annual_joint;
    create.title = "【示例】2016年度凯联盟联席会议";
    create.scheduled_at = at;
    create.location = "【示例】凯旋街道会议室";
    auto m = create_meeting(tx_, create, now_);
    if (!m.ok()) return m.status();
    KAI_RETURN_IF_ERROR(meeting_event(*m, MeetingChangedEvent::Change::created));
    auto inv = invite_to_meeting(tx_, {.id = m->id, .organization_ids = units_}, now_);
    if (!inv.ok()) return inv.status();
    KAI_RETURN_IF_ERROR(meeting_event(*inv, MeetingChangedEvent::Change::invited));
    if (now_ < at) return Status::Ok();
    auto held =
        hold_meeting(tx_, {.id = m->id, .minutes = "【示例】审议年度“七携手七共建”项目。"}, now_);
    if (!held.ok()) return held.status();
    KAI_RETURN_IF_ERROR(meeting_event(*held, MeetingChangedEvent::Change::held));
    std::vector<Invitation> records;
    for (std::size_t i = 0; i < units_.size(); ++i) {
      records.push_back(
          {.organization_id = units_[i], .attended = i % 12 != 11, .attendee = std::nullopt});
    }
    auto att = record_attendance(tx_, {.id = m->id, .records = records}, now_);
    if (!att.ok()) return att.status();
    KAI_RETURN_IF_ERROR(meeting_event(*att, MeetingChangedEvent::Change::attendance_recorded));
    MeetingAddResolutionRequest resolution;
    resolution.id = m->id;
    resolution.text = "【示例】各成员单位年初认领需求，制订“七携手七共建”项目实施方案。";
    auto res = add_resolution(tx_, resolution, now_);
    if (!res.ok()) return res.status();
    return meeting_event(*res, MeetingChangedEvent::Change::resolution_added);
  }

  svc::WriteContext& ctx_;
  store::Tx& tx_;
  UnixMillis now_;
  CivilDays today_;
  std::int64_t alliance_ = 0;
  std::vector<std::int64_t> grids_;
  std::vector<std::int64_t> units_;
  std::map<std::string, std::int64_t> group_ids_;
};

}  // namespace

Status load_demo_data(svc::WriteContext& ctx) {
  auto counts = ctx.tx().query_one(
      "SELECT (SELECT COUNT(*) FROM organization) AS orgs, (SELECT COUNT(*) FROM node) AS nodes");
  if (!counts.ok()) return counts.status();
  if ((*counts)->int64("orgs") > 0 || (*counts)->int64("nodes") > 0) {
    log::info("demo data not loaded: the registry holds data already")
        .kv("organizations", (*counts)->int64("orgs"))
        .kv("nodes", (*counts)->int64("nodes"));
    return Status::Ok();
  }
  KAI_RETURN_IF_ERROR(Loader(ctx).run());
  log::info("demo data loaded")
      .kv("units", static_cast<std::int64_t>(demo::units().size()))
      .kv("communities", demo::kCommunities)
      .kv("activities", demo::kActivities);
  return Status::Ok();
}

}  // namespace kai::membership
