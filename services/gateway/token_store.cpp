#include "gateway/token_store.hpp"

namespace kai::gateway {

TokenStore::TokenStore(std::string path)
    : path_(std::move(path)), tokens_(std::make_shared<const auth::TokenSet>()) {}

Status TokenStore::reload() {
  auto loaded = auth::TokenSet::load(path_);
  if (!loaded.ok()) return loaded.status();
  tokens_.store(std::make_shared<const auth::TokenSet>(std::move(loaded).value()));
  return Status::Ok();
}

Principal TokenStore::find(std::string_view token) const {
  std::shared_ptr<const auth::TokenSet> set = tokens_.load();
  const auth::TokenEntry* entry = set->find(token);
  if (entry == nullptr) return nullptr;
  return Principal(std::move(set), entry);  // shares ownership of the set
}

std::size_t TokenStore::size() const {
  return tokens_.load()->size();
}

std::optional<std::string_view> bearer_token(const http::Request& req) {
  auto h = req.header("authorization");
  if (!h) return std::nullopt;
  std::string_view v = *h;
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
    v.remove_prefix(1);
  constexpr std::string_view kScheme = "bearer";
  if (v.size() <= kScheme.size() || !http::iequals(v.substr(0, kScheme.size()), kScheme) ||
      (v[kScheme.size()] != ' ' && v[kScheme.size()] != '\t')) {
    return std::nullopt;
  }
  v.remove_prefix(kScheme.size());
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
    v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
    v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  return v;
}

}  // namespace kai::gateway
