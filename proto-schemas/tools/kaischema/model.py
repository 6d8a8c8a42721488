"""Reads a directory of schema files into a checked model (see proto-schemas/README.md).

Everything a reviewer could get wrong is refused here with the file, line and place: unknown keys,
unknown or misspelt types, bad references, values that break their own constraints, duplicate
HTTP routes, path parameters that are not required request fields, and so on. The emitters
(cpp.py, openapi.py) can then assume a consistent model.
"""

import datetime
import difflib
import os
import re

from .loader import Mapping, SchemaError, Sequence, load_yaml

# The platform's status codes and their HTTP statuses; mirrors libs/common/status.cpp (a C++ test
# compares the generated OpenAPI document against kai::http_status_for).
STATUS_HTTP = {
    "invalid_argument": 400,
    "not_found": 404,
    "already_exists": 409,
    "failed_precondition": 409,
    "permission_denied": 403,
    "unauthenticated": 401,
    "resource_exhausted": 429,
    "unavailable": 503,
    "deadline_exceeded": 504,
    "aborted": 409,
    "internal": 500,
}

SCALAR_TYPES = ("string", "int32", "int64", "bool", "double", "money", "date", "timestamp",
                "bytes")
BUILTIN_TYPES = SCALAR_TYPES + ("enum", "list")
INTEGER_TYPES = ("int32", "int64", "money")
PII_KINDS = ("phone", "id_number", "address", "name", "email")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
BODY_METHODS = ("POST", "PUT", "PATCH")
PATH_PARAM_TYPES = ("string", "int32", "int64", "enum", "date")

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MIN_TIMESTAMP_MS = -62135596800000  # 0001-01-01T00:00:00Z
MAX_TIMESTAMP_MS = 253402300799999  # 9999-12-31T23:59:59.999Z

MAX_FIELDS = 64  # a message's fields fit one 64-bit "seen" mask in validation and decoding
MAX_NESTING = 16  # messages and lists inside messages and lists inside ...
MAX_PATTERN_LEN = 256  # pattern fields are short: phone numbers, codes
MAX_STRING_LEN = 1 << 20

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
TYPE_NAME_RE = re.compile(r"^[A-Z][A-Za-z0-9]*$")
OP_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
ENUM_VALUE_RE = re.compile(r"^-?[a-z][a-z0-9_]*$")
PATH_RE = re.compile(r"^(/([a-z0-9][a-z0-9_-]*|\{[a-z][a-z0-9_]*\}))+$")

# File stems that would collide with generated or runtime headers in the same include folder.
RESERVED_STEMS = {"all_services", "openapi", "roundtrip_test", "descriptor", "codec", "validate",
                  "transcode", "unpack", "pii", "utf8", "base64", "path"}

CPP_KEYWORDS = set("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
co_return co_yield decltype default delete do double dynamic_cast else enum explicit export extern
false float for friend goto if inline int long mutable namespace new noexcept not not_eq nullptr
operator or or_eq private protected public register reinterpret_cast requires return short signed
sizeof static static_assert static_cast struct switch template this thread_local throw true try
typedef typeid typename union unsigned using virtual void volatile wchar_t while xor xor_eq
desc encode decode pack topic event std kai msgpack
""".split())

TOP_KEYS_SERVICE = {"service", "description", "enums", "fields", "types", "operations", "events"}
TOP_KEYS_COMMON = {"description", "api", "enums", "fields", "types", "operations"}

FIELD_KEYS_COMMON = {"type", "description", "required", "use"}
FIELD_KEYS = {
    "string": {"min_len", "max_len", "pattern", "pii", "default", "example"},
    "bytes": {"min_len", "max_len"},
    "int32": {"min", "max", "default", "example"},
    "int64": {"min", "max", "default", "example"},
    "money": {"min", "max", "default", "example"},
    "double": {"min", "max", "default", "example"},
    "bool": {"default", "example"},
    "date": {"default", "example"},
    "timestamp": {"example"},
    "enum": {"values", "default", "example"},
    "list": {"items", "min_items", "max_items"},
    "named_enum": {"default", "example"},
    "message": set(),
}


def pascal(name):
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[._]", name) if part)


def cpp_ident(name):
    return name + "_" if name in CPP_KEYWORDS else name


def enumerator_name(value):
    """C++ enumerator for an enum value: '-created_at' (a descending sort) -> created_at_desc."""
    if value.startswith("-"):
        return value[1:] + "_desc"
    return cpp_ident(value)


def parse_timestamp(text):
    """RFC 3339 -> Unix milliseconds, or None."""
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
                 text)
    if not m:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        base = datetime.datetime(year, month, day, hour, minute, min(second, 59),
                                 tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    frac = m.group(7)
    ms = int((frac[1:] + "000")[:3]) if frac else 0
    zone = m.group(8)
    offset = 0
    if zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        offset = sign * (int(zone[1:3]) * 60 + int(zone[4:6]))
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (int((base - epoch).total_seconds()) - offset * 60) * 1000 + ms


def is_date(text):
    if not isinstance(text, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        return False
    try:
        datetime.date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        return False
    return True


class EnumDef:
    def __init__(self, name, file, values, description, owner=None):
        self.name = name  # C++ type name (nested in `owner` when inline)
        self.file = file
        self.values = values  # [(value, description)]
        self.description = description
        self.owner = owner  # MessageDef for an inline enum, else None

    @property
    def full_name(self):
        if self.owner is not None:
            return f"{self.owner.full_name}.{self.name}"
        return f"{self.file.stem}.{self.name}"

    def value_names(self):
        return [v for v, _ in self.values]


class Field:
    def __init__(self, name):
        self.name = name
        self.type = None  # one of BUILTIN_TYPES or "message"
        self.description = ""
        self.required = False
        self.default = None
        self.example = None
        self.min_len = None
        self.max_len = None
        self.min = None
        self.max = None
        self.pattern = None
        self.pii = None
        self.enum = None  # EnumDef
        self.message = None  # MessageDef
        self.items = None  # Field (list)
        self.min_items = None
        self.max_items = None
        self.line = 0

    @property
    def cpp_name(self):
        return cpp_ident(self.name)

    @property
    def optional(self):
        """Carried as std::optional in C++: neither required nor defaulted."""
        return not self.required and self.default is None

    def is_scalar(self):
        return self.type not in ("message", "list")


class MessageDef:
    def __init__(self, name, file, description, origin):
        self.name = name
        self.file = file
        self.description = description
        self.origin = origin  # "type", "request", "reply", "event"
        self.fields = []
        self.inline_enums = []
        self.line = 0

    @property
    def full_name(self):
        return f"{self.file.stem}.{self.name}"

    def field(self, name):
        for f in self.fields:
            if f.name == name:
                return f
        return None


class HttpDef:
    def __init__(self):
        self.method = None
        self.path = None
        self.status = 200
        self.list = False
        self.path_params = []
        self.line = 0

    def route_key(self):
        return (self.method, re.sub(r"\{[^}]*\}", "{}", self.path))


class OperationDef:
    def __init__(self, name, file):
        self.name = name
        self.file = file
        self.description = ""
        self.request = None
        self.reply = None
        self.request_named = False  # request: TypeName (else inline fields)
        self.reply_named = False
        self.errors = []
        self.write = False
        self.http = None
        self.line = 0

    @property
    def cpp_name(self):
        return pascal(self.name)

    @property
    def standard(self):
        return self.file.is_common


class EventDef:
    def __init__(self, topic, file):
        self.topic = topic
        self.file = file
        self.description = ""
        self.message = None
        self.line = 0


class SchemaFile:
    def __init__(self, stem, label, data):
        self.stem = stem
        self.label = label
        self.data = data
        self.is_common = stem == "common"
        self.service = None if self.is_common else stem
        self.description = ""
        self.api = {}
        self.enums = {}  # name -> EnumDef
        self.types = {}  # name -> MessageDef
        self.templates = {}  # name -> raw field spec (Mapping)
        self.operations = []  # OperationDef (own)
        self.events = []
        self.messages = []  # every MessageDef of the file, in declaration order
        self.deps = set()  # stems of other files referenced

    def all_enums(self):
        out = list(self.enums.values())
        for m in self.messages:
            out.extend(m.inline_enums)
        return out


class Schema:
    def __init__(self):
        self.files = []  # common first, then services sorted by name
        self.common = None

    @property
    def services(self):
        return [f for f in self.files if not f.is_common]

    def operations_of(self, service_file):
        """A service's operations: its own, then the standard ones from common.yaml."""
        return service_file.operations + self.common.operations

    def file(self, stem):
        for f in self.files:
            if f.stem == stem:
                return f
        return None


class _Checker:
    def __init__(self):
        self.errors = []

    def error(self, file, line, where, message):
        self.errors.append(SchemaError(file.label if file else None, line, where, message))

    def raise_if_errors(self):
        if self.errors:
            raise SchemaErrors(self.errors)


class SchemaErrors(Exception):
    def __init__(self, errors):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def load_schema(schema_dir):
    """Loads and checks every *.yaml in `schema_dir`; raises SchemaErrors listing every problem."""
    names = sorted(n for n in os.listdir(schema_dir) if n.endswith((".yaml", ".yml")))
    ck = _Checker()
    schema = Schema()
    raw = []
    for n in names:
        label = n
        if n.endswith(".yml"):
            ck.error(None, 0, None, f"{n}: schema files end in .yaml")
            continue
        try:
            raw.append((n[:-5], label, load_yaml(os.path.join(schema_dir, n), label)))
        except SchemaError as e:
            ck.errors.append(e)
    ck.raise_if_errors()
    if not any(stem == "common" for stem, _, _ in raw):
        raise SchemaErrors([SchemaError(None, 0, None,
                                        f"{schema_dir} has no common.yaml (shared types and the "
                                        "operations every service answers)")])
    for stem, label, data in raw:
        f = SchemaFile(stem, label, data)
        if f.is_common:
            schema.common = f
            schema.files.insert(0, f)
        else:
            schema.files.append(f)
    _Builder(schema, ck).build()
    ck.raise_if_errors()
    return schema


class _Builder:
    def __init__(self, schema, ck):
        self.schema = schema
        self.ck = ck

    # ---- helpers --------------------------------------------------------------------------------

    def err(self, file, line, where, message):
        self.ck.error(file, line, where, message)

    def check_keys(self, file, mapping, allowed, where, what):
        for key in mapping:
            if key not in allowed:
                hint = difflib.get_close_matches(key, sorted(allowed), n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.err(file, mapping.line_of(key), where,
                         f"unknown key '{key}' in {what}{extra}; allowed: "
                         + ", ".join(sorted(allowed)))

    def text(self, file, mapping, key, where, required=False):
        value = mapping.get(key)
        if value is None:
            if required:
                self.err(file, mapping.line, where, f"'{key}' is required")
            return ""
        if not isinstance(value, str):
            self.err(file, mapping.line_of(key), where, f"'{key}' must be a string")
            return ""
        if required and not value.strip():
            self.err(file, mapping.line_of(key), where, f"'{key}' must not be empty")
        return value.strip()

    # ---- phases ---------------------------------------------------------------------------------

    def build(self):
        for f in self.schema.files:
            self.top_level(f)
        if self.ck.errors:
            return
        for f in self.schema.files:
            self.declare_names(f)
        if self.ck.errors:
            return
        for f in self.schema.files:
            self.define_types(f)
        for f in self.schema.files:
            self.define_operations(f)
            self.define_events(f)
        if self.ck.errors:
            return
        self.check_common()
        self.check_graph()
        self.check_cpp_names()
        self.check_routes()

    def top_level(self, f):
        data = f.data
        if f.stem in RESERVED_STEMS or not NAME_RE.match(f.stem):
            self.err(f, 0, None, f"'{f.stem}' cannot be a schema file name (lower_snake_case, not "
                     "one of: " + ", ".join(sorted(RESERVED_STEMS)) + ")")
        if f.is_common:
            self.check_keys(f, data, TOP_KEYS_COMMON, None, "common.yaml")
            api = data.get("api", Mapping())
            if not isinstance(api, Mapping):
                self.err(f, data.line_of("api"), "api", "must be a mapping")
            else:
                self.check_keys(f, api, {"title", "version", "description"}, "api", "api")
                f.api = {k: str(v) for k, v in api.items()}
        else:
            self.check_keys(f, data, TOP_KEYS_SERVICE, None, "a service file")
            service = data.get("service")
            if service != f.stem:
                self.err(f, data.line_of("service"), "service",
                         f"must be '{f.stem}': a service's schema lives in <service>.yaml")
        f.description = self.text(f, data, "description", "description", required=True)
        for section in ("enums", "fields", "types", "operations", "events"):
            value = data.get(section)
            if value is not None and not isinstance(value, Mapping):
                self.err(f, data.line_of(section), section, "must be a mapping")

    def section(self, f, name):
        value = f.data.get(name)
        return value if isinstance(value, Mapping) else Mapping()

    def declare_names(self, f):
        taken = {}
        for section in ("enums", "types"):
            for name, body in self.section(f, section).items():
                where = f"{section}.{name}"
                line = self.section(f, section).line_of(name)
                if not TYPE_NAME_RE.match(name):
                    self.err(f, line, where, "type names are PascalCase")
                    continue
                if name in BUILTIN_TYPES:
                    self.err(f, line, where, "shadows a built-in type")
                    continue
                if name in taken:
                    self.err(f, line, where, f"'{name}' is already declared at line {taken[name]}")
                    continue
                taken[name] = line
                if not isinstance(body, Mapping):
                    self.err(f, line, where, "must be a mapping")
                    continue
                if section == "enums":
                    self.check_keys(f, body, {"description", "values"}, where, "an enum")
                    e = EnumDef(name, f, [], self.text(f, body, "description", where, True))
                    e.values = self.enum_values(f, body, where)
                    f.enums[name] = e
                else:
                    self.check_keys(f, body, {"description", "fields"}, where, "a type")
                    m = MessageDef(name, f, self.text(f, body, "description", where, True), "type")
                    m.line = line
                    f.types[name] = m
                    f.messages.append(m)
        for name, body in self.section(f, "fields").items():
            where = f"fields.{name}"
            line = self.section(f, "fields").line_of(name)
            if not TYPE_NAME_RE.match(name):
                self.err(f, line, where, "field template names are PascalCase")
            elif not isinstance(body, Mapping):
                self.err(f, line, where, "must be a mapping")
            elif "use" in body:
                self.err(f, body.line_of("use"), where, "a field template cannot use another")
            else:
                f.templates[name] = body

    def enum_values(self, f, body, where):
        values = body.get("values")
        out = []
        if isinstance(values, Sequence):
            for i, v in enumerate(values):
                out.append((v, "", values.line_of(i)))
        elif isinstance(values, Mapping):
            for v, d in values.items():
                if d is not None and not isinstance(d, str):
                    self.err(f, values.line_of(v), f"{where}.values.{v}",
                             "a value's description must be a string")
                    d = ""
                out.append((v, (d or "").strip(), values.line_of(v)))
        else:
            self.err(f, body.line_of("values") if "values" in body else body.line, where,
                     "'values' must be a non-empty list (or a mapping value: description)")
            return []
        if not out:
            self.err(f, body.line_of("values"), where, "'values' must not be empty")
        seen = {}
        result = []
        for v, d, line in out:
            if not isinstance(v, str) or not ENUM_VALUE_RE.match(v):
                self.err(f, line, f"{where}.values", f"enum value {v!r} must be lower_snake_case "
                         "(optionally with a leading '-'); quote words YAML reads as booleans")
                continue
            cpp = enumerator_name(v)
            if cpp in seen:
                self.err(f, line, f"{where}.values", f"'{v}' collides with '{seen[cpp]}'")
                continue
            seen[cpp] = v
            result.append((v, d))
        return result

    # ---- types and fields ----------------------------------------------------------------------

    def define_types(self, f):
        types = self.section(f, "types")
        for name, m in f.types.items():
            body = types[name]
            fields = body.get("fields", Mapping())
            self.fill_fields(f, m, fields, f"types.{name}.fields", body.line_of("fields"))

    def fill_fields(self, f, m, fields, where, line):
        if fields is None:
            fields = Mapping()
        if not isinstance(fields, Mapping):
            self.err(f, line, where, "fields must be a mapping of field name to field spec")
            return
        if len(fields) > MAX_FIELDS:
            self.err(f, line, where, f"a message has at most {MAX_FIELDS} fields")
        for name, spec in fields.items():
            fl = fields.line_of(name)
            fwhere = f"{where}.{name}"
            if not NAME_RE.match(name) or len(name) > 64:
                self.err(f, fl, fwhere, "field names are lower_snake_case (at most 64 characters)")
                continue
            field = self.field(f, m, name, spec, fwhere, fl, top_name=name)
            if field is not None:
                m.fields.append(field)

    def resolve(self, f, name, where, line):
        """A type name -> EnumDef or MessageDef (or None after reporting)."""
        if "." in name:
            stem, _, short = name.partition(".")
            target = self.schema.file(stem)
            if target is None:
                self.err(f, line, where, f"unknown file '{stem}' in type '{name}'")
                return None
            candidates = [target]
        else:
            candidates = [f] if f.is_common else [f, self.schema.common]
            short = name
        for c in candidates:
            if short in c.types:
                found = c.types[short]
            elif short in c.enums:
                found = c.enums[short]
            else:
                continue
            if c is not f:
                if f.is_common:
                    self.err(f, line, where, "common.yaml cannot refer to a service's types")
                    return None
                f.deps.add(c.stem)
            return found
        known = list(BUILTIN_TYPES)
        for c in candidates:
            known += list(c.types) + list(c.enums)
        hint = difflib.get_close_matches(short, known, n=1)
        extra = f" (did you mean '{hint[0]}'?)" if hint else ""
        self.err(f, line, where, f"unknown type '{name}'{extra}; built-in types are "
                 + ", ".join(BUILTIN_TYPES) + ", or name a type/enum")
        return None

    def template(self, f, name, where, line):
        if "." in name:
            stem, _, short = name.partition(".")
            target = self.schema.file(stem)
            if target is None or short not in target.templates:
                self.err(f, line, where, f"unknown field template '{name}'")
                return None
            return target.templates[short]
        for c in ([f] if f.is_common else [f, self.schema.common]):
            if name in c.templates:
                return c.templates[name]
        self.err(f, line, where, f"unknown field template '{name}'")
        return None

    def field(self, f, m, name, spec, where, line, top_name, depth=0):
        if isinstance(spec, str):
            spec_map = Mapping(type=spec)
            spec_map.line = line
            spec_map.lines["type"] = line
            spec = spec_map
        if not isinstance(spec, Mapping):
            self.err(f, line, where, "a field spec is a mapping ({type: ..., ...}) or a type name")
            return None
        if "use" in spec:
            use = spec["use"]
            if not isinstance(use, str):
                self.err(f, spec.line_of("use"), where, "'use' names a field template")
                return None
            tmpl = self.template(f, use, where, spec.line_of("use"))
            if tmpl is None:
                return None
            merged = Mapping()
            merged.line = spec.line
            for k, v in tmpl.items():
                merged[k] = v
                merged.lines[k] = spec.line_of("use")
            for k, v in spec.items():
                if k != "use":
                    merged[k] = v
                    merged.lines[k] = spec.line_of(k)
            spec = merged

        field = Field(name)
        field.line = spec.line or line
        type_name = spec.get("type")
        if not isinstance(type_name, str):
            self.err(f, spec.line, where, "'type' is required (a built-in type or a type name)")
            return None
        ref = None
        if type_name in BUILTIN_TYPES:
            kind = type_name
            field.type = type_name
        else:
            ref = self.resolve(f, type_name, where, spec.line_of("type"))
            if ref is None:
                return None
            if isinstance(ref, EnumDef):
                kind = "named_enum"
                field.type = "enum"
                field.enum = ref
            else:
                kind = "message"
                field.type = "message"
                field.message = ref
        self.check_keys(f, spec, FIELD_KEYS_COMMON | FIELD_KEYS[kind], where,
                        f"a field of type {type_name}")
        field.description = self.text(f, spec, "description", where)
        field.required = self.boolean(f, spec, "required", where)

        def integer(key, lo=0, hi=INT64_MAX):
            v = spec.get(key)
            if v is None:
                return None
            if isinstance(v, bool) or not isinstance(v, int) or v < lo or v > hi:
                self.err(f, spec.line_of(key), where, f"'{key}' must be an integer in {lo}..{hi}")
                return None
            return v

        t = field.type
        if t in ("string", "bytes"):
            field.min_len = integer("min_len", 0, MAX_STRING_LEN) or 0
            field.max_len = integer("max_len", 1, MAX_STRING_LEN)
            if field.max_len is None and "max_len" not in spec:
                self.err(f, spec.line, where, f"a {t} field needs max_len (every string, bytes "
                         "and list field is bounded)")
            elif field.max_len is not None and field.min_len > field.max_len:
                self.err(f, spec.line_of("min_len"), where, "min_len is greater than max_len")
        if t == "string":
            self.string_extras(f, field, spec, where)
        if t in INTEGER_TYPES:
            lo, hi = (INT32_MIN, INT32_MAX) if t == "int32" else (INT64_MIN, INT64_MAX)
            field.min = integer("min", lo, hi)
            field.max = integer("max", lo, hi)
        if t == "double":
            for key in ("min", "max"):
                v = spec.get(key)
                if v is not None:
                    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or \
                            v in (float("inf"), float("-inf")):
                        self.err(f, spec.line_of(key), where, f"'{key}' must be a finite number")
                    else:
                        setattr(field, key, float(v))
        if field.min is not None and field.max is not None and field.min > field.max:
            self.err(f, spec.line_of("min"), where, "min is greater than max")
        if t == "enum" and kind == "enum":
            e = EnumDef(pascal(top_name), f, [], field.description or f"Values of {top_name}.",
                        owner=m)
            e.values = self.enum_values(f, spec, where)
            if any(x.name == e.name for x in m.inline_enums):
                self.err(f, field.line, where,
                         f"two inline enums of {m.name} would both be called {e.name}")
            m.inline_enums.append(e)
            field.enum = e
        if t == "list":
            items = spec.get("items")
            if items is None:
                self.err(f, spec.line, where, "a list needs 'items' (the spec of one item)")
                return None
            if isinstance(items, Mapping) and ("required" in items or "default" in items):
                self.err(f, items.line, f"{where}.items", "list items take no required/default")
                return None
            field.items = self.field(f, m, name, items, f"{where}.items",
                                     spec.line_of("items"), top_name, depth + 1)
            if field.items is None:
                return None
            field.min_items = integer("min_items") or 0
            field.max_items = integer("max_items", 1)
            if field.max_items is None and "max_items" not in spec:
                self.err(f, spec.line, where, "a list field needs max_items (every string, bytes "
                         "and list field is bounded)")
            elif field.max_items is not None and field.min_items > field.max_items:
                self.err(f, spec.line_of("min_items"), where, "min_items is greater than max_items")
        if "default" in spec:
            if field.required:
                self.err(f, spec.line_of("default"), where,
                         "a field is either required or has a default, not both")
            field.default = self.constant(f, field, spec["default"], where, spec.line_of("default"),
                                          "default")
        if "example" in spec:
            field.example = self.constant(f, field, spec["example"], where,
                                          spec.line_of("example"), "example")
        if field.pattern is not None and field.example is None and depth == 0:
            self.err(f, spec.line_of("pattern"), where,
                     "a field with a pattern needs an example (checked against the pattern, and "
                     "used by the generated tests)")
        if field.pattern is not None and field.example is None and depth > 0:
            self.err(f, spec.line_of("pattern"), where,
                     "a list item with a pattern needs an example")
        return field

    def boolean(self, f, spec, key, where):
        v = spec.get(key, False)
        if not isinstance(v, bool):
            self.err(f, spec.line_of(key), where, f"'{key}' must be true or false")
            return False
        return v

    def string_extras(self, f, field, spec, where):
        pii = spec.get("pii")
        if pii is not None:
            if pii not in PII_KINDS:
                self.err(f, spec.line_of("pii"), where,
                         f"pii must be one of {', '.join(PII_KINDS)}")
            else:
                field.pii = pii
        pattern = spec.get("pattern")
        if pattern is None:
            return
        line = spec.line_of("pattern")
        if not isinstance(pattern, str) or not pattern:
            self.err(f, line, where, "pattern must be a non-empty string")
            return
        problem = pattern_problem(pattern)
        if problem:
            self.err(f, line, where, f"pattern {pattern!r}: {problem}")
            return
        if field.max_len is not None and field.max_len > MAX_PATTERN_LEN:
            self.err(f, line, where,
                     f"a field with a pattern needs max_len <= {MAX_PATTERN_LEN}")
            return
        field.pattern = pattern

    def constant(self, f, field, value, where, line, what):
        """Checks a default/example against the field; returns it in its JSON form."""
        problem = value_problem(field, value)
        if problem:
            self.err(f, line, where, f"{what} {value!r}: {problem}")
            return None
        return value

    # ---- operations and events -----------------------------------------------------------------

    def message_ref(self, f, op, key, body, where):
        spec = body.get(key)
        line = body.line_of(key)
        if isinstance(spec, str):
            ref = self.resolve(f, spec, f"{where}.{key}", line)
            if ref is None:
                return None, False
            if not isinstance(ref, MessageDef):
                self.err(f, line, f"{where}.{key}", f"'{spec}' is an enum, not a message type")
                return None, False
            return ref, True
        if spec is None:
            self.err(f, body.line, where, f"'{key}' is required: a type name, or a mapping of "
                     "fields ({} for none)")
            return None, False
        suffix = "Request" if key == "request" else "Reply"
        m = MessageDef(op.cpp_name + suffix, f, f"{key.capitalize()} of {op.name}.", key)
        m.line = line
        self.fill_fields(f, m, spec, f"{where}.{key}", line)
        f.messages.append(m)
        return m, False

    def define_operations(self, f):
        ops = self.section(f, "operations")
        for name, body in ops.items():
            line = ops.line_of(name)
            where = f"operations.{name}"
            if not OP_NAME_RE.match(name):
                self.err(f, line, where, "operation names are dotted lower_snake_case "
                         "(entity.verb, e.g. organization.create)")
                continue
            if not isinstance(body, Mapping):
                self.err(f, line, where, "must be a mapping")
                continue
            self.check_keys(f, body, {"description", "request", "reply", "errors", "write",
                                      "http"}, where, "an operation")
            op = OperationDef(name, f)
            op.line = line
            op.description = self.text(f, body, "description", where, required=True)
            op.request, op.request_named = self.message_ref(f, op, "request", body, where)
            op.reply, op.reply_named = self.message_ref(f, op, "reply", body, where)
            op.write = self.boolean(f, body, "write", where)
            errors = body.get("errors", Sequence())
            if not isinstance(errors, Sequence):
                self.err(f, body.line_of("errors"), where, "errors must be a list of status codes")
                errors = Sequence()
            for i, code in enumerate(errors):
                if code not in STATUS_HTTP:
                    self.err(f, errors.line_of(i), f"{where}.errors",
                             f"unknown status code {code!r}; one of " + ", ".join(STATUS_HTTP))
                elif code in op.errors:
                    self.err(f, errors.line_of(i), f"{where}.errors", f"'{code}' listed twice")
                else:
                    op.errors.append(code)
            if "http" in body:
                if f.is_common:
                    self.err(f, body.line_of("http"), where, "operations every service answers "
                             "have no HTTP binding (one route cannot serve every service)")
                else:
                    op.http = self.http(f, op, body["http"], f"{where}.http",
                                        body.line_of("http"))
            if f.is_common is False and self.schema.common is not None and \
                    name in self.section(self.schema.common, "operations"):
                self.err(f, line, where, f"'{name}' is declared in common.yaml for every service")
                continue
            if op.request is not None and op.reply is not None:
                f.operations.append(op)

    def http(self, f, op, spec, where, line):
        if not isinstance(spec, Mapping):
            self.err(f, line, where, "must be a mapping {method, path, status, list}")
            return None
        self.check_keys(f, spec, {"method", "path", "status", "list"}, where, "an http binding")
        h = HttpDef()
        h.line = line
        h.method = spec.get("method")
        if h.method not in HTTP_METHODS:
            self.err(f, spec.line_of("method"), where, "method must be one of "
                     + ", ".join(HTTP_METHODS))
            return None
        h.path = spec.get("path")
        if not isinstance(h.path, str) or not PATH_RE.match(h.path):
            self.err(f, spec.line_of("path"), where, "path must look like /segment/{param}/... "
                     "(lower-case segments, relative to /api/v1)")
            return None
        if h.path.split("/")[1] != f.service:
            self.err(f, spec.line_of("path"), where, f"paths of {f.service} start with "
                     f"/{f.service}/")
        h.status = spec.get("status", 200)
        if h.status not in (200, 201, 202, 204):
            self.err(f, spec.line_of("status"), where, "status must be 200, 201, 202 or 204")
        h.list = self.boolean(f, spec, "list", where)
        if h.method == "GET" and op.write:
            self.err(f, spec.line_of("method"), where, "a GET route cannot be a write")
        if h.method != "GET" and not op.write:
            self.err(f, spec.line_of("method"), where,
                     f"a {h.method} route changes state: mark the operation write: true")
        h.path_params = re.findall(r"\{([^}]*)\}", h.path)
        req = op.request
        if req is None or op.reply is None:
            return h
        for p in h.path_params:
            fld = req.field(p)
            if h.path_params.count(p) > 1:
                self.err(f, spec.line_of("path"), where, f"path parameter '{p}' appears twice")
            elif fld is None:
                self.err(f, spec.line_of("path"), where,
                         f"path parameter '{p}' is not a field of the request")
            elif not fld.required:
                self.err(f, spec.line_of("path"), where,
                         f"path parameter '{p}' must be a required request field")
            elif fld.type not in PATH_PARAM_TYPES:
                self.err(f, spec.line_of("path"), where, f"path parameter '{p}' has type "
                         f"{fld.type}; path parameters are " + ", ".join(PATH_PARAM_TYPES))
        if h.method not in BODY_METHODS:
            for fld in req.fields:
                if fld.name in h.path_params:
                    continue
                ok = fld.is_scalar() or (fld.type == "list" and fld.items.is_scalar())
                if not ok:
                    self.err(f, fld.line, where, f"request field '{fld.name}' cannot be a query "
                             f"parameter of a {h.method} route (messages and nested lists need a "
                             "body)")
        if h.status == 204 and op.reply.fields:
            self.err(f, spec.line_of("status"), where, "status 204 means no body, but the reply "
                     "has fields")
        if h.list:
            self.check_list(f, op, h, spec, where)
        return h

    def check_list(self, f, op, h, spec, where):
        line = spec.line_of("list")
        if h.method != "GET":
            self.err(f, line, where, "list routes are GET routes")
            return
        limit = op.request.field("limit")
        cursor = op.request.field("cursor")
        items = op.reply.field("items")
        nxt = op.reply.field("next_cursor")
        if limit is None or limit.type != "int32" or limit.required or limit.max is None:
            self.err(f, line, where, "a list request has 'limit' (int32, optional, with a max)")
        if cursor is None or cursor.type != "string" or cursor.required:
            self.err(f, line, where, "a list request has 'cursor' (string, optional)")
        if items is None or items.type != "list" or not items.required:
            self.err(f, line, where, "a list reply has 'items' (a required list)")
        if nxt is None or nxt.type != "string" or nxt.required:
            self.err(f, line, where, "a list reply has 'next_cursor' (string, optional)")

    def define_events(self, f):
        events = self.section(f, "events")
        for topic, body in events.items():
            line = events.line_of(topic)
            where = f"events.{topic}"
            if not re.match(rf"^{re.escape(f.stem)}\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", topic):
                self.err(f, line, where, f"event names are {f.stem}.<entity>.<what>")
                continue
            if not isinstance(body, Mapping):
                self.err(f, line, where, "must be a mapping")
                continue
            self.check_keys(f, body, {"description", "fields"}, where, "an event")
            ev = EventDef(topic, f)
            ev.line = line
            ev.description = self.text(f, body, "description", where, required=True)
            name = pascal(topic[len(f.stem) + 1:]) + "Event"
            m = MessageDef(name, f, ev.description, "event")
            m.line = line
            self.fill_fields(f, m, body.get("fields", Mapping()), f"{where}.fields",
                             body.line_of("fields"))
            f.messages.append(m)
            ev.message = m
            f.events.append(ev)

    # ---- whole-schema checks -------------------------------------------------------------------

    def check_common(self):
        c = self.schema.common
        err = c.types.get("Error")
        detail = c.types.get("ErrorDetail")
        code = c.enums.get("ErrorCode")
        if err is None or detail is None or code is None:
            self.err(c, 0, None, "common.yaml must declare the types Error and ErrorDetail and the "
                     "enum ErrorCode: every HTTP error body follows them")
            return
        if sorted(code.value_names()) != sorted(STATUS_HTTP):
            self.err(c, 0, "enums.ErrorCode", "values must be exactly the platform's status codes: "
                     + ", ".join(STATUS_HTTP))

    def check_graph(self):
        # Files may refer to each other's types only without cycles (C++ headers include them).
        state = {}

        def visit(f, stack):
            state[f.stem] = 1
            for d in sorted(f.deps):
                if state.get(d) == 1:
                    self.err(f, 0, None, "files refer to each other in a cycle: "
                             + " -> ".join(stack + [d]))
                elif d not in state:
                    visit(self.schema.file(d), stack + [d])
            state[f.stem] = 2

        for f in self.schema.files:
            if f.stem not in state:
                visit(f, [f.stem])
        # Messages cannot contain themselves, and nest at most MAX_NESTING deep.
        depth = {}

        def message_depth(m, stack):
            key = id(m)
            if key in depth:
                return depth[key]
            if m in stack:
                names = [x.full_name for x in stack[stack.index(m):]] + [m.full_name]
                self.err(m.file, m.line, m.full_name, "a message cannot contain itself: "
                         + " -> ".join(names))
                return 0
            deepest = 0
            for fld in m.fields:
                x, levels = fld, 0
                while x.type == "list":
                    x, levels = x.items, levels + 1
                if x.type == "message":
                    levels += message_depth(x.message, stack + [m])
                deepest = max(deepest, levels)
            depth[key] = deepest + 1
            if depth[key] > MAX_NESTING:
                self.err(m.file, m.line, m.full_name, f"messages and lists nest at most "
                         f"{MAX_NESTING} deep")
            return depth[key]

        for f in self.schema.files:
            for m in f.messages:
                message_depth(m, [])

    def check_cpp_names(self):
        for f in self.schema.files:
            names = {"Operations": "(reserved)", "Events": "(reserved)",
                     "service_desc": "(reserved)", "detail": "(reserved)"}

            def claim(name, what, line):
                if name in names:
                    self.err(f, line, None, f"C++ name {name} of {what} collides with "
                             f"{names[name]}")
                else:
                    names[name] = what

            for e in f.enums.values():
                claim(e.name, f"enum {e.name}", 0)
            for m in f.messages:
                claim(m.name, f"message {m.name}", m.line)
            ops = f.operations if f.is_common else self.schema.operations_of(f)
            for op in ops:
                if not f.is_common:
                    claim(op.cpp_name, f"operation {op.name}", op.line)
                for suffix, named, ref in (("Request", op.request_named, op.request),
                                           ("Reply", op.reply_named, op.reply)):
                    if named and not op.standard and ref.name != op.cpp_name + suffix:
                        claim(op.cpp_name + suffix, f"alias {op.cpp_name + suffix}", op.line)
            for m in f.messages:
                inner = {fld.cpp_name for fld in m.fields}
                for e in m.inline_enums:
                    if e.name in inner or e.name == m.name:
                        self.err(f, m.line, m.full_name, f"inline enum {e.name} collides with a "
                                 "field or the message name")

    def check_routes(self):
        seen = {}
        for f in self.schema.services:
            for op in f.operations:
                if op.http is None:
                    continue
                key = op.http.route_key()
                if key in seen:
                    other = seen[key]
                    self.err(f, op.http.line, f"operations.{op.name}.http",
                             f"duplicate route {op.http.method} {op.http.path}: also "
                             f"{other[0]}:{other[1]} ({other[2]})")
                else:
                    seen[key] = (f.label, op.http.line, op.name)


def pattern_problem(pattern):
    """Why a pattern is outside the ECMAScript subset the schemas use, or None."""
    if not pattern.startswith("^") or not pattern.endswith("$") or pattern.endswith("\\$"):
        return "anchor it: patterns start with ^ and end with $"
    if re.search(r"\(\?(?!:)", pattern):
        return "only (?: ) groups are allowed (no lookaround, named groups or flags)"
    if re.search(r"\\[1-9]|\\[ApPzZ]|\\[kgN]", pattern):
        return "back-references and Python/PCRE-only escapes are not ECMAScript"
    if re.search(r"[*+?}]\+", pattern):
        return "possessive quantifiers are not ECMAScript"
    try:
        re.compile(pattern)
    except re.error as e:
        return f"does not compile: {e}"
    return None


def value_problem(field, value):
    """Why `value` (a YAML constant in JSON form) is not a valid value of `field`, or None."""
    t = field.type
    if t == "string":
        if not isinstance(value, str):
            return "must be a string"
        n = len(value)
        if n < field.min_len or (field.max_len is not None and n > field.max_len):
            return f"length {n} is outside {field.min_len}..{field.max_len}"
        if field.pattern is not None and not re.search(field.pattern, value):
            return f"does not match {field.pattern}"
        return None
    if t in INTEGER_TYPES:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        lo, hi = (INT32_MIN, INT32_MAX) if t == "int32" else (INT64_MIN, INT64_MAX)
        if field.min is not None:
            lo = max(lo, field.min)
        if field.max is not None:
            hi = min(hi, field.max)
        if not lo <= value <= hi:
            return f"outside {lo}..{hi}"
        return None
    if t == "double":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
        if (field.min is not None and value < field.min) or \
                (field.max is not None and value > field.max):
            return "outside min..max"
        return None
    if t == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if t == "date":
        return None if is_date(value) else "must be a real date written YYYY-MM-DD"
    if t == "timestamp":
        if not isinstance(value, str):
            return "must be an RFC 3339 string such as 2024-06-30T08:00:00Z"
        ms = parse_timestamp(value)
        if ms is None or not MIN_TIMESTAMP_MS <= ms <= MAX_TIMESTAMP_MS:
            return "must be an RFC 3339 timestamp such as 2024-06-30T08:00:00Z"
        return None
    if t == "enum":
        if field.enum is None or value not in field.enum.value_names():
            return "must be one of the enum's values"
        return None
    return f"a {t} field takes no {value!r}"
