#include "membership/activity_store.hpp"

#include <algorithm>
#include <map>
#include <string>

#include "membership/ledger_periods.hpp"
#include "membership/node_store.hpp"
#include "membership/organization_store.hpp"
#include "membership/paged_query.hpp"
#include "membership/row_helpers.hpp"
#include "membership/working_group_store.hpp"

namespace kai::membership {
namespace {

using msgs::Activity;
using msgs::ActivitySource;

constexpr std::string_view kColumns =
    "SELECT a.id, a.title, a.held_on, a.working_group_id, a.node_id, a.participant_times, "
    "a.theme, a.source, a.source_ref, a.created_at FROM activity a ";

Result<Activity> activity_from_row(store::Tx& tx, const store::Row& row) {
  Activity a;
  a.id = row.int64("id");
  a.title = row.text("title");
  a.held_on = row.text("held_on");
  a.working_group_id = row.opt_int64("working_group_id");
  a.node_id = row.opt_int64("node_id");
  a.participant_times = static_cast<std::int32_t>(row.int64("participant_times"));
  a.theme = row.opt_text("theme");
  auto source = enum_of<ActivitySource>(row, "source");
  if (!source.ok()) return source.status();
  a.source = *source;
  a.source_ref = row.opt_text("source_ref");
  a.created_at = row.int64("created_at");
  auto orgs = tx.query(
      "SELECT organization_id FROM activity_organization WHERE activity_id = ? "
      "ORDER BY organization_id",
      {a.id});
  if (!orgs.ok()) return orgs.status();
  for (const store::Row& r : *orgs)
    a.organization_ids.push_back(r.int64(0));
  return a;
}

struct NewActivity {
  std::string title = {};
  std::string held_on = {};
  std::vector<std::int64_t> organization_ids = {};
  std::optional<std::int64_t> working_group_id = {};
  std::optional<std::int64_t> node_id = {};
  std::int32_t participant_times = 0;
  std::optional<std::string> theme = {};
  ActivitySource source = ActivitySource::direct;
  std::optional<std::string> source_ref = {};
};

Result<Activity> insert_activity(store::Tx& tx, const NewActivity& a, UnixMillis now) {
  auto row = tx.query_one(
      "INSERT INTO activity(title, held_on, working_group_id, node_id, participant_times, theme, "
      "source, source_ref, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {a.title, a.held_on, a.working_group_id, a.node_id, a.participant_times, a.theme,
       msgs::to_string(a.source), a.source_ref, now});
  if (!row.ok()) return row.status();
  const std::int64_t id = (*row)->int64("id");
  for (std::int64_t org : a.organization_ids) {
    KAI_RETURN_IF_ERROR(tx.exec(
        "INSERT INTO activity_organization(activity_id, organization_id) VALUES(?, ?)", {id, org}));
  }
  return get_activity(tx, id);
}

// The [from, to] range of a request as SQL conditions on a.held_on.
void add_range(std::vector<std::string>& where, std::vector<store::Value>& params,
               const std::optional<std::string>& from, const std::optional<std::string>& to) {
  if (from) {
    where.push_back("a.held_on >= ?");
    params.emplace_back(*from);
  }
  if (to) {
    where.push_back("a.held_on <= ?");
    params.emplace_back(*to);
  }
}

std::string where_clause(const std::vector<std::string>& where) {
  std::string sql;
  for (std::size_t i = 0; i < where.size(); ++i)
    sql += (i == 0 ? " WHERE " : " AND ") + where[i];
  return sql;
}

}  // namespace

Result<Activity> get_activity(store::Tx& tx, std::int64_t id) {
  auto row = tx.query_one(std::string(kColumns) + "WHERE a.id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return not_found("activity " + std::to_string(id) + " does not exist");
  return activity_from_row(tx, **row);
}

Result<Activity> record_activity(store::Tx& tx, const msgs::ActivityRecordRequest& req,
                                 UnixMillis now) {
  KAI_RETURN_IF_ERROR(require_organizations(tx, req.organization_ids, "organization_ids"));
  if (req.working_group_id) {
    KAI_RETURN_IF_ERROR(require_working_group(tx, *req.working_group_id, "working_group_id"));
  }
  if (req.node_id) KAI_RETURN_IF_ERROR(require_node(tx, *req.node_id, "node_id"));
  return insert_activity(tx,
                         {.title = req.title,
                          .held_on = req.held_on,
                          .organization_ids = req.organization_ids,
                          .working_group_id = req.working_group_id,
                          .node_id = req.node_id,
                          .participant_times = req.participant_times,
                          .theme = req.theme,
                          .source = ActivitySource::direct,
                          .source_ref = std::nullopt},
                         now);
}

Result<std::optional<Activity>> record_reported_activity(
    store::Tx& tx, ActivitySource source, const msg::common::ActivityCompletion& report,
    UnixMillis now, int* dropped) {
  auto seen = tx.query_one("SELECT id FROM activity WHERE source = ? AND source_ref = ?",
                           {msgs::to_string(source), report.ref});
  if (!seen.ok()) return seen.status();
  if (*seen) return std::optional<Activity>();
  NewActivity a{.title = report.title,
                .held_on = report.held_on,
                .participant_times = report.participant_times,
                .theme = report.theme,
                .source = source,
                .source_ref = report.ref};
  int unknown = 0;
  for (std::int64_t org : report.organization_ids.value_or(std::vector<std::int64_t>{})) {
    if (std::find(a.organization_ids.begin(), a.organization_ids.end(), org) !=
        a.organization_ids.end()) {
      continue;
    }
    auto known = tx.query_one("SELECT 1 AS one FROM organization WHERE id = ?", {org});
    if (!known.ok()) return known.status();
    if (*known) {
      a.organization_ids.push_back(org);
    } else {
      ++unknown;
    }
  }
  if (dropped != nullptr) *dropped = unknown;
  if (report.working_group) {
    auto group = working_group_by_code(tx, *report.working_group);
    if (!group.ok()) return group.status();
    a.working_group_id = *group;
  }
  auto inserted = insert_activity(tx, a, now);
  if (!inserted.ok()) return inserted.status();
  return std::optional<Activity>(std::move(*inserted));
}

Result<msgs::ActivityListReply> list_activities(store::Tx& tx,
                                                const msgs::ActivityListRequest& req) {
  PagedQuery q(kColumns, {.tag = "ac",
                          .keys = 2,
                          .after = "(a.held_on, a.id) < (?, ?)",
                          .order_by = "a.held_on DESC, a.id DESC",
                          .bind = bind_day_and_id});
  if (req.organization_id) {
    q.where(
        "EXISTS (SELECT 1 FROM activity_organization ao WHERE ao.activity_id = a.id AND "
        "ao.organization_id = ?)",
        {*req.organization_id});
  }
  if (req.working_group_id) q.where("a.working_group_id = ?", {*req.working_group_id});
  if (req.source) q.where("a.source = ?", {msgs::to_string(*req.source)});
  if (req.from) q.where("a.held_on >= ?", {*req.from});
  if (req.to) q.where("a.held_on <= ?", {*req.to});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::ActivityListReply>(
      tx, req.limit, [&tx](const store::Row& row) { return activity_from_row(tx, row); },
      [](const Activity& a) {
        return std::vector<std::int64_t>{day(a.held_on), a.id};
      });
}

Result<msgs::ActivityTotalsReply> activity_totals(store::Tx& tx,
                                                  const msgs::ActivityTotalsRequest& req) {
  using GroupBy = msgs::ActivityTotalsRequest::GroupBy;
  if (req.from && req.to && day(*req.to) < day(*req.from)) {
    return invalid_argument("to lies before from", "to");
  }
  std::vector<std::string> where;
  std::vector<store::Value> params;
  add_range(where, params, req.from, req.to);
  msgs::ActivityTotalsReply reply;
  {
    auto all = tx.query_one(
        "SELECT COUNT(*) AS n, COALESCE(SUM(a.participant_times), 0) AS pt FROM activity a" +
            where_clause(where),
        params);
    if (!all.ok()) return all.status();
    reply.activities = (*all)->int64("n");
    reply.participant_times = (*all)->int64("pt");
  }
  std::vector<store::Value> limited = params;
  limited.emplace_back(static_cast<std::int64_t>(req.limit));
  switch (req.group_by) {
    case GroupBy::organization: {
      auto rows = tx.query(
          "SELECT ao.organization_id AS k, o.name AS label, COUNT(*) AS n, "
          "SUM(a.participant_times) AS pt FROM activity a "
          "JOIN activity_organization ao ON ao.activity_id = a.id "
          "JOIN organization o ON o.id = ao.organization_id" +
              where_clause(where) +
              " GROUP BY ao.organization_id, o.name ORDER BY pt DESC, n DESC, k LIMIT ?",
          limited);
      if (!rows.ok()) return rows.status();
      for (const store::Row& r : *rows) {
        reply.groups.push_back({.key = std::to_string(r.int64("k")),
                                .label = r.text("label"),
                                .activities = r.int64("n"),
                                .participant_times = r.int64("pt")});
      }
      break;
    }
    case GroupBy::working_group: {
      auto rows = tx.query(
          "SELECT a.working_group_id AS k, g.name AS label, COUNT(*) AS n, "
          "SUM(a.participant_times) AS pt FROM activity a "
          "LEFT JOIN working_group g ON g.id = a.working_group_id" +
              where_clause(where) +
              " GROUP BY a.working_group_id, g.name ORDER BY pt DESC, n DESC, k LIMIT ?",
          limited);
      if (!rows.ok()) return rows.status();
      for (const store::Row& r : *rows) {
        const bool none = r.is_null("k");
        reply.groups.push_back({.key = none ? "none" : std::to_string(r.int64("k")),
                                .label = none ? "(no working group)" : r.text("label"),
                                .activities = r.int64("n"),
                                .participant_times = r.int64("pt")});
      }
      break;
    }
    case GroupBy::year:
    case GroupBy::quarter:
    case GroupBy::month: {
      // Months from the database, folded into the requested period here (quarters have no
      // portable SQL spelling).
      auto rows = tx.query(
          "SELECT substr(a.held_on, 1, 7) AS month, COUNT(*) AS n, SUM(a.participant_times) AS pt "
          "FROM activity a" +
              where_clause(where) + " GROUP BY substr(a.held_on, 1, 7) ORDER BY month",
          params);
      if (!rows.ok()) return rows.status();
      const Period period = req.group_by == GroupBy::year      ? Period::year
                            : req.group_by == GroupBy::quarter ? Period::quarter
                                                               : Period::month;
      std::map<std::string, msgs::ActivityTotal> folded;
      for (const store::Row& r : *rows) {
        auto first = parse_date(r.text("month") + "-01");
        if (!first) return internal_error("stored held_on is not a date");
        const std::string key = period_key(*first, period);
        msgs::ActivityTotal& t = folded[key];
        t.key = key;
        t.label = key;
        t.activities += r.int64("n");
        t.participant_times += r.int64("pt");
      }
      for (auto& [key, total] : folded) {
        if (reply.groups.size() >= static_cast<std::size_t>(req.limit)) break;
        reply.groups.push_back(std::move(total));
      }
      break;
    }
  }
  return reply;
}

Result<LedgerFigures> ledger_figures(store::Tx& tx, CivilDays from, CivilDays to) {
  auto row = tx.query_one(
      "SELECT COUNT(*) AS n, COALESCE(SUM(participant_times), 0) AS pt FROM activity "
      "WHERE held_on >= ? AND held_on <= ?",
      {format_date(from), format_date(to)});
  if (!row.ok()) return row.status();
  return LedgerFigures{(*row)->int64("n"), (*row)->int64("pt")};
}

}  // namespace kai::membership
