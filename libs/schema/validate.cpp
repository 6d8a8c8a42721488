#include "schema/validate.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "common/result.hpp"
#include "common/time.hpp"
#include "schema/path.hpp"
#include "schema/utf8.hpp"

namespace kai::schema {
namespace {

class Validator {
 public:
  explicit Validator(std::string_view root) : root_(root) {}

  Status message(const msgpack::object& obj, const MessageDesc& desc) {
    if (obj.type != msgpack::type::MAP) {
      return fail(path_.depth() == 0 ? "expected a map (an object)" : "expected an object");
    }
    if (desc.fields.size() > 64) return internal_error("descriptor has more than 64 fields");
    std::uint64_t seen = 0;
    std::size_t next_field = 0;
    for (std::uint32_t i = 0; i < obj.via.map.size; ++i) {
      const msgpack::object_kv& kv = obj.via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR) return fail("field names must be strings");
      const std::string_view key(kv.key.via.str.ptr, kv.key.via.str.size);
      const FieldDesc* field = desc.find(key, next_field);
      if (field == nullptr) return fail_unknown(key);
      const auto index = static_cast<std::size_t>(field - desc.fields.data());
      const std::uint64_t bit = 1ULL << index;
      if (!push(field->name, -1)) return internal_error("schema nests too deeply");
      if (seen & bit) return fail("duplicate field");
      seen |= bit;
      if (kv.val.type == msgpack::type::NIL) {
        if (field->required) return fail("required field must not be null");
      } else {
        KAI_RETURN_IF_ERROR(value(kv.val, *field));
      }
      pop();
    }
    for (std::size_t i = 0; i < desc.fields.size(); ++i) {
      const FieldDesc& f = desc.fields[i];
      if (f.required && !(seen & (1ULL << i))) {
        if (!push(f.name, -1)) return internal_error("schema nests too deeply");
        return fail("missing required field");
      }
    }
    return Status::Ok();
  }

  Status value(const msgpack::object& obj, const FieldDesc& f) {
    switch (f.type) {
      case FieldType::string:
        return string(obj, f);
      case FieldType::bytes:
        return bytes(obj, f);
      case FieldType::int32:
        return integer(obj, f, std::numeric_limits<std::int32_t>::min(),
                       std::numeric_limits<std::int32_t>::max(), "a 32-bit integer");
      case FieldType::int64:
        return integer(obj, f, std::numeric_limits<std::int64_t>::min(),
                       std::numeric_limits<std::int64_t>::max(), "an integer");
      case FieldType::money:
        return integer(obj, f, std::numeric_limits<std::int64_t>::min(),
                       std::numeric_limits<std::int64_t>::max(), "an integer amount in fen");
      case FieldType::timestamp:
        return integer(obj, f, kMinTimestampMs, kMaxTimestampMs,
                       "a timestamp (Unix milliseconds, years 0001..9999)");
      case FieldType::boolean:
        if (obj.type != msgpack::type::BOOLEAN) return fail("expected a boolean");
        return Status::Ok();
      case FieldType::float64:
        return number(obj, f);
      case FieldType::date: {
        if (obj.type != msgpack::type::STR) return fail("expected a date string (YYYY-MM-DD)");
        const std::string_view s(obj.via.str.ptr, obj.via.str.size);
        if (!parse_date(s)) return fail("expected a real calendar date as YYYY-MM-DD");
        return Status::Ok();
      }
      case FieldType::enumeration: {
        if (obj.type != msgpack::type::STR) return fail("expected a string");
        const std::string_view s(obj.via.str.ptr, obj.via.str.size);
        if (f.enumeration == nullptr) return internal_error("enum field without values");
        if (f.enumeration->index_of(s) < 0) return fail_enum(*f.enumeration);
        return Status::Ok();
      }
      case FieldType::message:
        if (f.message == nullptr) return internal_error("message field without descriptor");
        return message(obj, *f.message);
      case FieldType::list:
        return list(obj, f);
    }
    return internal_error("unknown field type");
  }

 private:
  Status string(const msgpack::object& obj, const FieldDesc& f) {
    if (obj.type != msgpack::type::STR) return fail("expected a string");
    const std::string_view s(obj.via.str.ptr, obj.via.str.size);
    const std::optional<std::size_t> len = utf8_length(s);
    if (!len) return fail("not valid UTF-8");
    const auto n = static_cast<std::int64_t>(*len);
    if (n < f.min_len) {
      return fail(f.min_len == 1
                      ? std::string("must not be empty")
                      : "must be at least " + std::to_string(f.min_len) + " characters long");
    }
    if (f.max_len >= 0 && n > f.max_len) {
      return fail("must be at most " + std::to_string(f.max_len) + " characters long");
    }
    if (f.pattern != nullptr && !f.pattern->matches(s)) {
      KAI_RETURN_IF_ERROR(f.pattern->compile());
      return fail("does not match the pattern " + std::string(f.pattern->source()));
    }
    return Status::Ok();
  }

  Status bytes(const msgpack::object& obj, const FieldDesc& f) {
    if (obj.type != msgpack::type::BIN) return fail("expected binary data");
    const auto n = static_cast<std::int64_t>(obj.via.bin.size);
    if (n < f.min_len) return fail("must be at least " + std::to_string(f.min_len) + " bytes");
    if (f.max_len >= 0 && n > f.max_len) {
      return fail("must be at most " + std::to_string(f.max_len) + " bytes");
    }
    return Status::Ok();
  }

  Status integer(const msgpack::object& obj, const FieldDesc& f, std::int64_t lo, std::int64_t hi,
                 std::string_view what) {
    std::int64_t v;
    if (obj.type == msgpack::type::NEGATIVE_INTEGER) {
      v = obj.via.i64;
    } else if (obj.type == msgpack::type::POSITIVE_INTEGER &&
               obj.via.u64 <= static_cast<std::uint64_t>(hi)) {
      v = static_cast<std::int64_t>(obj.via.u64);
    } else {
      return fail("expected " + std::string(what));
    }
    if (v < lo || v > hi) return fail("expected " + std::string(what));
    if (f.min_int && v < *f.min_int) return fail("must be >= " + std::to_string(*f.min_int));
    if (f.max_int && v > *f.max_int) return fail("must be <= " + std::to_string(*f.max_int));
    return Status::Ok();
  }

  Status number(const msgpack::object& obj, const FieldDesc& f) {
    double v;
    switch (obj.type) {
      case msgpack::type::FLOAT32:
      case msgpack::type::FLOAT64:
        v = obj.via.f64;
        break;
      case msgpack::type::POSITIVE_INTEGER:
        v = static_cast<double>(obj.via.u64);
        break;
      case msgpack::type::NEGATIVE_INTEGER:
        v = static_cast<double>(obj.via.i64);
        break;
      default:
        return fail("expected a number");
    }
    if (!std::isfinite(v)) return fail("must be a finite number");
    if (f.min_double && v < *f.min_double) return fail("is below the minimum");
    if (f.max_double && v > *f.max_double) return fail("is above the maximum");
    return Status::Ok();
  }

  Status list(const msgpack::object& obj, const FieldDesc& f) {
    if (obj.type != msgpack::type::ARRAY) return fail("expected an array");
    if (f.items == nullptr) return internal_error("list field without item spec");
    const auto n = static_cast<std::int64_t>(obj.via.array.size);
    if (n < f.min_items) {
      return fail("must have at least " + std::to_string(f.min_items) + " items");
    }
    if (f.max_items >= 0 && n > f.max_items) {
      return fail("must have at most " + std::to_string(f.max_items) + " items");
    }
    for (std::uint32_t i = 0; i < obj.via.array.size; ++i) {
      if (!push({}, i)) return internal_error("schema nests too deeply");
      const msgpack::object& item = obj.via.array.ptr[i];
      if (item.type == msgpack::type::NIL) return fail("list items must not be null");
      KAI_RETURN_IF_ERROR(value(item, *f.items));
      pop();
    }
    return Status::Ok();
  }

  bool push(std::string_view name, std::int64_t index) {
    return index >= 0 ? path_.push_index(index) : path_.push_field(name);
  }
  void pop() { path_.pop(); }

  std::string path(std::string_view leaf = {}) const {
    std::string p(root_);
    std::string rest = path_.str(leaf);
    if (!p.empty() && !rest.empty() && rest[0] != '[') p += '.';
    p += rest;
    return p;
  }

  Status fail(const std::string& what) const {
    std::string p = path();
    if (p.empty()) return invalid_argument("message: " + what);
    return invalid_argument(p + ": " + what, p);
  }
  Status fail(const char* what) const { return fail(std::string(what)); }

  Status fail_unknown(std::string_view key) {
    // Shown as given but bounded, so a hostile key cannot bloat logs.
    std::string field = path(key.substr(0, 64));
    return invalid_argument(field + ": unknown field", field);
  }

  Status fail_enum(const EnumDesc& e) const {
    std::string what = "must be one of";
    for (std::size_t i = 0; i < e.values.size(); ++i) {
      what += i == 0 ? " " : ", ";
      what.append(e.values[i]);
    }
    return fail(what);
  }

  std::string_view root_;
  FieldPath path_;
};

}  // namespace

Status validate(const msgpack::object& obj, const MessageDesc& desc) {
  return Validator({}).message(obj, desc);
}

Status validate_value(const msgpack::object& obj, const FieldDesc& field, std::string_view path) {
  if (obj.type == msgpack::type::NIL) {
    if (field.required) {
      return invalid_argument(std::string(path) + ": required field must not be null",
                              std::string(path));
    }
    return Status::Ok();
  }
  return Validator(path).value(obj, field);
}

}  // namespace kai::schema
