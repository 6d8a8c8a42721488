#include "bus/allow_list.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "bus/curve.hpp"
#include "bus/mdp.hpp"
#include "common/config.hpp"

namespace kai::bus {

bool Roles::may_serve(std::string_view service) const {
  return std::find(worker_services.begin(), worker_services.end(), service) !=
         worker_services.end();
}

Result<AllowList> AllowList::parse(std::string_view text) {
  AllowList list;
  int line_no = 0;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    const auto where = "allow-list line " + std::to_string(line_no) + ": ";
    // '#' is part of the Z85 alphabet, so a comment starts only at a '#' that begins a word.
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
        line.erase(i);
        break;
      }
    }
    std::istringstream fields(line);
    std::string key, roles_text, extra;
    if (!(fields >> key)) continue;  // blank or comment
    if (!(fields >> roles_text)) return invalid_argument(where + "a key needs its roles");
    if (fields >> extra) return invalid_argument(where + "unexpected text after the roles");
    if (!valid_z85_key(key)) return invalid_argument(where + "not a 40-character Z85 public key");
    Roles& r = list.keys_[key];
    for (const std::string& role : split_list(roles_text)) {
      if (role == "client") {
        r.client = true;
      } else if (role == "publisher") {
        r.publisher = true;
      } else if (role == "subscriber") {
        r.subscriber = true;
      } else if (role.starts_with("worker:") &&
                 mdp::valid_service_name(std::string_view(role).substr(7)) &&
                 !role.starts_with("worker:mmi.")) {
        r.worker_services.push_back(role.substr(7));
      } else {
        return invalid_argument(where + "unknown role '" + role +
                                "' (client, publisher, subscriber, worker:<service>)");
      }
    }
  }
  return list;
}

Result<AllowList> AllowList::load(const std::string& path) {
  std::ifstream f(path);
  if (!f)
    return invalid_argument("cannot read the CurveZMQ allow-list " + path, "curve-allow-file");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse(ss.str());
}

const Roles* AllowList::find(std::string_view public_key) const {
  auto it = keys_.find(std::string(public_key));
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace kai::bus
