// CSV for spreadsheets (RFC 4180): list routes and the audit log exported as text/csv.
//
// Cells are quoted when they hold a comma, a quote, CR, LF or leading/trailing spaces, quotes
// doubled. Text cells that a spreadsheet would run as a formula (starting with = + - @, TAB or
// CR) get a leading apostrophe, so an organisation named "=HYPERLINK(...)" is shown, never run.
// Rows end with CRLF; a document starts with a UTF-8 byte order mark so that spreadsheet programs
// read Chinese text correctly.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

#include "common/status.hpp"
#include "schema/descriptor.hpp"

namespace kai::gateway {

inline constexpr std::string_view kCsvContentType = "text/csv; charset=utf-8";
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Appends one cell. `text`: the value is free text (formula protection applies); numbers and
// booleans pass `false`.
void append_csv_cell(std::string& out, std::string_view value, bool text);
// Appends a row of text cells, separated by commas, ending with CRLF.
void append_csv_row(std::string& out, const std::vector<std::string>& cells);

// One column of a message rendered as a table: nested messages are flattened into dotted columns
// ("contact.phone"); lists stay in one cell.
struct CsvColumn {
  std::string header;
  std::vector<const schema::FieldDesc*> path;  // from the item message down to the leaf field
};

// The columns of `item`, in field order.
std::vector<CsvColumn> csv_columns(const schema::MessageDesc& item);

// Appends the header row for `columns`.
void append_csv_header(std::string& out, const std::vector<CsvColumn>& columns);

// Appends one row per element of `items` (a MessagePack array of the maps csv_columns() described).
// Personal data is masked when `mask_pii`. invalid_argument when an element is not shaped as `item`
// says.
Status append_csv_rows(const msgpack::object& items, const std::vector<CsvColumn>& columns,
                       bool mask_pii, std::string& out);

}  // namespace kai::gateway
