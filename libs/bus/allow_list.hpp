// Who may do what on the bus when CurveZMQ is on: a file mapping public keys to roles.
//
//   # public key (Z85)                         roles (comma-separated)
//   rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7   worker:membership
//   Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID   client
//
// Roles:
//   client            may send requests to any service
//   worker:<service>  may register as a worker of <service> (and only that one), send requests,
//                     publish events and subscribe to them — what a service process needs
//   publisher         may publish events
//   subscriber        may subscribe to events
// A key not in the file is refused at the handshake. '#' starts a comment only at the start of a
// word ('#' is also a Z85 character).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"

namespace kai::bus {

struct Roles {
  bool client = false;
  bool publisher = false;
  bool subscriber = false;
  std::vector<std::string> worker_services;

  bool may_request() const { return client || !worker_services.empty(); }
  bool may_publish() const { return publisher || !worker_services.empty(); }
  bool may_subscribe() const { return subscriber || !worker_services.empty(); }
  bool may_serve(std::string_view service) const;
};

class AllowList {
 public:
  // Parses the file format above; invalid_argument naming the line on any mistake.
  static Result<AllowList> parse(std::string_view text);
  static Result<AllowList> load(const std::string& path);

  // Roles of a Z85 public key, or nullptr when the key is not allowed at all.
  const Roles* find(std::string_view public_key) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::unordered_map<std::string, Roles> keys_;
};

}  // namespace kai::bus
