#include "membership/organization_store.hpp"

#include <span>
#include <string>
#include <vector>

#include "membership/blob_codec.hpp"
#include "membership/paged_query.hpp"
#include "membership/row_helpers.hpp"

namespace kai::membership {
namespace {

using msgs::Organization;
using msgs::OrganizationKind;
using msgs::OrganizationListRequest;
using Sort = OrganizationListRequest::Sort;

constexpr std::string_view kSelect =
    "SELECT o.id, o.name, o.kind, o.credit_code, o.node_id, o.contact, o.contacts, "
    "o.party_organization, o.tags, o.joined_on, o.version, o.created_at, o.updated_at, "
    "c.name AS community, g.name AS grid "
    "FROM organization o LEFT JOIN node c ON c.id = o.community_id "
    "LEFT JOIN node g ON g.id = o.grid_id ";

Result<Organization> organization_from_row(const store::Row& row) {
  Organization o;
  o.id = row.int64("id");
  o.name = row.text("name");
  auto kind = enum_of<OrganizationKind>(row, "kind");
  if (!kind.ok()) return kind.status();
  o.kind = *kind;
  o.credit_code = row.opt_text("credit_code");
  o.node_id = row.opt_int64("node_id");
  o.community = row.opt_text("community");
  o.grid = row.opt_text("grid");
  auto contact = from_blob<msgs::Contact>(row.at("contact"));
  if (!contact.ok()) return contact.status();
  o.contact = std::move(*contact);
  auto contacts = from_blob_list<msgs::Contact>(row.at("contacts"));
  if (!contacts.ok()) return contacts.status();
  o.contacts = std::move(*contacts);
  auto party = from_blob<msgs::PartyOrganization>(row.at("party_organization"));
  if (!party.ok()) return party.status();
  o.party_organization = std::move(*party);
  auto tags = from_blob_list<std::string>(row.at("tags"));
  if (!tags.ok()) return tags.status();
  o.tags = std::move(*tags);
  o.joined_on = row.opt_text("joined_on");
  o.version = row.int64("version");
  o.created_at = row.int64("created_at");
  o.updated_at = row.int64("updated_at");
  return o;
}

Status check_credit_code_free(store::Tx& tx, const std::optional<std::string>& code,
                              std::int64_t self) {
  if (!code) return Status::Ok();
  auto row = tx.query_one("SELECT id FROM organization WHERE credit_code = ?", {*code});
  if (!row.ok()) return row.status();
  if (*row && (*row)->int64("id") != self) {
    return {StatusCode::already_exists,
            "credit code " + *code + " is registered to organisation " +
                std::to_string((*row)->int64("id")),
            "credit_code"};
  }
  return Status::Ok();
}

// "%text%" for LIKE, with the wildcard characters of the search text escaped by '\'.
std::string like_pattern(std::string_view text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

std::string_view cursor_tag(Sort sort) {
  switch (sort) {
    case Sort::name:
      return "on";
    case Sort::name_desc:
      return "oN";
    case Sort::created_at:
      return "oc";
    case Sort::created_at_desc:
      return "oC";
  }
  return "o";
}

}  // namespace

std::string organization_cache_key(std::int64_t id) {
  return "org:" + std::to_string(id);
}

Result<Placement> resolve_placement(store::Tx& tx, std::optional<std::int64_t> node_id,
                                    std::string_view field) {
  Placement p;
  if (!node_id) return p;
  auto row = tx.query_one("SELECT tier, parent_id FROM node WHERE id = ?", {*node_id});
  if (!row.ok()) return row.status();
  if (!*row) {
    return Status(StatusCode::not_found, "node " + std::to_string(*node_id) + " does not exist",
                  std::string(field));
  }
  p.node_id = node_id;
  const std::string& tier = (*row)->text("tier");
  if (tier == "community") {
    p.community_id = node_id;
  } else if (tier == "grid") {
    p.grid_id = node_id;
    p.community_id = (*row)->opt_int64("parent_id");
  }
  return p;
}

Result<std::optional<Organization>> find_organization(store::Tx& tx, std::int64_t id) {
  auto row = tx.query_one(std::string(kSelect) + "WHERE o.id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Organization>();
  auto o = organization_from_row(**row);
  if (!o.ok()) return o.status();
  return std::optional<Organization>(std::move(*o));
}

Result<Organization> get_organization(store::Tx& tx, std::int64_t id) {
  auto o = find_organization(tx, id);
  if (!o.ok()) return o.status();
  if (!*o) return not_found("organization " + std::to_string(id) + " does not exist");
  return std::move(**o);
}

Status require_organization(store::Tx& tx, std::int64_t id, std::string_view field) {
  auto row = tx.query_one("SELECT 1 AS one FROM organization WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) {
    return {StatusCode::not_found, "organization " + std::to_string(id) + " does not exist",
            std::string(field)};
  }
  return Status::Ok();
}

Status require_organizations(store::Tx& tx, std::span<const std::int64_t> ids,
                             std::string_view field) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (ids[i] == ids[j]) {
        return invalid_argument("organisation " + std::to_string(ids[i]) + " is listed twice",
                                std::string(field) + "[" + std::to_string(i) + "]");
      }
    }
    KAI_RETURN_IF_ERROR(
        require_organization(tx, ids[i], std::string(field) + "[" + std::to_string(i) + "]"));
  }
  return Status::Ok();
}

Result<Organization> create_organization(store::Tx& tx, const msgs::OrganizationCreateRequest& req,
                                         UnixMillis now) {
  KAI_RETURN_IF_ERROR(check_credit_code_free(tx, req.credit_code, 0));
  auto place = resolve_placement(tx, req.node_id);
  if (!place.ok()) return place.status();
  auto row = tx.query_one(
      "INSERT INTO organization(name, kind, credit_code, node_id, community_id, grid_id, contact, "
      "contacts, party_organization, tags, joined_on, version, created_at, updated_at) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING id",
      {req.name, msgs::to_string(req.kind), req.credit_code, place->node_id, place->community_id,
       place->grid_id, blob_of(req.contact), blob_of_list(req.contacts),
       blob_of(req.party_organization), blob_of_list(req.tags), req.joined_on, now, now});
  if (!row.ok()) return row.status();
  if (!*row) return internal_error("INSERT ... RETURNING gave no row");
  return get_organization(tx, (*row)->int64("id"));
}

Result<Organization> update_organization(store::Tx& tx, const msgs::OrganizationUpdateRequest& req,
                                         UnixMillis now) {
  auto current = get_organization(tx, req.id);
  if (!current.ok()) return current.status();
  Organization o = std::move(*current);
  if (req.expected_version && *req.expected_version != o.version) {
    return aborted("organization " + std::to_string(req.id) + " is at version " +
                   std::to_string(o.version) + ", not " + std::to_string(*req.expected_version));
  }
  if (req.name) o.name = *req.name;
  if (req.kind) o.kind = *req.kind;
  if (req.credit_code) {
    KAI_RETURN_IF_ERROR(check_credit_code_free(tx, req.credit_code, req.id));
    o.credit_code = req.credit_code;
  }
  if (req.contact) o.contact = req.contact;
  if (req.contacts) o.contacts = req.contacts;
  if (req.party_organization) o.party_organization = req.party_organization;
  if (req.tags) o.tags = req.tags;
  if (req.joined_on) o.joined_on = req.joined_on;
  auto place = resolve_placement(tx, req.node_id ? req.node_id : o.node_id);
  if (!place.ok()) return place.status();
  KAI_RETURN_IF_ERROR(tx.exec(
      "UPDATE organization SET name = ?, kind = ?, credit_code = ?, node_id = ?, community_id = ?, "
      "grid_id = ?, contact = ?, contacts = ?, party_organization = ?, tags = ?, joined_on = ?, "
      "version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
      {o.name, msgs::to_string(o.kind), o.credit_code, place->node_id, place->community_id,
       place->grid_id, blob_of(o.contact), blob_of_list(o.contacts), blob_of(o.party_organization),
       blob_of_list(o.tags), o.joined_on, now, o.id, o.version}));
  if (tx.changes() != 1) {
    return aborted("organization " + std::to_string(req.id) + " changed meanwhile; retry");
  }
  return get_organization(tx, o.id);
}

Result<std::string> list_organizations(store::Tx& tx, const OrganizationListRequest& req) {
  const bool by_name = req.sort == Sort::name || req.sort == Sort::name_desc;
  const bool descending = req.sort == Sort::name_desc || req.sort == Sort::created_at_desc;
  const std::string cmp = descending ? " < " : " > ";
  const std::string dir = descending ? " DESC" : "";
  KeysetOrder order{.tag = std::string(cursor_tag(req.sort)), .keys = 2};
  if (by_name) {
    // Name cursors carry the last id only (names are long); its name is looked up again. A
    // rename between two pages moves that one organisation, nothing else.
    order.keys = 1;
    order.after = "(o.name, o.id)" + cmp + "(?, ?)";
    order.order_by = "o.name" + dir + ", o.id" + dir;
    order.bind = [&tx](std::span<const std::int64_t> keys) -> Result<std::vector<store::Value>> {
      auto last = tx.query_one("SELECT name FROM organization WHERE id = ?", {keys[0]});
      if (!last.ok()) return last.status();
      if (!*last) return invalid_argument("the cursor names an unknown organisation", "cursor");
      return std::vector<store::Value>{(*last)->text("name"), keys[0]};
    };
  } else {
    order.after = "(o.created_at, o.id)" + cmp + "(?, ?)";
    order.order_by = "o.created_at" + dir + ", o.id" + dir;
  }
  PagedQuery q(kSelect, std::move(order));
  if (req.kind) q.where("o.kind = ?", {msgs::to_string(*req.kind)});
  if (req.node_id) {
    auto node = tx.query_one("SELECT tier FROM node WHERE id = ?", {*req.node_id});
    if (!node.ok()) return node.status();
    if (!*node) {
      return Status(StatusCode::not_found,
                    "node " + std::to_string(*req.node_id) + " does not exist", "node_id");
    }
    const std::string& tier = (*node)->text("tier");
    if (tier == "alliance") {
      q.where("o.node_id IS NOT NULL");
    } else if (tier == "community") {
      q.where("o.community_id = ?", {*req.node_id});
    } else {
      q.where("o.node_id = ?", {*req.node_id});
    }
  }
  if (req.q) q.where("o.name LIKE ? ESCAPE '\\'", {like_pattern(*req.q)});
  KAI_RETURN_IF_ERROR(q.after(req.cursor));
  auto keys_of = [by_name](const store::Row& row) {
    if (by_name) return std::vector<std::int64_t>{row.int64("id")};
    return std::vector<std::int64_t>{row.int64("created_at"), row.int64("id")};
  };
  // The rows are the organisations as organization.get answers them: packed as they are.
  return q.run_packed<msgs::OrganizationListReply>(tx, req.limit, keys_of);
}

Result<std::vector<std::int64_t>> organizations_under(store::Tx& tx, std::int64_t node_id) {
  auto rows =
      tx.query("SELECT id FROM organization WHERE node_id = ? OR community_id = ? OR grid_id = ?",
               {node_id, node_id, node_id});
  if (!rows.ok()) return rows.status();
  std::vector<std::int64_t> ids;
  ids.reserve(rows->size());
  for (const store::Row& r : *rows)
    ids.push_back(r.int64("id"));
  return ids;
}

Result<std::vector<std::pair<OrganizationKind, std::int64_t>>> count_by_kind(store::Tx& tx) {
  auto rows = tx.query("SELECT kind, COUNT(*) AS n FROM organization GROUP BY kind");
  if (!rows.ok()) return rows.status();
  // Every kind the schema knows, so a kind without organisations shows as 0.
  std::vector<std::pair<OrganizationKind, std::int64_t>> out;
  for (std::string_view name : Organization::desc().find("kind")->enumeration->values) {
    OrganizationKind k{};
    if (from_string(name, k)) out.emplace_back(k, 0);
  }
  for (const store::Row& r : *rows) {
    auto k = enum_of<OrganizationKind>(r, "kind");
    if (!k.ok()) return k.status();
    for (auto& [kind, n] : out) {
      if (kind == *k) n = r.int64("n");
    }
  }
  return out;
}

}  // namespace kai::membership
