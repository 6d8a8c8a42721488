#include "membership/term_store.hpp"

#include <string>

#include "membership/organization_store.hpp"
#include "membership/paged_query.hpp"
#include "membership/row_helpers.hpp"
#include "membership/term_rules.hpp"

namespace kai::membership {
namespace {

using msgs::Term;

constexpr std::string_view kColumns =
    "SELECT id, organization_id, start_on, end_on, status, previous_term_id, next_term_id, "
    "withdrawn_on, withdrawal_reason, created_at, updated_at FROM term ";

Result<Term> term_from_row(const store::Row& row) {
  Term t;
  t.id = row.int64("id");
  t.organization_id = row.int64("organization_id");
  t.start_on = row.text("start_on");
  t.end_on = row.text("end_on");
  auto status = enum_of<TermStatus>(row, "status");
  if (!status.ok()) return status.status();
  t.status = *status;
  t.previous_term_id = row.opt_int64("previous_term_id");
  t.next_term_id = row.opt_int64("next_term_id");
  t.withdrawn_on = row.opt_text("withdrawn_on");
  t.withdrawal_reason = row.opt_text("withdrawal_reason");
  t.created_at = row.int64("created_at");
  t.updated_at = row.int64("updated_at");
  return t;
}

TermFacts facts_of(const Term& t) {
  TermFacts f;
  f.status = t.status;
  f.start = day(t.start_on);
  f.end = day(t.end_on);
  if (t.withdrawn_on) f.withdrawn_on = day(*t.withdrawn_on);
  f.has_successor = t.next_term_id.has_value();
  return f;
}

Result<std::vector<Term>> terms_of(store::Tx& tx, std::int64_t organization_id) {
  auto rows =
      tx.query(std::string(kColumns) + "WHERE organization_id = ? ORDER BY id", {organization_id});
  if (!rows.ok()) return rows.status();
  std::vector<Term> out;
  for (const store::Row& row : *rows) {
    auto t = term_from_row(row);
    if (!t.ok()) return t.status();
    out.push_back(std::move(*t));
  }
  return out;
}

Result<std::int64_t> insert_term(store::Tx& tx, std::int64_t organization_id, CivilDays start,
                                 TermStatus status, std::optional<std::int64_t> previous,
                                 UnixMillis now) {
  auto row = tx.query_one(
      "INSERT INTO term(organization_id, start_on, end_on, status, previous_term_id, created_at, "
      "updated_at) VALUES(?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {organization_id, format_date(start), format_date(term_end(start)), msgs::to_string(status),
       previous, now, now});
  if (!row.ok()) return row.status();
  return (*row)->int64("id");
}

Status set_status(store::Tx& tx, std::int64_t id, TermStatus status, UnixMillis now) {
  return tx.exec("UPDATE term SET status = ?, updated_at = ? WHERE id = ?",
                 {msgs::to_string(status), now, id});
}

}  // namespace

Result<Term> get_term(store::Tx& tx, std::int64_t id) {
  auto row = tx.query_one(std::string(kColumns) + "WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return not_found("term " + std::to_string(id) + " does not exist");
  return term_from_row(**row);
}

Result<Term> start_term(store::Tx& tx, const msgs::TermStartRequest& req, CivilDays today,
                        UnixMillis now) {
  KAI_RETURN_IF_ERROR(require_organization(tx, req.organization_id, "organization_id"));
  auto existing = terms_of(tx, req.organization_id);
  if (!existing.ok()) return existing.status();
  std::vector<TermFacts> facts;
  for (const Term& t : *existing)
    facts.push_back(facts_of(t));
  const CivilDays start = day(req.start_on);
  KAI_RETURN_IF_ERROR(check_start(facts, start));
  auto id = insert_term(tx, req.organization_id, start,
                        term_status_on(start, term_end(start), today), std::nullopt, now);
  if (!id.ok()) return id.status();
  return get_term(tx, *id);
}

Result<Term> renew_term(store::Tx& tx, const msgs::TermRenewRequest& req, CivilDays today,
                        UnixMillis now, Term* renewed) {
  auto old = get_term(tx, req.id);
  if (!old.ok()) return old.status();
  auto siblings = terms_of(tx, old->organization_id);
  if (!siblings.ok()) return siblings.status();
  bool other_open = false;
  for (const Term& t : *siblings) {
    if (t.id != old->id && facts_of(t).open()) other_open = true;
  }
  std::optional<CivilDays> requested;
  if (req.start_on) requested = day(*req.start_on);
  auto start = renewal_start(facts_of(*old), requested, today, other_open);
  if (!start.ok()) return start.status();
  auto id = insert_term(tx, old->organization_id, *start,
                        term_status_on(*start, term_end(*start), today), old->id, now);
  if (!id.ok()) return id.status();
  KAI_RETURN_IF_ERROR(tx.exec("UPDATE term SET next_term_id = ?, updated_at = ? WHERE id = ?",
                              {*id, now, old->id}));
  if (renewed != nullptr) {
    auto after = get_term(tx, old->id);
    if (!after.ok()) return after.status();
    *renewed = std::move(*after);
  }
  return get_term(tx, *id);
}

Result<Term> withdraw_term(store::Tx& tx, const msgs::TermWithdrawRequest& req, CivilDays today,
                           UnixMillis now, std::vector<Term>* also) {
  auto term = get_term(tx, req.id);
  if (!term.ok()) return term.status();
  KAI_RETURN_IF_ERROR(check_withdraw(facts_of(*term), day(req.withdrawn_on), today));
  const std::string_view sql =
      "UPDATE term SET status = 'withdrawn', withdrawn_on = ?, withdrawal_reason = ?, "
      "updated_at = ? WHERE id = ?";
  KAI_RETURN_IF_ERROR(tx.exec(sql, {req.withdrawn_on, req.reason, now, req.id}));
  if (term->next_term_id) {
    auto next = get_term(tx, *term->next_term_id);
    if (!next.ok()) return next.status();
    if (next->status == TermStatus::scheduled) {
      KAI_RETURN_IF_ERROR(tx.exec(sql, {req.withdrawn_on, req.reason, now, next->id}));
      auto after = get_term(tx, next->id);
      if (!after.ok()) return after.status();
      if (also != nullptr) also->push_back(std::move(*after));
    }
  }
  return get_term(tx, req.id);
}

Result<msgs::TermListReply> list_terms(store::Tx& tx, const msgs::TermListRequest& req) {
  PagedQuery q(kColumns, {.tag = "tm", .keys = 1, .after = "id < ?", .order_by = "id DESC"});
  if (req.organization_id) q.where("organization_id = ?", {*req.organization_id});
  if (req.status) q.where("status = ?", {msgs::to_string(*req.status)});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::TermListReply>(tx, req.limit, term_from_row, id_key);
}

Result<msgs::TermExpiringReply> expiring_terms(store::Tx& tx, const msgs::TermExpiringRequest& req,
                                               CivilDays today) {
  // Soonest end first; the cursor is (end day, id).
  PagedQuery q(kColumns, {.tag = "tx",
                          .keys = 2,
                          .after = "(end_on, id) > (?, ?)",
                          .order_by = "end_on, id",
                          .bind = bind_day_and_id});
  q.where("status = 'active' AND next_term_id IS NULL AND end_on >= ? AND end_on <= ?",
          {format_date(today), format_date(today + req.within_days)});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::TermExpiringReply>(tx, req.limit, term_from_row, [](const Term& t) {
    return std::vector<std::int64_t>{day(t.end_on), t.id};
  });
}

Result<std::vector<Term>> apply_term_transitions(store::Tx& tx, CivilDays today, UnixMillis now) {
  const std::string d = format_date(today);
  auto rows = tx.query(std::string(kColumns) +
                           "WHERE (status = 'scheduled' AND start_on <= ?) OR "
                           "(status = 'active' AND end_on < ?) ORDER BY id",
                       {d, d});
  if (!rows.ok()) return rows.status();
  std::vector<Term> changed;
  for (const store::Row& r : *rows) {
    auto t = term_from_row(r);
    if (!t.ok()) return t.status();
    const auto next = status_transition(facts_of(*t), today);
    if (!next) continue;
    KAI_RETURN_IF_ERROR(set_status(tx, t->id, *next, now));
    t->status = *next;
    t->updated_at = now;
    changed.push_back(std::move(*t));
  }
  return changed;
}

Result<std::int64_t> count_active_terms(store::Tx& tx) {
  auto row = tx.query_one("SELECT COUNT(*) AS n FROM term WHERE status = 'active'");
  if (!row.ok()) return row.status();
  return (*row)->int64("n");
}

Result<std::int64_t> count_expiring_terms(store::Tx& tx, CivilDays today, int days) {
  auto row = tx.query_one(
      "SELECT COUNT(*) AS n FROM term WHERE status = 'active' AND next_term_id IS NULL AND "
      "end_on >= ? AND end_on <= ?",
      {format_date(today), format_date(today + days)});
  if (!row.ok()) return row.status();
  return (*row)->int64("n");
}

}  // namespace kai::membership
