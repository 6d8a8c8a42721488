#include "gateway/csv.hpp"

#include <charconv>

#include "schema/base64.hpp"
#include "schema/codec.hpp"
#include "schema/pii.hpp"
#include "schema/transcode.hpp"

namespace kai::gateway {
namespace {

// Nested messages deeper than this are rendered as JSON in one cell.
constexpr int kMaxFlattenDepth = 4;

void add_columns(const schema::MessageDesc& msg, std::string prefix,
                 std::vector<const schema::FieldDesc*> path, int depth,
                 std::vector<CsvColumn>& out) {
  for (const schema::FieldDesc& f : msg.fields) {
    std::string name = prefix + std::string(f.name);
    path.push_back(&f);
    if (f.type == schema::FieldType::message && f.message != nullptr && depth < kMaxFlattenDepth) {
      add_columns(*f.message, name + ".", path, depth + 1, out);
    } else {
      out.push_back({std::move(name), path});
    }
    path.pop_back();
  }
}

// The member `name` of map `obj`, or nullptr.
const msgpack::object* member(const msgpack::object& obj, std::string_view name) {
  for (const msgpack::object_kv& kv : schema::codec::entries(obj)) {
    if (schema::codec::key_of(kv.key) == name) return &kv.val;
  }
  return nullptr;
}

// Renders a scalar (or, for messages, JSON) value of field `f` as cell text. Sets `text` when the
// cell is free text.
Status render_value(const msgpack::object& v, const schema::FieldDesc& f, bool mask_pii,
                    std::string& scratch, std::string& cell, bool& text) {
  using schema::FieldType;
  text = false;
  switch (f.type) {
    case FieldType::string:
    case FieldType::date:
    case FieldType::enumeration: {
      if (v.type != msgpack::type::STR)
        return invalid_argument("expected a string", std::string(f.name));
      const std::string_view s(v.via.str.ptr, v.via.str.size);
      cell.append(mask_pii ? schema::mask_pii(s, f.pii, scratch) : s);
      text = true;
      return Status::Ok();
    }
    case FieldType::int32:
    case FieldType::int64:
    case FieldType::money:
    case FieldType::timestamp: {
      std::int64_t n = 0;
      if (v.type == msgpack::type::POSITIVE_INTEGER) {
        n = static_cast<std::int64_t>(v.via.u64);
      } else if (v.type == msgpack::type::NEGATIVE_INTEGER) {
        n = v.via.i64;
      } else {
        return invalid_argument("expected an integer", std::string(f.name));
      }
      if (f.type == FieldType::timestamp) {
        char buf[32];
        const std::size_t len = schema::format_timestamp(n, buf);
        if (len == 0) return invalid_argument("timestamp out of range", std::string(f.name));
        cell.append(buf, len);
        return Status::Ok();
      }
      cell += std::to_string(n);
      return Status::Ok();
    }
    case FieldType::boolean:
      if (v.type != msgpack::type::BOOLEAN)
        return invalid_argument("expected a boolean", std::string(f.name));
      cell += v.via.boolean ? "true" : "false";
      return Status::Ok();
    case FieldType::float64: {
      double d = 0;
      if (v.type == msgpack::type::FLOAT32 || v.type == msgpack::type::FLOAT64) {
        d = v.via.f64;
      } else if (v.type == msgpack::type::POSITIVE_INTEGER) {
        d = static_cast<double>(v.via.u64);
      } else if (v.type == msgpack::type::NEGATIVE_INTEGER) {
        d = static_cast<double>(v.via.i64);
      } else {
        return invalid_argument("expected a number", std::string(f.name));
      }
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      cell.append(buf, r.ptr);
      return Status::Ok();
    }
    case FieldType::bytes:
      if (v.type != msgpack::type::BIN)
        return invalid_argument("expected bytes", std::string(f.name));
      schema::base64_append(cell, std::string_view(v.via.bin.ptr, v.via.bin.size));
      text = true;
      return Status::Ok();
    case FieldType::message: {
      if (f.message == nullptr) return internal_error("message field without a descriptor");
      schema::JsonOptions opts;
      opts.mask_pii = mask_pii;
      text = true;
      return schema::msgpack_to_json(v, *f.message, opts, cell);
    }
    case FieldType::list: {
      if (v.type != msgpack::type::ARRAY || f.items == nullptr) {
        return invalid_argument("expected a list", std::string(f.name));
      }
      const bool of_messages = f.items->type == FieldType::message;
      if (of_messages) cell += '[';
      bool first = true;
      for (const msgpack::object& item : schema::codec::items(v)) {
        if (!first) cell += of_messages ? "," : "; ";
        first = false;
        bool item_text = false;
        KAI_RETURN_IF_ERROR(render_value(item, *f.items, mask_pii, scratch, cell, item_text));
      }
      if (of_messages) cell += ']';
      text = true;
      return Status::Ok();
    }
  }
  return internal_error("unknown field type");
}

}  // namespace

void append_csv_cell(std::string& out, std::string_view value, bool text) {
  const bool formula = text && !value.empty() &&
                       (value.front() == '=' || value.front() == '+' || value.front() == '-' ||
                        value.front() == '@' || value.front() == '\t' || value.front() == '\r');
  const bool quote = formula || value.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!value.empty() && (value.front() == ' ' || value.back() == ' '));
  if (!quote) {
    out.append(value);
    return;
  }
  out += '"';
  if (formula) out += '\'';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void append_csv_row(std::string& out, const std::vector<std::string>& cells) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ',';
    append_csv_cell(out, cells[i], true);
  }
  out += "\r\n";
}

std::vector<CsvColumn> csv_columns(const schema::MessageDesc& item) {
  std::vector<CsvColumn> out;
  add_columns(item, "", {}, 0, out);
  return out;
}

void append_csv_header(std::string& out, const std::vector<CsvColumn>& columns) {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ',';
    append_csv_cell(out, columns[i].header, true);
  }
  out += "\r\n";
}

Status append_csv_rows(const msgpack::object& items, const std::vector<CsvColumn>& columns,
                       bool mask_pii, std::string& out) {
  if (items.type != msgpack::type::ARRAY) return invalid_argument("expected a list", "items");
  std::string scratch, cell;
  for (const msgpack::object& row : schema::codec::items(items)) {
    if (row.type != msgpack::type::MAP) return invalid_argument("expected an object", "items");
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) out += ',';
      // Walk the column's path through nested maps; an absent field is an empty cell.
      const msgpack::object* v = &row;
      for (const schema::FieldDesc* f : columns[c].path) {
        if (v->type != msgpack::type::MAP) {
          v = nullptr;
          break;
        }
        v = member(*v, f->name);
        if (v == nullptr || v->type == msgpack::type::NIL) {
          v = nullptr;
          break;
        }
      }
      if (v == nullptr) continue;
      cell.clear();
      bool text = false;
      KAI_RETURN_IF_ERROR(render_value(*v, *columns[c].path.back(), mask_pii, scratch, cell, text));
      append_csv_cell(out, cell, text);
    }
    out += "\r\n";
  }
  return Status::Ok();
}

}  // namespace kai::gateway
