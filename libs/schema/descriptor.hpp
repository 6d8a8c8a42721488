// Descriptors of the messages, operations, events and services declared in proto-schemas/.
//
// The code generator (proto-schemas/tools/kai_schema_gen.py) emits one constant-initialised
// descriptor per message, operation, event and service; nothing here is built at run time. The
// runtime (validate.hpp, transcode.hpp) walks these descriptors, so the gateway and kaictl can
// handle any operation without knowing its C++ type.
//
// Every descriptor is immutable and lives for the whole process: pointers and string_views taken
// from it stay valid forever, and all of it may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>

#include "common/status.hpp"

namespace kai::schema {

// The field types of the schema language (proto-schemas/README.md).
enum class FieldType : std::uint8_t {
  string,       // UTF-8 text
  int32,        // signed 32-bit integer
  int64,        // signed 64-bit integer
  boolean,      // "bool" in the schema
  float64,      // "double" in the schema; never used for money
  money,        // int64 fen (1/100 yuan)
  date,         // "YYYY-MM-DD", a real calendar date, carried as a string
  timestamp,    // int64 Unix milliseconds on the bus, RFC 3339 UTC in JSON
  enumeration,  // "enum": one of a fixed set of strings
  bytes,        // opaque binary (MessagePack bin); base64 in JSON
  message,      // a nested message (a reference to a named type)
  list,         // an array whose items are described by FieldDesc::items
};

// The name used in schema files ("bool", "double", "enum", ...).
std::string_view field_type_name(FieldType type);

// Kinds of personal data; decides how a value is masked for callers without `pii:read`.
enum class PiiKind : std::uint8_t { none, phone, id_number, address, name, email };

std::string_view pii_kind_name(PiiKind kind);

// A string pattern (ECMAScript syntax, matched against Unicode code points, search semantics, so
// schema patterns are anchored with ^...$). Compiled once, on first use, thread-safely.
class Pattern {
 public:
  constexpr explicit Pattern(std::string_view source) : source_(source) {}
  ~Pattern();
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;

  std::string_view source() const { return source_; }
  // Compiles the pattern if needed; internal error when it is not a valid ECMAScript regex (the
  // generator and the registry test make sure this never happens for shipped schemas).
  Status compile() const;
  // Whether valid UTF-8 `text` matches. Returns false (and compile() reports why) when the
  // pattern does not compile.
  bool matches(std::string_view text) const;

 private:
  struct Compiled;  // std::wregex, kept out of this header
  struct Deleter {
    void operator()(Compiled* p) const;
  };

  std::string_view source_;
  mutable std::once_flag once_;
  mutable std::unique_ptr<Compiled, Deleter> compiled_;  // null after the once: does not compile
};

// The values of an enum, in declaration order.
struct EnumDesc {
  std::string_view name{};       // "OrganizationKind"
  std::string_view full_name{};  // "membership.OrganizationKind"
  std::span<const std::string_view> values{};

  // Index of `value` in `values`, or -1.
  int index_of(std::string_view value) const;
};

struct MessageDesc;

// One field of a message (or the item spec of a list).
struct FieldDesc {
  std::string_view name{};  // wire name: the MessagePack map key and the JSON member name
  FieldType type = FieldType::string;
  bool required = false;
  PiiKind pii = PiiKind::none;
  // string: length in code points; bytes: length in bytes. max_len < 0: unbounded.
  std::int64_t min_len = 0;
  std::int64_t max_len = -1;
  // int32, int64, money: inclusive bounds.
  std::optional<std::int64_t> min_int{};
  std::optional<std::int64_t> max_int{};
  // double: inclusive bounds.
  std::optional<double> min_double{};
  std::optional<double> max_double{};
  const Pattern* pattern = nullptr;       // string only
  const EnumDesc* enumeration = nullptr;  // enumeration only
  const MessageDesc* message = nullptr;   // message only
  const FieldDesc* items = nullptr;       // list only
  std::int64_t min_items = 0;             // list only
  std::int64_t max_items = -1;            // list only; < 0: unbounded
  std::string_view default_json{};        // the default as JSON text; empty when none
  std::string_view example_json{};        // an example as JSON text; empty when none
  std::string_view description{};

  bool has_default() const { return !default_json.empty(); }
};

// A message: a MessagePack map from field names to values.
struct MessageDesc {
  std::string_view name{};       // "Organization"
  std::string_view full_name{};  // "membership.Organization"
  std::string_view description{};
  std::span<const FieldDesc> fields{};

  // The field called `name`, or nullptr. Linear: messages have at most 64 fields.
  const FieldDesc* find(std::string_view field_name) const;
  // The same, trying fields[next] first and leaving `next` just past the field found. Walking a
  // map written in declaration order (as every encoder here writes them) finds each field at
  // once; any other order still finds it.
  const FieldDesc* find(std::string_view field_name, std::size_t& next) const;
};

// How an operation is exposed by the gateway. Paths are relative to /api/v1.
struct HttpBinding {
  std::string_view method{};  // "GET", "POST", "PUT", "PATCH" or "DELETE"
  std::string_view path{};    // "/membership/organizations/{id}"
  int status = 200;           // HTTP status of a success
  bool list = false;          // a paginated list ({items, next_cursor}); CSV export possible
  std::span<const std::string_view> path_params{};  // in path order
};

// A request/reply operation answered by a service on the bus.
struct OperationDesc {
  std::string_view service{};  // "membership"
  std::string_view name{};     // "organization.create"
  std::string_view description{};
  const MessageDesc* request = nullptr;
  const MessageDesc* reply = nullptr;
  std::span<const StatusCode> errors{};  // codes the operation declares beyond the generic ones
  bool write = false;                    // writes need an idempotency key and the write scope
  std::string_view scope{};              // "membership:write" or "membership:read"
  const HttpBinding* http = nullptr;     // nullptr: reachable on the bus only
  bool standard = false;                 // declared in common.yaml, answered by every service

  bool declares(StatusCode code) const;
};

// A domain event published by a service (`<service>.<entity>.<what>`).
struct EventDesc {
  std::string_view service{};
  std::string_view topic{};  // "membership.organization.changed"
  std::string_view description{};
  const MessageDesc* message = nullptr;
};

struct ServiceDesc {
  std::string_view name{};  // bus service name
  std::string_view description{};
  std::span<const OperationDesc> operations{};  // the service's own, then the standard ones
  std::span<const EventDesc> events{};

  const OperationDesc* find_operation(std::string_view op) const;
  const EventDesc* find_event(std::string_view topic) const;
};

}  // namespace kai::schema
