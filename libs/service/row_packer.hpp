// RowPacker: writes a stored row as the MessagePack of a schema message, without building the
// generated type first. For replies whose items are rows as they are stored (a list page), where
// building typed records only to encode them again was most of the work.
//
// The row's shape: a column named like each field of the message (use `AS` in the SELECT), NULL
// for an absent optional field; scalars in the column kinds the store gives them (text for
// strings, dates and enum values; integers for int32, int64, money, timestamps and 0/1 booleans;
// floating point; BLOB for bytes); nested messages and lists in BLOB columns holding their own
// MessagePack, as written by encode() or a packer, copied into the reply as they are. Other
// columns (sort keys, joins) are ignored.
//
//   auto packer = svc::RowPacker::make(msg::Organization::desc(), rows[0].columns());
//   if (!packer.ok()) return packer.status();
//   for (const store::Row& row : rows) KAI_RETURN_IF_ERROR(packer->pack(row, out));
//
// The output has what encode() of the typed record gives: a map of the fields present, in
// declaration order, each value of its field's type. Stored values that do not fit (a NULL in a
// required or defaulted field, a number in a text field, an enum value the schema does not know, a
// BLOB that is not one well-formed MessagePack value of the field's kind) are internal errors: they
// are a bug or a corrupted database, and the reply is not sent.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "schema/descriptor.hpp"
#include "store/row.hpp"

namespace kai::svc {

class RowPacker {
 public:
  // Maps the message's fields to `columns`; internal when a field has no column of its name.
  static Result<RowPacker> make(const schema::MessageDesc& message,
                                const store::ColumnNames& columns);

  // Appends the message of `row` (a row of the columns given to make()) to `out`.
  Status pack(const store::Row& row, std::string& out) const;

 private:
  RowPacker(const schema::MessageDesc& message, std::vector<std::size_t> column_of_field,
            std::vector<std::string> packed_keys)
      : message_(&message),
        column_of_field_(std::move(column_of_field)),
        packed_keys_(std::move(packed_keys)) {}

  const schema::MessageDesc* message_;
  std::vector<std::size_t> column_of_field_;  // by field index
  std::vector<std::string> packed_keys_;      // by field index: the name as MessagePack
};

}  // namespace kai::svc
