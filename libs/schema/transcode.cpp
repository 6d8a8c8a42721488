#include "schema/transcode.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <new>

#include <nlohmann/json.hpp>

#include "common/json_writer.hpp"
#include "common/time.hpp"
#include "schema/base64.hpp"
#include "schema/codec.hpp"
#include "schema/path.hpp"
#include "schema/pii.hpp"
#include "schema/reader.hpp"
#include "schema/unpack.hpp"
#include "schema/validate.hpp"

namespace kai::schema {
namespace {

// Containers are written with a placeholder header whose count is set in the smallest form when
// the container closes (codec::set_container_size), so the output is plain, compact MessagePack
// without an intermediate tree. JSON input is held to containers of 65,535 elements.
constexpr std::uint32_t kMaxContainer = 65535;

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out), sink_(out), pk_(sink_) {}

  std::size_t begin(bool map) {
    return codec::begin_container_of_unknown_size(
        out_, map ? codec::Container::map : codec::Container::array);
  }

  void finish(std::size_t pos, bool map, std::uint32_t count) {
    codec::set_container_size(out_, pos, map ? codec::Container::map : codec::Container::array,
                              count);
  }

  Packer& pk() { return pk_; }

 private:
  std::string& out_;
  StringSink sink_;
  Packer pk_;
};

std::string_view expected_json(const FieldDesc& f) {
  switch (f.type) {
    case FieldType::string:
    case FieldType::enumeration:
      return "a string";
    case FieldType::int32:
    case FieldType::int64:
      return "an integer";
    case FieldType::money:
      return "an integer amount in fen";
    case FieldType::boolean:
      return "true or false";
    case FieldType::float64:
      return "a number";
    case FieldType::date:
      return "a date string (YYYY-MM-DD)";
    case FieldType::timestamp:
      return "an RFC 3339 timestamp string";
    case FieldType::bytes:
      return "a base64 string";
    case FieldType::message:
      return "an object";
    case FieldType::list:
      return "an array";
  }
  return "a value";
}

bool is_integer_type(FieldType t) {
  return t == FieldType::int32 || t == FieldType::int64 || t == FieldType::money;
}

Status field_error(const std::string& path, std::string_view what) {
  if (path.empty()) return invalid_argument("request: " + std::string(what));
  return invalid_argument(path + ": " + std::string(what), path);
}

// Packs a parameter's text as the field's (scalar) type.
Status pack_text(Packer& pk, const FieldDesc& f, std::string_view text, const std::string& path,
                 std::string& scratch) {
  switch (f.type) {
    case FieldType::string:
    case FieldType::date:
    case FieldType::enumeration:
      codec::pack_string(pk, text);
      return Status::Ok();
    case FieldType::int32:
    case FieldType::int64:
    case FieldType::money: {
      std::int64_t v = 0;
      const char* end = text.data() + text.size();
      const auto [ptr, ec] = std::from_chars(text.data(), end, v);
      if (text.empty() || ec == std::errc::result_out_of_range) {
        return field_error(path, ec == std::errc::result_out_of_range ? "integer out of range"
                                                                      : "expected an integer");
      }
      if (ec != std::errc() || ptr != end) return field_error(path, "expected an integer");
      codec::pack_int(pk, v);
      return Status::Ok();
    }
    case FieldType::timestamp: {
      const std::optional<UnixMillis> t = parse_rfc3339(text);
      if (!t) return field_error(path, "expected an RFC 3339 timestamp");
      codec::pack_int(pk, *t);
      return Status::Ok();
    }
    case FieldType::boolean:
      if (text == "true") {
        codec::pack_bool(pk, true);
      } else if (text == "false") {
        codec::pack_bool(pk, false);
      } else {
        return field_error(path, "expected true or false");
      }
      return Status::Ok();
    case FieldType::float64: {
      double v = 0;
      const char* end = text.data() + text.size();
      const auto [ptr, ec] = std::from_chars(text.data(), end, v);
      if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v)) {
        return field_error(path, "expected a number");
      }
      codec::pack_double(pk, v);
      return Status::Ok();
    }
    case FieldType::bytes:
      scratch.clear();
      if (!base64_decode_append(text, scratch)) return field_error(path, "expected base64");
      codec::pack_bytes(pk, scratch);
      return Status::Ok();
    case FieldType::message:
    case FieldType::list:
      break;
  }
  return field_error(path, "cannot be given as a URL parameter");
}

// Writes the fields given as URL parameters into an open map; sets their bits in `seen`.
Status write_params(Writer& w, const MessageDesc& desc, const Params& params, std::uint64_t& seen,
                    std::uint32_t& count) {
  std::string scratch;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::string& name = params[i].first;
    const FieldDesc* f = desc.find(name);
    if (f == nullptr) {
      const std::string shown = name.substr(0, 64);
      return invalid_argument(shown + ": unknown parameter", shown);
    }
    const std::uint64_t bit = 1ULL << static_cast<std::size_t>(f - desc.fields.data());
    const std::string path(f->name);
    const bool is_list = f->type == FieldType::list;
    if (seen & bit) {
      if (is_list) continue;  // all its values were written at its first occurrence
      return field_error(path, "given more than once");
    }
    seen |= bit;
    ++count;
    codec::pack_key(w.pk(), f->name);
    if (!is_list) {
      KAI_RETURN_IF_ERROR(pack_text(w.pk(), *f, params[i].second, path, scratch));
      continue;
    }
    if (f->items == nullptr || f->items->type == FieldType::message ||
        f->items->type == FieldType::list) {
      return field_error(path, "cannot be given as a URL parameter");
    }
    const std::size_t header = w.begin(false);
    std::uint32_t n = 0;
    for (std::size_t k = i; k < params.size(); ++k) {
      if (params[k].first != name) continue;
      if (n == kMaxContainer) return field_error(path, "too many items");
      KAI_RETURN_IF_ERROR(pack_text(w.pk(), *f->items, params[k].second,
                                    path + "[" + std::to_string(n) + "]", scratch));
      ++n;
    }
    w.finish(header, false, n);
  }
  return Status::Ok();
}

// nlohmann::json SAX handler converting a JSON object into MessagePack as it parses, refusing
// anything the descriptor does not allow at the first offending token. Depth is bounded by the
// frame stack, so deeply nested input is refused early, never recursed into.
class JsonToMsgpack {
 public:
  using json = nlohmann::json;

  JsonToMsgpack(const MessageDesc& root, const JsonLimits& limits, std::string& out)
      : w_(out),
        max_depth_(std::clamp<std::size_t>(limits.max_depth, 1, FieldPath::kMaxDepth / 2)),
        max_items_(std::min<std::size_t>(limits.max_items, kMaxContainer)) {
    frames_.reserve(8);
    frames_.push_back({&root, nullptr, w_.begin(true), 0, 0, 0, nullptr});
  }

  // Fields from the URL, written before the body's members.
  Status preset(const Params& params) {
    Frame& root = frames_.front();
    KAI_RETURN_IF_ERROR(write_params(w_, *root.msg, params, root.seen, root.count));
    root.preset = root.seen;
    return Status::Ok();
  }

  // For an empty body: close the root map as if the body were {}.
  void close_empty() {
    Frame& root = frames_.front();
    w_.finish(root.header, true, root.count);
    frames_.clear();
    done_ = true;
  }

  bool done() const { return done_; }
  const Status& status() const { return status_; }

  bool null() {
    const FieldDesc* f = expected();
    if (f == nullptr) return fail_root();
    if (!top().msg) return fail("list items must not be null");
    if (f->required) return fail("required field must not be null");
    top().pending = nullptr;  // null is the same as absent
    return true;
  }

  bool boolean(bool v) {
    const FieldDesc* f = expected();
    if (f == nullptr) return fail_root();
    if (f->type != FieldType::boolean) return fail_type(*f);
    if (!begin_value()) return false;
    codec::pack_bool(w_.pk(), v);
    return end_value();
  }

  bool number_integer(std::int64_t v) {
    const FieldDesc* f = expected();
    if (f == nullptr) return fail_root();
    if (f->type == FieldType::float64) {
      if (!begin_value()) return false;
      codec::pack_double(w_.pk(), static_cast<double>(v));
      return end_value();
    }
    if (!is_integer_type(f->type)) return fail_type(*f);
    if (f->type == FieldType::int32 && (v < std::numeric_limits<std::int32_t>::min() ||
                                        v > std::numeric_limits<std::int32_t>::max())) {
      return fail("integer out of range for int32");
    }
    if (!begin_value()) return false;
    codec::pack_int(w_.pk(), v);
    return end_value();
  }

  bool number_unsigned(std::uint64_t v) {
    if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return number_integer(static_cast<std::int64_t>(v));
    }
    const FieldDesc* f = expected();
    if (f == nullptr) return fail_root();
    if (f->type == FieldType::float64) {
      if (!begin_value()) return false;
      codec::pack_double(w_.pk(), static_cast<double>(v));
      return end_value();
    }
    if (is_integer_type(f->type)) return fail("integer out of range");
    return fail_type(*f);
  }

  bool number_float(double v, const std::string& text) {
    const FieldDesc* f = expected();
    if (f == nullptr) return fail_root();
    if (f->type == FieldType::float64) {
      if (!std::isfinite(v)) return fail("must be a finite number");
      if (!begin_value()) return false;
      codec::pack_double(w_.pk(), v);
      return end_value();
    }
    if (is_integer_type(f->type)) {
      // nlohmann reports integers too large for 64 bits as floats; say which problem it is.
      const bool fraction = text.find_first_of(".eE") != std::string::npos;
      if (!fraction) return fail("integer out of range");
      if (f->type == FieldType::money) {
        return fail("money is an integer amount in fen, not a fraction");
      }
      return fail("expected an integer, not a fraction");
    }
    return fail_type(*f);
  }

  bool string(std::string& v) {
    const FieldDesc* f = expected();
    if (f == nullptr) return fail_root();
    switch (f->type) {
      case FieldType::string:
      case FieldType::date:
      case FieldType::enumeration:
        if (!is_valid_utf8(v)) return fail("not valid UTF-8");
        if (!begin_value()) return false;
        codec::pack_string(w_.pk(), v);
        return end_value();
      case FieldType::timestamp: {
        const std::optional<UnixMillis> t = parse_rfc3339(v);
        if (!t) return fail("expected an RFC 3339 timestamp");
        if (!begin_value()) return false;
        codec::pack_int(w_.pk(), *t);
        return end_value();
      }
      case FieldType::bytes:
        scratch_.clear();
        if (!base64_decode_append(v, scratch_)) return fail("expected base64");
        if (!begin_value()) return false;
        codec::pack_bytes(w_.pk(), scratch_);
        return end_value();
      default:
        return fail_type(*f);
    }
  }

  bool binary(json::binary_t& /*unused*/) { return fail("binary values are not JSON"); }

  bool start_object(std::size_t /*unused*/) {
    if (!root_open_) {
      root_open_ = true;
      return true;
    }
    const FieldDesc* f = expected();
    if (f == nullptr) return fail_root();
    if (f->type != FieldType::message || f->message == nullptr) return fail_type(*f);
    if (frames_.size() >= max_depth_) return fail("nested too deeply");
    if (!begin_value()) return false;
    frames_.push_back({f->message, nullptr, w_.begin(true), 0, 0, 0, nullptr});
    return true;
  }

  bool key(std::string& k) {
    Frame& t = top();
    const FieldDesc* f = t.msg->find(k);
    if (f == nullptr) {
      const std::string field = path(std::string_view(k).substr(0, 64));
      return fail_status(invalid_argument(field + ": unknown field", field));
    }
    const std::uint64_t bit = 1ULL << static_cast<std::size_t>(f - t.msg->fields.data());
    if (t.preset & bit) {
      const std::string field = path(f->name);
      return fail_status(
          invalid_argument(field + ": given both in the URL and in the body", field));
    }
    if (t.seen & bit) {
      const std::string field = path(f->name);
      return fail_status(invalid_argument(field + ": duplicate member", field));
    }
    t.seen |= bit;
    t.pending = f;
    return true;
  }

  bool end_object() {
    Frame& t = top();
    w_.finish(t.header, true, t.count);
    frames_.pop_back();
    if (frames_.empty()) {
      done_ = true;
      return true;
    }
    return end_value();
  }

  bool start_array(std::size_t /*unused*/) {
    const FieldDesc* f = expected();
    if (f == nullptr) return fail_root();
    if (f->type != FieldType::list || f->items == nullptr) return fail_type(*f);
    if (frames_.size() >= max_depth_) return fail("nested too deeply");
    if (!begin_value()) return false;
    frames_.push_back({nullptr, f, w_.begin(false), 0, 0, 0, nullptr});
    return true;
  }

  bool end_array() {
    Frame& t = top();
    w_.finish(t.header, false, t.count);
    frames_.pop_back();
    return end_value();
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& e) {
    std::string_view what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> from "parse".
    const std::size_t bracket = what.find("] ");
    if (bracket != std::string_view::npos) what.remove_prefix(bracket + 2);
    status_ = invalid_argument("malformed JSON: " + std::string(what.substr(0, 200)));
    return false;
  }

 private:
  struct Frame {
    const MessageDesc* msg;    // an object, or nullptr for an array
    const FieldDesc* list;     // the list field of an array
    std::size_t header;        // offset of the container's header in the output
    std::uint32_t count;       // entries/items written so far
    std::uint64_t seen;        // fields present (objects)
    std::uint64_t preset;      // fields that came from URL parameters (root object)
    const FieldDesc* pending;  // the member whose value comes next (objects)
  };

  Frame& top() { return frames_.back(); }

  // The spec of the value about to be read; nullptr before the root object opened.
  const FieldDesc* expected() {
    if (!root_open_ || frames_.empty()) return nullptr;
    const Frame& t = frames_.back();
    return t.msg != nullptr ? t.pending : t.list->items;
  }

  bool begin_value() {
    Frame& t = top();
    if (t.count >= max_items_) return fail("too many items");
    ++t.count;
    if (t.msg != nullptr) codec::pack_key(w_.pk(), t.pending->name);
    return true;
  }

  bool end_value() {
    Frame& t = top();
    if (t.msg != nullptr) t.pending = nullptr;
    return true;
  }

  // "items[3].contact.phone": each frame contributes its current member or item; the item being
  // read in the top frame is number `count`, in the frames below it is the one already counted.
  std::string path(std::string_view leaf = {}) const {
    FieldPath p;
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      const bool is_top = i + 1 == frames_.size();
      if (f.msg != nullptr) {
        if (f.pending != nullptr) p.push_field(f.pending->name);
      } else {
        p.push_index(is_top ? f.count : static_cast<std::int64_t>(f.count) - 1);
      }
    }
    return p.str(leaf);
  }

  bool fail_status(Status s) {
    status_ = std::move(s);
    return false;
  }
  bool fail(std::string_view what) { return fail_status(field_error(path(), what)); }
  bool fail_type(const FieldDesc& f) { return fail("expected " + std::string(expected_json(f))); }
  bool fail_root() {
    return fail_status(invalid_argument("the request body must be a JSON object"));
  }

  Writer w_;
  std::size_t max_depth_;
  std::size_t max_items_;
  std::vector<Frame> frames_;
  std::string scratch_;
  bool root_open_ = false;
  bool done_ = false;
  Status status_;
};

Result<std::string> convert(const MessageDesc& desc, const Params& params, std::string_view json,
                            const JsonLimits& limits, bool empty_is_object) {
  if (json.size() > limits.max_bytes) {
    return invalid_argument("JSON body of " + std::to_string(json.size()) +
                            " bytes exceeds the limit of " + std::to_string(limits.max_bytes));
  }
  std::string out;
  out.reserve(json.size() + 16);
  try {
    JsonToMsgpack handler(desc, limits, out);
    KAI_RETURN_IF_ERROR(handler.preset(params));
    if (empty_is_object && json.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      handler.close_empty();
    } else {
      const bool parsed = nlohmann::json::sax_parse(json.begin(), json.end(), &handler);
      if (!parsed || !handler.done()) {
        if (!handler.status().ok()) return handler.status();
        return invalid_argument("malformed JSON");
      }
    }
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory converting JSON");
  } catch (const std::exception& e) {
    return invalid_argument(std::string("malformed JSON: ") + e.what());
  }
  Limits limits_mp;
  limits_mp.max_bytes = std::numeric_limits<std::size_t>::max();
  limits_mp.max_depth = FieldPath::kMaxDepth;
  limits_mp.max_string = std::numeric_limits<std::uint32_t>::max();
  limits_mp.max_container = kMaxContainer;
  limits_mp.max_objects = std::numeric_limits<std::size_t>::max();
  Result<msgpack::object_handle> handle = unpack(out, limits_mp);
  if (!handle.ok()) return internal_error("JSON transcoder produced bad MessagePack");
  KAI_RETURN_IF_ERROR(validate(handle->get(), desc));
  return out;
}

// ---- MessagePack -> JSON ----------------------------------------------------------------------

class Renderer {
 public:
  Renderer(const JsonOptions& options, std::string_view msgpack, std::string& out)
      : in_(msgpack), w_(out), mask_(options.mask_pii) {}

  // The whole input: one message, nothing after it.
  Status document(const MessageDesc& desc) {
    Token t;
    if (!in_.next(t)) return malformed();
    KAI_RETURN_IF_ERROR(message(t, desc));
    if (!in_.done()) return fail("trailing bytes after the message");
    return Status::Ok();
  }

 private:
  Status message(const Token& map, const MessageDesc& desc) {
    if (map.type != Token::map) return fail("expected an object");
    std::uint64_t seen = 0;
    std::size_t next_field = 0;
    w_.begin_object();
    Token key;
    Token val;
    for (std::uint32_t i = 0; i < map.count; ++i) {
      if (!in_.next(key)) return malformed();
      if (key.type != Token::str) return fail("field names must be strings");
      if (!in_.next(val)) return malformed();
      const FieldDesc* f = desc.find(key.data, next_field);
      if (f == nullptr || val.type == Token::nil) {
        // A field this descriptor does not know (a newer service's) is passed over.
        if (!in_.skip(val)) return malformed();
        continue;
      }
      const std::size_t index = static_cast<std::size_t>(f - desc.fields.data());
      if (index >= 64) return internal_error("descriptor has more than 64 fields");
      if (!path_.push_field(f->name)) return internal_error("schema nests too deeply");
      if (seen & (1ULL << index)) return fail("duplicate field");
      seen |= 1ULL << index;
      w_.plain_key(f->name);
      KAI_RETURN_IF_ERROR(value(val, *f));
      path_.pop();
    }
    w_.end_object();
    return Status::Ok();
  }

  Status value(const Token& t, const FieldDesc& f) {
    switch (f.type) {
      case FieldType::string:
      case FieldType::date:
      case FieldType::enumeration:
        if (t.type != Token::str) return fail("expected a string");
        w_.value(mask_ ? mask_pii(t.data, f.pii, scratch_) : t.data);
        return Status::Ok();
      case FieldType::bytes:
        if (t.type != Token::bin) return fail("expected binary data");
        scratch_.assign(1, '"');
        base64_append(scratch_, t.data);
        scratch_.push_back('"');
        w_.raw(scratch_);
        return Status::Ok();
      case FieldType::int32:
      case FieldType::int64:
      case FieldType::money: {
        std::int64_t v = 0;
        if (!integer(t, v)) return fail("expected an integer");
        w_.value(v);
        return Status::Ok();
      }
      case FieldType::timestamp: {
        std::int64_t v = 0;
        char buf[32];
        std::size_t n = 0;
        if (!integer(t, v) || (n = format_timestamp(v, buf)) == 0) {
          return fail("expected a timestamp");
        }
        w_.value(std::string_view(buf, n));
        return Status::Ok();
      }
      case FieldType::boolean:
        if (t.type != Token::boolean) return fail("expected a boolean");
        w_.value(t.boolean_value);
        return Status::Ok();
      case FieldType::float64:
        if (t.type == Token::float32 || t.type == Token::float64) {
          w_.value(t.float_value);
        } else if (t.type == Token::uint) {
          w_.value(t.uint_value);
        } else if (t.type == Token::sint) {
          w_.value(t.sint_value);
        } else {
          return fail("expected a number");
        }
        return Status::Ok();
      case FieldType::message:
        if (f.message == nullptr) return internal_error("message field without descriptor");
        return message(t, *f.message);
      case FieldType::list: {
        if (t.type != Token::array) return fail("expected an array");
        if (f.items == nullptr) return internal_error("list field without item spec");
        w_.begin_array();
        Token item;
        for (std::uint32_t i = 0; i < t.count; ++i) {
          if (!path_.push_index(i)) return internal_error("schema nests too deeply");
          if (!in_.next(item)) return malformed();
          if (item.type == Token::nil) return fail("list items must not be null");
          KAI_RETURN_IF_ERROR(value(item, *f.items));
          path_.pop();
        }
        w_.end_array();
        return Status::Ok();
      }
    }
    return internal_error("unknown field type");
  }

  static bool integer(const Token& t, std::int64_t& v) {
    if (t.type == Token::sint) {
      v = t.sint_value;
      return true;
    }
    if (t.type == Token::uint &&
        t.uint_value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      v = static_cast<std::int64_t>(t.uint_value);
      return true;
    }
    return false;
  }

  Status fail(std::string_view what) const { return field_error(path_.str(), what); }
  Status malformed() const { return fail("malformed MessagePack"); }

  Reader in_;
  JsonWriter w_;
  bool mask_;
  std::string scratch_;
  FieldPath path_;
};

constexpr int kGenericMaxDepth = 48;

Status render_generic(const msgpack::object& obj, JsonWriter& w, std::string& scratch, int depth) {
  if (depth > kGenericMaxDepth) return invalid_argument("MessagePack nested too deeply for JSON");
  switch (obj.type) {
    case msgpack::type::NIL:
      w.null();
      return Status::Ok();
    case msgpack::type::BOOLEAN:
      w.value(obj.via.boolean);
      return Status::Ok();
    case msgpack::type::POSITIVE_INTEGER:
      w.value(obj.via.u64);
      return Status::Ok();
    case msgpack::type::NEGATIVE_INTEGER:
      w.value(obj.via.i64);
      return Status::Ok();
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      w.value(obj.via.f64);
      return Status::Ok();
    case msgpack::type::STR:
      w.value(std::string_view(obj.via.str.ptr, obj.via.str.size));
      return Status::Ok();
    case msgpack::type::BIN:
    case msgpack::type::EXT: {
      const std::string_view data = obj.type == msgpack::type::BIN
                                        ? std::string_view(obj.via.bin.ptr, obj.via.bin.size)
                                        : std::string_view(obj.via.ext.data(), obj.via.ext.size);
      scratch.assign(1, '"');
      base64_append(scratch, data);
      scratch.push_back('"');
      w.raw(scratch);
      return Status::Ok();
    }
    case msgpack::type::ARRAY:
      w.begin_array();
      for (std::uint32_t i = 0; i < obj.via.array.size; ++i) {
        KAI_RETURN_IF_ERROR(render_generic(obj.via.array.ptr[i], w, scratch, depth + 1));
      }
      w.end_array();
      return Status::Ok();
    case msgpack::type::MAP:
      w.begin_object();
      for (std::uint32_t i = 0; i < obj.via.map.size; ++i) {
        const msgpack::object& k = obj.via.map.ptr[i].key;
        char buf[24];
        switch (k.type) {
          case msgpack::type::STR:
            w.key(std::string_view(k.via.str.ptr, k.via.str.size));
            break;
          case msgpack::type::POSITIVE_INTEGER: {
            const auto r = std::to_chars(buf, buf + sizeof buf, k.via.u64);
            w.key(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
            break;
          }
          case msgpack::type::NEGATIVE_INTEGER: {
            const auto r = std::to_chars(buf, buf + sizeof buf, k.via.i64);
            w.key(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
            break;
          }
          case msgpack::type::BOOLEAN:
            w.key(k.via.boolean ? "true" : "false");
            break;
          case msgpack::type::NIL:
            w.key("null");
            break;
          default:
            return invalid_argument("map keys must be strings, integers, booleans or nil");
        }
        KAI_RETURN_IF_ERROR(render_generic(obj.via.map.ptr[i].val, w, scratch, depth + 1));
      }
      w.end_object();
      return Status::Ok();
  }
  return invalid_argument("unknown MessagePack type");
}

void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

Result<std::string> json_to_msgpack(std::string_view json, const MessageDesc& desc,
                                    const JsonLimits& limits) {
  return convert(desc, {}, json, limits, false);
}

Result<std::string> params_to_msgpack(const Params& params, const MessageDesc& desc) {
  std::string out;
  try {
    Writer w(out);
    const std::size_t header = w.begin(true);
    std::uint64_t seen = 0;
    std::uint32_t count = 0;
    KAI_RETURN_IF_ERROR(write_params(w, desc, params, seen, count));
    w.finish(header, true, count);
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory converting parameters");
  }
  Result<msgpack::object_handle> handle = unpack(out, Limits{});
  if (!handle.ok()) return handle.status();
  KAI_RETURN_IF_ERROR(validate(handle->get(), desc));
  return out;
}

Result<std::string> request_to_msgpack(const MessageDesc& desc, const Params& params,
                                       std::string_view json_body, const JsonLimits& limits) {
  return convert(desc, params, json_body, limits, true);
}

Status msgpack_to_json(std::string_view msgpack, const MessageDesc& desc,
                       const JsonOptions& options, std::string& out) {
  const std::size_t size = out.size();
  Status s;
  try {
    // JSON takes more room than MessagePack (quoted names, timestamps as text): room for twice
    // the bytes spares most regrowing and copying on the way.
    out.reserve(size + 2 * msgpack.size());
    Renderer r(options, msgpack, out);
    s = r.document(desc);
  } catch (const std::bad_alloc&) {
    s = resource_exhausted("out of memory rendering JSON");
  }
  if (!s.ok()) out.resize(size);
  return s;
}

Status msgpack_to_json(const msgpack::object& obj, const MessageDesc& desc,
                       const JsonOptions& options, std::string& out) {
  std::string bytes;
  try {
    StringSink sink(bytes);
    Packer(sink).pack(obj);
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory rendering JSON");
  }
  return msgpack_to_json(bytes, desc, options, out);
}

Status msgpack_to_json(const msgpack::object& obj, std::string& out) {
  const std::size_t size = out.size();
  Status s;
  try {
    JsonWriter w(out);
    std::string scratch;
    s = render_generic(obj, w, scratch, 0);
  } catch (const std::bad_alloc&) {
    s = resource_exhausted("out of memory rendering JSON");
  }
  if (!s.ok()) out.resize(size);
  return s;
}

std::size_t format_timestamp(std::int64_t ms, char (&buf)[32]) {
  if (ms < kMinTimestampMs || ms > kMaxTimestampMs) return 0;
  constexpr std::int64_t kDayMs = 86'400'000;
  std::int64_t days = ms / kDayMs;
  std::int64_t rem = ms % kDayMs;
  if (rem < 0) {
    rem += kDayMs;
    --days;
  }
  // The timestamps of one reply mostly fall on a few days: keep the last date's text.
  thread_local std::int64_t last_days = std::numeric_limits<std::int64_t>::min();
  thread_local char last_date[10];
  if (days != last_days) {
    const CivilDate c = civil_from_days(static_cast<CivilDays>(days));
    const auto year = static_cast<unsigned>(c.year);
    last_date[0] = static_cast<char>('0' + year / 1000);
    last_date[1] = static_cast<char>('0' + year / 100 % 10);
    put2(last_date + 2, year % 100);
    last_date[4] = '-';
    put2(last_date + 5, c.month);
    last_date[7] = '-';
    put2(last_date + 8, c.day);
    last_days = days;
  }
  std::memcpy(buf, last_date, sizeof last_date);
  buf[10] = 'T';
  put2(buf + 11, static_cast<unsigned>(rem / 3'600'000));
  buf[13] = ':';
  put2(buf + 14, static_cast<unsigned>(rem / 60'000 % 60));
  buf[16] = ':';
  put2(buf + 17, static_cast<unsigned>(rem / 1000 % 60));
  std::size_t n = 19;
  const auto milli = static_cast<unsigned>(rem % 1000);
  if (milli != 0) {
    buf[n++] = '.';
    buf[n++] = static_cast<char>('0' + milli / 100);
    put2(buf + n, milli % 100);
    n += 2;
  }
  buf[n++] = 'Z';
  return n;
}

}  // namespace kai::schema
