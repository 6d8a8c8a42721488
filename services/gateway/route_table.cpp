#include "gateway/route_table.hpp"

#include <algorithm>

#include "http/message.hpp"

namespace kai::gateway {

RouteTable::RouteTable(std::span<const schema::ServiceDesc* const> services) {
  for (const schema::ServiceDesc* svc : services) {
    for (const schema::OperationDesc& op : svc->operations) {
      if (op.http == nullptr) continue;
      Route r;
      r.method = std::string(op.http->method);
      r.template_path = std::string(kApiPrefix) + std::string(op.http->path);
      for (std::string_view seg : http::split_path(r.template_path)) {
        r.segments.emplace_back(seg);
      }
      r.op = &op;
      r.body = r.method == "POST" || r.method == "PUT" || r.method == "PATCH";
      routes_.push_back(std::move(r));
    }
  }
  // A literal segment wins over a parameter in the same place (".../organizations/search" before
  // ".../organizations/{id}"): order routes by where their parameters are, literals first.
  auto shape = [](const Route& r) {
    std::vector<bool> v;
    for (const std::string& s : r.segments)
      v.push_back(!s.empty() && s.front() == '{');
    return v;
  };
  std::stable_sort(routes_.begin(), routes_.end(),
                   [&](const Route& a, const Route& b) { return shape(a) < shape(b); });
}

bool RouteTable::path_matches(const Route& r, const std::vector<std::string_view>& segs,
                              std::vector<std::pair<std::string, std::string>>* params) {
  if (r.segments.size() != segs.size()) return false;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const std::string& want = r.segments[i];
    const bool is_param = want.size() > 2 && want.front() == '{' && want.back() == '}';
    if (is_param) {
      if (params != nullptr) {
        params->emplace_back(want.substr(1, want.size() - 2), std::string(segs[i]));
      }
    } else if (want != segs[i]) {
      if (params != nullptr) params->clear();
      return false;
    }
  }
  return true;
}

RouteMatch RouteTable::match(std::string_view method, std::string_view path) const {
  RouteMatch m;
  const std::vector<std::string_view> segs = http::split_path(path);
  for (const Route& r : routes_) {
    if (r.method != method) continue;
    if (path_matches(r, segs, &m.params)) {
      m.route = &r;
      return m;
    }
  }
  return m;
}

std::vector<std::string> RouteTable::methods_for(std::string_view path) const {
  std::vector<std::string> out;
  const std::vector<std::string_view> segs = http::split_path(path);
  for (const Route& r : routes_) {
    if (path_matches(r, segs, nullptr)) out.push_back(r.method);
  }
  return out;
}

}  // namespace kai::gateway
