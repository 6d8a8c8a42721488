#include "membership/agreement_store.hpp"

#include <string>

#include "common/config.hpp"
#include "membership/agreement_rules.hpp"
#include "membership/organization_store.hpp"
#include "membership/paged_query.hpp"
#include "membership/row_helpers.hpp"

namespace kai::membership {
namespace {

using msgs::Agreement;

constexpr std::string_view kColumns =
    "SELECT id, organization_id, title, status, signed_on, start_on, end_on, "
    "subdistrict_provides, unit_opens, commitments, terminated_on, termination_reason, version, "
    "created_at, updated_at FROM agreement ";

// Enum lists are stored as their wire spellings joined by ','.
template <class E>
std::string join(const std::vector<E>& items) {
  std::string out;
  for (const E& e : items) {
    if (!out.empty()) out += ',';
    out += msgs::to_string(e);
  }
  return out;
}

template <class E>
Result<std::vector<E>> split(const std::string& text) {
  std::vector<E> out;
  for (const std::string& part : split_list(text)) {
    E e{};
    if (!from_string(part, e)) return internal_error("stored list holds unknown value " + part);
    out.push_back(e);
  }
  return out;
}

Result<Agreement> agreement_from_row(const store::Row& row) {
  Agreement a;
  a.id = row.int64("id");
  a.organization_id = row.int64("organization_id");
  a.title = row.text("title");
  auto status = enum_of<AgreementStatus>(row, "status");
  if (!status.ok()) return status.status();
  a.status = *status;
  a.signed_on = row.opt_text("signed_on");
  a.start_on = row.text("start_on");
  a.end_on = row.text("end_on");
  auto provides = split<SubdistrictService>(row.text("subdistrict_provides"));
  if (!provides.ok()) return provides.status();
  a.subdistrict_provides = std::move(*provides);
  auto opens = split<UnitFacility>(row.text("unit_opens"));
  if (!opens.ok()) return opens.status();
  a.unit_opens = std::move(*opens);
  a.commitments = row.opt_text("commitments");
  a.terminated_on = row.opt_text("terminated_on");
  a.termination_reason = row.opt_text("termination_reason");
  a.version = row.int64("version");
  a.created_at = row.int64("created_at");
  a.updated_at = row.int64("updated_at");
  return a;
}

}  // namespace

Result<Agreement> get_agreement(store::Tx& tx, std::int64_t id) {
  auto row = tx.query_one(std::string(kColumns) + "WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return not_found("agreement " + std::to_string(id) + " does not exist");
  return agreement_from_row(**row);
}

Result<Agreement> create_agreement(store::Tx& tx, const msgs::AgreementCreateRequest& req,
                                   UnixMillis now) {
  KAI_RETURN_IF_ERROR(require_organization(tx, req.organization_id, "organization_id"));
  const CivilDays start = day(req.start_on);
  const CivilDays end = req.end_on ? day(*req.end_on) : default_agreement_end(start);
  KAI_RETURN_IF_ERROR(check_agreement_period(start, end));
  KAI_RETURN_IF_ERROR(check_distinct(req.subdistrict_provides, req.unit_opens));
  auto row = tx.query_one(
      "INSERT INTO agreement(organization_id, title, status, start_on, end_on, "
      "subdistrict_provides, unit_opens, commitments, version, created_at, updated_at) "
      "VALUES(?, ?, 'draft', ?, ?, ?, ?, ?, 1, ?, ?) RETURNING id",
      {req.organization_id, req.title, req.start_on, format_date(end),
       join(req.subdistrict_provides), join(req.unit_opens), req.commitments, now, now});
  if (!row.ok()) return row.status();
  return get_agreement(tx, (*row)->int64("id"));
}

Result<Agreement> update_agreement(store::Tx& tx, const msgs::AgreementUpdateRequest& req,
                                   UnixMillis now) {
  auto current = get_agreement(tx, req.id);
  if (!current.ok()) return current.status();
  Agreement a = std::move(*current);
  KAI_RETURN_IF_ERROR(check_agreement_edit(a.status));
  if (req.title) a.title = *req.title;
  if (req.start_on) a.start_on = *req.start_on;
  if (req.end_on) a.end_on = *req.end_on;
  if (req.subdistrict_provides) a.subdistrict_provides = *req.subdistrict_provides;
  if (req.unit_opens) a.unit_opens = *req.unit_opens;
  if (req.commitments) a.commitments = req.commitments;
  KAI_RETURN_IF_ERROR(check_agreement_period(day(a.start_on), day(a.end_on)));
  KAI_RETURN_IF_ERROR(check_distinct(a.subdistrict_provides, a.unit_opens));
  KAI_RETURN_IF_ERROR(
      tx.exec("UPDATE agreement SET title = ?, start_on = ?, end_on = ?, subdistrict_provides = ?, "
              "unit_opens = ?, commitments = ?, version = version + 1, updated_at = ? WHERE id = ?",
              {a.title, a.start_on, a.end_on, join(a.subdistrict_provides), join(a.unit_opens),
               a.commitments, now, a.id}));
  return get_agreement(tx, a.id);
}

Result<Agreement> sign_agreement(store::Tx& tx, const msgs::AgreementSignRequest& req,
                                 CivilDays today, UnixMillis now) {
  auto a = get_agreement(tx, req.id);
  if (!a.ok()) return a.status();
  KAI_RETURN_IF_ERROR(check_sign(a->status, day(req.signed_on), day(a->end_on), today));
  KAI_RETURN_IF_ERROR(
      tx.exec("UPDATE agreement SET status = 'active', signed_on = ?, version = version + 1, "
              "updated_at = ? WHERE id = ?",
              {req.signed_on, now, req.id}));
  return get_agreement(tx, req.id);
}

Result<Agreement> terminate_agreement(store::Tx& tx, const msgs::AgreementTerminateRequest& req,
                                      CivilDays today, UnixMillis now) {
  auto a = get_agreement(tx, req.id);
  if (!a.ok()) return a.status();
  KAI_RETURN_IF_ERROR(check_terminate(a->status, day(a->start_on), day(req.terminated_on), today));
  KAI_RETURN_IF_ERROR(tx.exec(
      "UPDATE agreement SET status = 'terminated', terminated_on = ?, termination_reason = ?, "
      "version = version + 1, updated_at = ? WHERE id = ?",
      {req.terminated_on, req.reason, now, req.id}));
  return get_agreement(tx, req.id);
}

Result<msgs::AgreementListReply> list_agreements(store::Tx& tx,
                                                 const msgs::AgreementListRequest& req) {
  PagedQuery q(kColumns, {.tag = "ag", .keys = 1, .after = "id < ?", .order_by = "id DESC"});
  if (req.organization_id) q.where("organization_id = ?", {*req.organization_id});
  if (req.status) q.where("status = ?", {msgs::to_string(*req.status)});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  return q.run<msgs::AgreementListReply>(tx, req.limit, agreement_from_row, id_key);
}

Result<std::vector<Agreement>> expire_agreements(store::Tx& tx, CivilDays today, UnixMillis now) {
  auto rows = tx.query(std::string(kColumns) + "WHERE status = 'active' AND end_on < ? ORDER BY id",
                       {format_date(today)});
  if (!rows.ok()) return rows.status();
  std::vector<Agreement> changed;
  for (const store::Row& r : *rows) {
    auto a = agreement_from_row(r);
    if (!a.ok()) return a.status();
    const auto next = agreement_transition(a->status, day(a->end_on), today);
    if (!next) continue;
    KAI_RETURN_IF_ERROR(tx.exec(
        "UPDATE agreement SET status = ?, version = version + 1, updated_at = ? WHERE id = ?",
        {msgs::to_string(*next), now, a->id}));
    auto after = get_agreement(tx, a->id);
    if (!after.ok()) return after.status();
    changed.push_back(std::move(*after));
  }
  return changed;
}

}  // namespace kai::membership
