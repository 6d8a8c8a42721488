#include "schema/descriptor.hpp"

#include <array>

namespace kai::schema {

std::string_view field_type_name(FieldType type) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "string", "int32",     "int64", "bool",  "double",  "money",
      "date",   "timestamp", "enum",  "bytes", "message", "list"};
  return kNames[static_cast<std::size_t>(type)];
}

std::string_view pii_kind_name(PiiKind kind) {
  static constexpr std::array<std::string_view, 6> kNames = {"none",    "phone", "id_number",
                                                             "address", "name",  "email"};
  return kNames[static_cast<std::size_t>(kind)];
}

int EnumDesc::index_of(std::string_view value) const {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] == value) return static_cast<int>(i);
  }
  return -1;
}

const FieldDesc* MessageDesc::find(std::string_view field_name) const {
  for (const FieldDesc& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

const FieldDesc* MessageDesc::find(std::string_view field_name, std::size_t& next) const {
  const FieldDesc* f =
      next < fields.size() && fields[next].name == field_name ? &fields[next] : find(field_name);
  if (f != nullptr) next = static_cast<std::size_t>(f - fields.data()) + 1;
  return f;
}

bool OperationDesc::declares(StatusCode code) const {
  for (StatusCode c : errors) {
    if (c == code) return true;
  }
  return false;
}

const OperationDesc* ServiceDesc::find_operation(std::string_view op) const {
  for (const OperationDesc& o : operations) {
    if (o.name == op) return &o;
  }
  return nullptr;
}

const EventDesc* ServiceDesc::find_event(std::string_view topic) const {
  for (const EventDesc& e : events) {
    if (e.topic == topic) return &e;
  }
  return nullptr;
}

}  // namespace kai::schema
