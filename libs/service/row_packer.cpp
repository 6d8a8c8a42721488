#include "service/row_packer.hpp"

#include <cstdint>
#include <limits>
#include <string_view>

#include "schema/codec.hpp"
#include "schema/unpack.hpp"

namespace kai::svc {
namespace {

using schema::FieldType;
using store::Value;
using store::ValueKind;

Status unfit(const schema::MessageDesc& message, const schema::FieldDesc& field,
             std::string_view why) {
  std::string msg = "stored ";
  msg += message.name;
  msg += '.';
  msg += field.name;
  msg += ' ';
  msg += why;
  return internal_error(std::move(msg));
}

bool is_map_header(unsigned char b) {
  return (b & 0xf0) == 0x80 || b == 0xde || b == 0xdf;
}
bool is_array_header(unsigned char b) {
  return (b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd;
}

// Writes one non-NULL stored value as its field's type.
Status pack_value(const schema::MessageDesc& message, const schema::FieldDesc& field,
                  const Value& v, schema::Packer& pk, std::string& out) {
  const auto expect = [&](ValueKind kind) -> Status {
    if (v.kind() == kind) return Status::Ok();
    std::string why = "is ";
    why += store::value_kind_name(v.kind());
    why += ", not ";
    why += store::value_kind_name(kind);
    return unfit(message, field, why);
  };
  switch (field.type) {
    case FieldType::string:
    case FieldType::date:
      KAI_RETURN_IF_ERROR(expect(ValueKind::text));
      schema::codec::pack_string(pk, v.as_text());
      return Status::Ok();
    case FieldType::enumeration:
      KAI_RETURN_IF_ERROR(expect(ValueKind::text));
      if (field.enumeration->index_of(v.as_text()) < 0) {
        return unfit(message, field, "'" + v.as_text() + "' is not a known value");
      }
      schema::codec::pack_string(pk, v.as_text());
      return Status::Ok();
    case FieldType::int32:
      KAI_RETURN_IF_ERROR(expect(ValueKind::int64));
      if (v.as_int64() < std::numeric_limits<std::int32_t>::min() ||
          v.as_int64() > std::numeric_limits<std::int32_t>::max()) {
        return unfit(message, field, "is out of the int32 range");
      }
      schema::codec::pack_int(pk, v.as_int64());
      return Status::Ok();
    case FieldType::int64:
    case FieldType::money:
    case FieldType::timestamp:
      KAI_RETURN_IF_ERROR(expect(ValueKind::int64));
      schema::codec::pack_int(pk, v.as_int64());
      return Status::Ok();
    case FieldType::boolean:
      KAI_RETURN_IF_ERROR(expect(ValueKind::int64));
      if (v.as_int64() != 0 && v.as_int64() != 1) return unfit(message, field, "is not 0 or 1");
      schema::codec::pack_bool(pk, v.as_int64() == 1);
      return Status::Ok();
    case FieldType::float64:
      // A whole number written to a REAL column may come back as an integer.
      if (v.kind() != ValueKind::int64) KAI_RETURN_IF_ERROR(expect(ValueKind::float64));
      schema::codec::pack_double(pk, v.as_float64());
      return Status::Ok();
    case FieldType::bytes:
      KAI_RETURN_IF_ERROR(expect(ValueKind::blob));
      schema::codec::pack_bytes(pk, v.as_blob());
      return Status::Ok();
    case FieldType::message:
    case FieldType::list: {
      KAI_RETURN_IF_ERROR(expect(ValueKind::blob));
      const std::string& bytes = v.as_blob();
      if (Status s = schema::check_well_formed(bytes); !s.ok()) {
        return unfit(message, field, "does not decode: " + s.message());
      }
      const auto first = static_cast<unsigned char>(bytes[0]);
      if (field.type == FieldType::message ? !is_map_header(first) : !is_array_header(first)) {
        return unfit(message, field,
                     field.type == FieldType::message ? "is not a map" : "is not an array");
      }
      out += bytes;  // the packer writes straight into `out`: nothing of it is pending
      return Status::Ok();
    }
  }
  return unfit(message, field, "has a field type this packer does not know");
}

}  // namespace

Result<RowPacker> RowPacker::make(const schema::MessageDesc& message,
                                  const store::ColumnNames& columns) {
  std::vector<std::size_t> column_of_field;
  std::vector<std::string> packed_keys;
  column_of_field.reserve(message.fields.size());
  packed_keys.reserve(message.fields.size());
  for (const schema::FieldDesc& field : message.fields) {
    std::size_t i = 0;
    while (i < columns.size() && columns[i] != field.name)
      ++i;
    if (i == columns.size()) return unfit(message, field, "has no column in the query");
    column_of_field.push_back(i);
    // Every row writes the same names: packed once here, appended as they are.
    std::string& key = packed_keys.emplace_back();
    schema::StringSink sink(key);
    schema::Packer pk(sink);
    schema::codec::pack_key(pk, field.name);
  }
  return RowPacker(message, std::move(column_of_field), std::move(packed_keys));
}

Status RowPacker::pack(const store::Row& row, std::string& out) const {
  const auto& fields = message_->fields;
  std::uint32_t present = 0;
  for (std::size_t f = 0; f < fields.size(); ++f) {
    if (!row.is_null(column_of_field_[f])) {
      ++present;
    } else if (fields[f].required || fields[f].has_default()) {
      // encode() always writes these: the typed record holds them without std::optional.
      return unfit(*message_, fields[f], "is NULL but always present");
    }
  }
  schema::StringSink sink(out);
  schema::Packer pk(sink);
  pk.pack_map(present);
  for (std::size_t f = 0; f < fields.size(); ++f) {
    const Value& v = row.at(column_of_field_[f]);
    if (v.is_null()) continue;
    out += packed_keys_[f];
    KAI_RETURN_IF_ERROR(pack_value(*message_, fields[f], v, pk, out));
  }
  return Status::Ok();
}

}  // namespace kai::svc
