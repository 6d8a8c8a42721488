// Scope names and the rules that relate them (tokens.hpp).
#include <algorithm>

#include "auth/tokens.hpp"
#include "common/config.hpp"

namespace kai::auth {

const std::vector<std::string>& scoped_services() {
  // The bus services of DESIGN.md §3; each department's service has a read and a write scope.
  static const std::vector<std::string> kServices = {"membership", "clubs", "unitedfront",
                                                     "training", "venture"};
  return kServices;
}

const std::vector<std::string>& known_scopes() {
  static const std::vector<std::string> kScopes = [] {
    std::vector<std::string> out;
    for (const std::string& svc : scoped_services()) {
      out.push_back(svc + ":read");
      out.push_back(svc + ":write");
    }
    out.push_back("pii:read");
    out.push_back("audit:read");
    out.push_back("admin");
    return out;
  }();
  return kScopes;
}

Status validate_scope(std::string_view scope) {
  const auto& known = known_scopes();
  if (std::find(known.begin(), known.end(), scope) != known.end()) return Status::Ok();
  std::string list;
  for (const std::string& s : known) {
    if (!list.empty()) list += ", ";
    list += s;
  }
  return invalid_argument("unknown scope '" + std::string(scope) + "' (known scopes: " + list + ")",
                          "scopes");
}

Result<std::vector<std::string>> parse_scopes(std::string_view csv) {
  if (csv.empty()) return invalid_argument("at least one scope is required", "scopes");
  std::vector<std::string> out;
  while (true) {
    const std::size_t comma = csv.find(',');
    const std::string_view item = csv.substr(0, comma);
    if (item.empty()) {
      return invalid_argument("empty scope in the list (two commas, or one at an end)", "scopes");
    }
    KAI_RETURN_IF_ERROR(validate_scope(item));
    if (std::find(out.begin(), out.end(), item) != out.end()) {
      return invalid_argument("scope '" + std::string(item) + "' is listed twice", "scopes");
    }
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    csv.remove_prefix(comma + 1);
  }
  return out;
}

bool has_scope(const TokenEntry& entry, std::string_view scope) {
  constexpr std::string_view kRead = ":read";
  const bool is_read = scope.size() > kRead.size() && scope.ends_with(kRead);
  for (const std::string& held : entry.scopes) {
    if (held == "admin" || held == scope) return true;
    // "<svc>:write" implies "<svc>:read": compare the service part and the suffix.
    if (is_read) {
      const std::string_view svc = scope.substr(0, scope.size() - kRead.size());
      const std::string_view h = held;
      if (h.size() == svc.size() + 6 && h.starts_with(svc) && h.ends_with(":write")) return true;
    }
  }
  return false;
}

}  // namespace kai::auth
