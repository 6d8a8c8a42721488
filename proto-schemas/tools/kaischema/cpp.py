"""C++ emitter: message structs, codecs and descriptors per schema file, the service registry,
the embedded OpenAPI document and a generated round-trip test."""

import json
import textwrap

from .model import INT64_MIN, enumerator_name, parse_timestamp

FIELD_TYPE = {
    "string": "string", "int32": "int32", "int64": "int64", "bool": "boolean",
    "double": "float64", "money": "money", "date": "date", "timestamp": "timestamp",
    "enum": "enumeration", "bytes": "bytes", "message": "message", "list": "list",
}

READER = {
    "string": "read_string", "date": "read_string", "bytes": "read_bytes", "int32": "read_int32",
    "int64": "read_int64", "money": "read_int64", "timestamp": "read_int64", "bool": "read_bool",
    "double": "read_double",
}

PACKER = {
    "string": "pack_string", "date": "pack_string", "bytes": "pack_bytes", "int32": "pack_int",
    "int64": "pack_int", "money": "pack_int", "timestamp": "pack_int", "bool": "pack_bool",
    "double": "pack_double",
}

CODEC = "::kai::schema::codec::"


def lit(s):
    """A C++ string literal for `s` (UTF-8 source)."""
    out = ['"']
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\%03o" % ord(ch))
        elif ch == "?":
            out.append("?")  # no trigraphs in C++20
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def bytes_lit(data):
    return "std::string(\"" + "".join("\\%03o" % b for b in data) + f"\", {len(data)})"


def int_lit(v):
    if v == INT64_MIN:
        return "std::int64_t{-9223372036854775807 - 1}"
    return f"std::int64_t{{{v}}}"


def double_lit(v):
    text = repr(float(v))
    if "e" not in text and "." not in text and "inf" not in text:
        text += ".0"
    return text


def comment(text, ind=""):
    lines = []
    width = max(40, 100 - len(ind) - 3)
    for raw in (text or "").strip().splitlines():
        if not raw.strip():
            lines.append(f"{ind}//")
            continue
        for part in textwrap.wrap(raw.strip(), width) or [""]:
            lines.append(f"{ind}// {part}")
    return lines


def json_text(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Names:
    """C++ spellings of model objects, relative to the file being emitted."""

    def __init__(self, cpp_ns, here):
        self.cpp_ns = cpp_ns
        self.here = here

    def ns(self, file):
        return f"{self.cpp_ns}::{file.stem}"

    def message(self, m):
        return m.name if m.file is self.here else f"::{self.ns(m.file)}::{m.name}"

    def enum(self, e):
        base = e.name if e.owner is None else f"{e.owner.name}::{e.name}"
        return base if e.file is self.here else f"::{self.ns(e.file)}::{base}"

    def message_desc(self, m):
        name = f"detail::k{m.name}Desc"
        return name if m.file is self.here else f"::{self.ns(m.file)}::{name}"

    def enum_desc(self, e):
        base = f"k{e.name}Enum" if e.owner is None else f"k{e.owner.name}_{e.name}Enum"
        name = f"detail::{base}"
        return name if e.file is self.here else f"::{self.ns(e.file)}::{name}"

    def type(self, field):
        t = field.type
        if t in ("string", "date", "bytes"):
            return "std::string"
        if t == "int32":
            return "std::int32_t"
        if t in ("int64", "money", "timestamp"):
            return "std::int64_t"
        if t == "bool":
            return "bool"
        if t == "double":
            return "double"
        if t == "enum":
            return self.enum(field.enum)
        if t == "message":
            return self.message(field.message)
        return f"std::vector<{self.type(field.items)}>"

    def constant(self, field, value):
        t = field.type
        if t in ("string", "date"):
            return lit(value)
        if t in ("int32",):
            return str(value)
        if t in ("int64", "money"):
            return int_lit(value)
        if t == "timestamp":
            return int_lit(parse_timestamp(value))
        if t == "double":
            return double_lit(value)
        if t == "bool":
            return "true" if value else "false"
        if t == "enum":
            return f"{self.enum(field.enum)}::{enumerator_name(value)}"
        raise AssertionError(t)


def ordered_messages(file):
    """The file's messages with every same-file dependency before its user."""
    out, done = [], set()

    def deps(m):
        for f in m.fields:
            x = f
            while x.type == "list":
                x = x.items
            if x.type == "message" and x.message.file is file:
                yield x.message

    def visit(m):
        if id(m) in done:
            return
        done.add(id(m))
        for d in deps(m):
            visit(d)
        out.append(m)

    for m in file.messages:
        visit(m)
    return out


class CppEmitter:
    def __init__(self, schema, cpp_ns, registry_ns, include_prefix):
        self.schema = schema
        self.cpp_ns = cpp_ns
        self.registry_ns = registry_ns
        self.prefix = include_prefix

    def banner(self, source):
        return [f"// Generated by proto-schemas/tools/kai_schema_gen.py from {source}. Do not edit."]

    # ---- header -------------------------------------------------------------------------------

    def header(self, f):
        n = Names(self.cpp_ns, f)
        out = self.banner(f.label)
        out += comment(f.description)
        out += ["#pragma once", "", "#include <msgpack.hpp>", "",
                "#include <cstdint>", "#include <optional>", "#include <string>",
                "#include <string_view>", "#include <tuple>", "#include <vector>", "",
                '#include "common/result.hpp"', '#include "schema/codec.hpp"',
                '#include "schema/descriptor.hpp"']
        deps = set(f.deps)
        if not f.is_common:
            deps.add("common")
        for d in sorted(deps):
            out.append(f'#include "{self.prefix}/{d}.hpp"')
        out += ["", f"namespace {n.ns(f)} {{", ""]
        out += ["namespace detail {"]
        for e in f.all_enums():
            out.append(f"extern const ::kai::schema::EnumDesc {n.enum_desc(e)[len('detail::'):]};")
        for m in f.messages:
            out.append(f"extern const ::kai::schema::MessageDesc k{m.name}Desc;")
        out += ["}  // namespace detail", ""]
        for e in f.enums.values():
            out += self.enum_decl(e, "")
            out += self.enum_funcs_decl(n, e)
            out.append("")
        for m in ordered_messages(f):
            out += self.struct(n, m)
            out.append("")
        if not f.is_common:
            out += self.service_decls(n, f)
        out += [f"}}  // namespace {n.ns(f)}", ""]
        return "\n".join(out)

    def enum_decl(self, e, ind):
        base = "std::uint8_t" if len(e.values) <= 256 else "std::uint16_t"
        out = comment(e.description, ind)
        out.append(f"{ind}enum class {e.name} : {base} {{")
        for v, d in e.values:
            line = f"{ind}  {enumerator_name(v)},"
            if d:
                line += f"  // {d.splitlines()[0]}"
            elif enumerator_name(v) != v:
                line += f"  // \"{v}\""
            out.append(line)
        out.append(f"{ind}}};")
        return out

    def enum_funcs_decl(self, n, e):
        t = n.enum(e)
        return [f"// The wire spelling of a value, and back (false for an unknown spelling).",
                f"std::string_view to_string({t} v);",
                f"bool from_string(std::string_view s, {t}& out);"]

    def struct(self, n, m):
        out = comment(m.description)
        out.append(f"struct {m.name} {{")
        for e in m.inline_enums:
            out += self.enum_decl(e, "  ")
            out.append("")
        for fld in m.fields:
            out += comment(fld.description, "  ")
            out.append("  " + self.member(n, fld))
        if m.fields:
            out.append("")
        if m.origin == "event":
            ev = next(e for e in m.file.events if e.message is m)
            out.append(f"  static constexpr std::string_view topic = {lit(ev.topic)};")
            out.append("  static const ::kai::schema::EventDesc& event();")
        out.append("  static const ::kai::schema::MessageDesc& desc();")
        out.append(f"  friend bool operator==(const {m.name}&, const {m.name}&) = default;")
        out.append("};")
        for e in m.inline_enums:
            out += self.enum_funcs_decl(n, e)
        out += [f"void pack(::kai::schema::Packer& pk, const {m.name}& v);",
                f"std::string encode(const {m.name}& v);",
                "// Assumes `obj` passed kai::schema::validate(); still never misbehaves when not.",
                f"::kai::Status decode(const ::msgpack::object& obj, {m.name}& out);"]
        return out

    def member(self, n, fld):
        t = n.type(fld)
        if fld.optional:
            return f"std::optional<{t}> {fld.cpp_name};"
        if fld.default is not None:
            return f"{t} {fld.cpp_name} = {n.constant(fld, fld.default)};"
        if fld.type in ("int32", "int64", "money", "timestamp"):
            return f"{t} {fld.cpp_name} = 0;"
        if fld.type == "bool":
            return f"{t} {fld.cpp_name} = false;"
        if fld.type == "double":
            return f"{t} {fld.cpp_name} = 0.0;"
        if fld.type == "enum":
            return f"{t} {fld.cpp_name}{{}};"
        return f"{t} {fld.cpp_name};"

    def service_decls(self, n, f):
        out = []
        ops = self.schema.operations_of(f)
        for op in f.operations:
            for suffix, named, ref in (("Request", op.request_named, op.request),
                                       ("Reply", op.reply_named, op.reply)):
                if named and ref.name != op.cpp_name + suffix:
                    out.append(f"using {op.cpp_name}{suffix} = {n.message(ref)};")
        if out:
            out.append("")
        for op in ops:
            out += comment(op.description)
            out += [f"struct {op.cpp_name} {{",
                    f"  using Request = {n.message(op.request)};",
                    f"  using Reply = {n.message(op.reply)};",
                    f"  static constexpr std::string_view service = {lit(f.service)};",
                    f"  static constexpr std::string_view name = {lit(op.name)};",
                    f"  static constexpr bool write = {'true' if op.write else 'false'};",
                    "  static const ::kai::schema::OperationDesc& desc();",
                    "};", ""]
        out.append("// Every operation the service answers (its own, then the standard ones) and "
                   "every event")
        out.append("// it publishes, for compile-time iteration (e.g. checking that each has a "
                   "handler).")
        out.append("using Operations = std::tuple<" + ", ".join(op.cpp_name for op in ops) + ">;")
        out.append("using Events = std::tuple<" + ", ".join(ev.message.name for ev in f.events)
                   + ">;")
        out.append("")
        out.append("const ::kai::schema::ServiceDesc& service_desc();")
        out.append("")
        return out

    # ---- source -------------------------------------------------------------------------------

    def source(self, f):
        n = Names(self.cpp_ns, f)
        out = self.banner(f.label)
        out += [f'#include "{self.prefix}/{f.stem}.hpp"', "", "#include <utility>", "",
                f"namespace {n.ns(f)} {{", "", "namespace {", ""]
        patterns = {}
        body = []
        for e in f.all_enums():
            name = n.enum_desc(e)[len("detail::"):]
            body.append(f"constexpr std::string_view {name}Values[] = {{"
                        + ", ".join(lit(v) for v, _ in e.values) + "};")
        out += body
        # Field descriptors: list item specs first, then each message's array.
        field_lines = []
        for m in f.messages:
            field_lines += self.field_array(n, m, patterns)
        pattern_lines = [f"constinit ::kai::schema::Pattern kPattern{i}{{{lit(p)}}};"
                         for p, i in sorted(patterns.items(), key=lambda kv: kv[1])]
        out += pattern_lines
        out += ["", "}  // namespace", "", "namespace detail {"]
        for e in f.all_enums():
            name = n.enum_desc(e)[len("detail::"):]
            out.append(f"constinit const ::kai::schema::EnumDesc {name}{{{lit(e.name)}, "
                       f"{lit(e.full_name)}, {name}Values}};")
        out += ["}  // namespace detail", "", "namespace {", ""]
        out += field_lines
        out += ["}  // namespace", "", "namespace detail {"]
        for m in f.messages:
            fields = f"k{m.name}Fields" if m.fields else "{}"
            out.append(f"constinit const ::kai::schema::MessageDesc k{m.name}Desc{{"
                       f"{lit(m.name)}, {lit(m.full_name)}, {lit(m.description)}, {fields}}};")
        out += ["}  // namespace detail", ""]
        if not f.is_common:
            out += self.service_tables(n, f)
        for e in f.all_enums():
            out += self.enum_funcs(n, e)
        for m in f.messages:
            out += self.message_funcs(n, m)
        if not f.is_common:
            ops = self.schema.operations_of(f)
            for i, op in enumerate(ops):
                out += [f"const ::kai::schema::OperationDesc& {op.cpp_name}::desc() {{ "
                        f"return kOperations[{i}]; }}"]
            for i, ev in enumerate(f.events):
                out += [f"const ::kai::schema::EventDesc& {ev.message.name}::event() {{ "
                        f"return kEvents[{i}]; }}"]
            out += ["", "const ::kai::schema::ServiceDesc& service_desc() { return kService; }",
                    ""]
        out += [f"}}  // namespace {n.ns(f)}", ""]
        return "\n".join(out)

    def field_array(self, n, m, patterns):
        out = []
        inits = []
        for fld in m.fields:
            inits.append(self.field_init(n, m, fld, f"k{m.name}_{fld.name}", out, patterns))
        if inits:
            out.append(f"constexpr ::kai::schema::FieldDesc k{m.name}Fields[] = {{")
            for init in inits:
                out.append(f"    {init},")
            out.append("};")
            out.append("")
        return out

    def field_init(self, n, m, fld, base, out, patterns):
        parts = [f".name = {lit(fld.name)}", f".type = ::kai::schema::FieldType::"
                 f"{FIELD_TYPE[fld.type]}"]
        if fld.required:
            parts.append(".required = true")
        if fld.pii:
            parts.append(f".pii = ::kai::schema::PiiKind::{fld.pii}")
        if fld.type in ("string", "bytes"):
            if fld.min_len:
                parts.append(f".min_len = {fld.min_len}")
            if fld.max_len is not None:
                parts.append(f".max_len = {fld.max_len}")
        if fld.type in ("int32", "int64", "money"):
            if fld.min is not None:
                parts.append(f".min_int = {int_lit(fld.min)}")
            if fld.max is not None:
                parts.append(f".max_int = {int_lit(fld.max)}")
        if fld.type == "double":
            if fld.min is not None:
                parts.append(f".min_double = {double_lit(fld.min)}")
            if fld.max is not None:
                parts.append(f".max_double = {double_lit(fld.max)}")
        if fld.pattern is not None:
            index = patterns.setdefault(fld.pattern, len(patterns))
            parts.append(f".pattern = &kPattern{index}")
        if fld.type == "enum":
            parts.append(f".enumeration = &{n.enum_desc(fld.enum)}")
        if fld.type == "message":
            parts.append(f".message = &{n.message_desc(fld.message)}")
        if fld.type == "list":
            item_name = base + "_items"
            init = self.field_init(n, m, fld.items, item_name, out, patterns)
            out.append(f"constexpr ::kai::schema::FieldDesc {item_name}{init};")
            parts.append(f".items = &{item_name}")
            if fld.min_items:
                parts.append(f".min_items = {fld.min_items}")
            if fld.max_items is not None:
                parts.append(f".max_items = {fld.max_items}")
        if fld.default is not None:
            parts.append(f".default_json = {lit(json_text(fld.default))}")
        if fld.example is not None:
            parts.append(f".example_json = {lit(json_text(fld.example))}")
        if fld.description:
            parts.append(f".description = {lit(fld.description)}")
        return "{" + ", ".join(parts) + "}"

    def service_tables(self, n, f):
        out = ["namespace {", ""]
        ops = self.schema.operations_of(f)
        for op in ops:
            if op.errors:
                out.append(f"constexpr ::kai::StatusCode k{op.cpp_name}Errors[] = {{"
                           + ", ".join(f"::kai::StatusCode::{c}" for c in op.errors) + "};")
            if op.http is not None:
                h = op.http
                params = "{}"
                if h.path_params:
                    out.append(f"constexpr std::string_view k{op.cpp_name}PathParams[] = {{"
                               + ", ".join(lit(p) for p in h.path_params) + "};")
                    params = f"k{op.cpp_name}PathParams"
                out.append(f"constexpr ::kai::schema::HttpBinding k{op.cpp_name}Http{{"
                           f".method = {lit(h.method)}, .path = {lit(h.path)}, "
                           f".status = {h.status}, .list = {'true' if h.list else 'false'}, "
                           f".path_params = {params}}};")
        out.append("")
        out.append("constexpr ::kai::schema::OperationDesc kOperations[] = {")
        for op in ops:
            scope = f"{f.service}:{'write' if op.write else 'read'}"
            parts = [f".service = {lit(f.service)}", f".name = {lit(op.name)}",
                     f".description = {lit(op.description)}",
                     f".request = &{n.message_desc(op.request)}",
                     f".reply = &{n.message_desc(op.reply)}"]
            if op.errors:
                parts.append(f".errors = k{op.cpp_name}Errors")
            parts.append(f".write = {'true' if op.write else 'false'}")
            parts.append(f".scope = {lit(scope)}")
            if op.http is not None:
                parts.append(f".http = &k{op.cpp_name}Http")
            if op.standard:
                parts.append(".standard = true")
            out.append("    {" + ", ".join(parts) + "},")
        out.append("};")
        out.append("")
        events = "{}"
        if f.events:
            out.append("constexpr ::kai::schema::EventDesc kEvents[] = {")
            for ev in f.events:
                out.append(f"    {{.service = {lit(f.service)}, .topic = {lit(ev.topic)}, "
                           f".description = {lit(ev.description)}, "
                           f".message = &{n.message_desc(ev.message)}}},")
            out.append("};")
            out.append("")
            events = "kEvents"
        out.append(f"constexpr ::kai::schema::ServiceDesc kService{{.name = {lit(f.service)}, "
                   f".description = {lit(f.description)}, .operations = kOperations, "
                   f".events = {events}}};")
        out += ["", "}  // namespace", ""]
        return out

    def enum_funcs(self, n, e):
        t = n.enum(e)
        out = [f"std::string_view to_string({t} v) {{", "  switch (v) {"]
        for v, _ in e.values:
            out.append(f"    case {t}::{enumerator_name(v)}:")
            out.append(f"      return {lit(v)};")
        out += ["  }", "  return {};", "}", ""]
        out.append(f"bool from_string(std::string_view s, {t}& out) {{")
        for v, _ in e.values:
            out += [f"  if (s == {lit(v)}) {{", f"    out = {t}::{enumerator_name(v)};",
                    "    return true;", "  }"]
        out += ["  return false;", "}", ""]
        return out

    def pack_value(self, n, fld, expr, depth, ind):
        t = fld.type
        if t in PACKER:
            return [f"{ind}{CODEC}{PACKER[t]}(pk, {expr});"]
        if t == "enum":
            return [f"{ind}{CODEC}pack_string(pk, to_string({expr}));"]
        if t == "message":
            return [f"{ind}pack(pk, {expr});"]
        var = f"item{depth}"
        return ([f"{ind}pk.pack_array(static_cast<std::uint32_t>({expr}.size()));",
                 f"{ind}for (const auto& {var} : {expr}) {{"]
                + self.pack_value(n, fld.items, var, depth + 1, ind + "  ")
                + [f"{ind}}}"])

    def read_value(self, n, fld, target, val, path, depth, ind):
        t = fld.type
        p = lit(path)
        if t in READER:
            return [f"{ind}KAI_RETURN_IF_ERROR({CODEC}{READER[t]}({val}, {target}, {p}));"]
        if t == "enum":
            text = f"text{depth}"
            return [f"{ind}{{",
                    f"{ind}  std::string_view {text};",
                    f"{ind}  KAI_RETURN_IF_ERROR({CODEC}read_string_view({val}, {text}, {p}));",
                    f"{ind}  if (!from_string({text}, {target})) return {CODEC}bad_enum({text}, "
                    f"{p});",
                    f"{ind}}}"]
        if t == "message":
            return [f"{ind}KAI_RETURN_IF_ERROR(decode({val}, {target}));"]
        item, elem = f"item{depth}", f"elem{depth}"
        return ([f"{ind}KAI_RETURN_IF_ERROR({CODEC}expect_array({val}, {p}));",
                 f"{ind}{target}.clear();",
                 f"{ind}{target}.reserve({val}.via.array.size);",
                 f"{ind}for (const ::msgpack::object& {item} : {CODEC}items({val})) {{",
                 f"{ind}  {n.type(fld.items)} {elem}{{}};"]
                + self.read_value(n, fld.items, elem, item, path, depth + 1, ind + "  ")
                + [f"{ind}  {target}.push_back(std::move({elem}));", f"{ind}}}"])

    def message_funcs(self, n, m):
        out = [f"const ::kai::schema::MessageDesc& {m.name}::desc() {{ return detail::k{m.name}Desc; }}",
               ""]
        # pack
        always = [f for f in m.fields if not f.optional]
        optional = [f for f in m.fields if f.optional]
        param = "v" if m.fields else "/*v*/"
        out.append(f"void pack(::kai::schema::Packer& pk, const {m.name}& {param}) {{")
        if optional:
            out.append(f"  std::uint32_t n = {len(always)};")
            for f in optional:
                out.append(f"  if (v.{f.cpp_name}) ++n;")
            out.append("  pk.pack_map(n);")
        else:
            out.append(f"  pk.pack_map({len(always)});")
        for f in m.fields:
            if f.optional:
                out.append(f"  if (v.{f.cpp_name}) {{")
                out.append(f"    {CODEC}pack_key(pk, {lit(f.name)});")
                out += self.pack_value(n, f, f"(*v.{f.cpp_name})", 0, "    ")
                out.append("  }")
            else:
                out.append(f"  {CODEC}pack_key(pk, {lit(f.name)});")
                out += self.pack_value(n, f, f"v.{f.cpp_name}", 0, "  ")
        out += ["}", ""]
        # encode
        out += [f"std::string encode(const {m.name}& v) {{", "  std::string out;",
                "  ::kai::schema::StringSink sink(out);", "  ::kai::schema::Packer pk(sink);",
                "  pack(pk, v);", "  return out;", "}", ""]
        # decode
        out.append(f"::kai::Status decode(const ::msgpack::object& obj, {m.name}& out) {{")
        out.append(f"  KAI_RETURN_IF_ERROR({CODEC}expect_map(obj, {lit(m.full_name)}));")
        out.append(f"  out = {m.name}{{}};")
        required = [(i, f) for i, f in enumerate(m.fields) if f.required]
        if m.fields:
            if required:
                out.append("  std::uint64_t seen = 0;")
            out.append(f"  for (const ::msgpack::object_kv& kv : {CODEC}entries(obj)) {{")
            out.append("    if (kv.val.type == ::msgpack::type::NIL) continue;")
            out.append(f"    const std::string_view key = {CODEC}key_of(kv.key);")
            for i, f in enumerate(m.fields):
                kw = "if" if i == 0 else "} else if"
                out.append(f"    {kw} (key == {lit(f.name)}) {{")
                if f.optional:
                    out.append(f"      out.{f.cpp_name}.emplace();")
                    target = f"(*out.{f.cpp_name})"
                else:
                    target = f"out.{f.cpp_name}"
                out += self.read_value(n, f, target, "kv.val", f.name, 0, "      ")
                if f.required:
                    out.append(f"      seen |= std::uint64_t{{1}} << {i};")
            out.append("    }")
            out.append("  }")
            for i, f in required:
                out.append(f"  if ((seen & (std::uint64_t{{1}} << {i})) == 0) return "
                           f"{CODEC}missing({lit(f.name)});")
        out += ["  return ::kai::Status::Ok();", "}", ""]
        return out

    # ---- registry, OpenAPI, tests --------------------------------------------------------------

    def registry_header(self):
        r = "::kai::schema::"
        out = self.banner("every proto-schemas file")
        out += ["// The registry of every service, operation, event and message in the schemas: "
                "what the",
                "// gateway builds its routes from and what kaictl transcodes with.",
                "#pragma once", "", "#include <string_view>", "#include <vector>", "",
                '#include "schema/descriptor.hpp"', "", f"namespace {self.registry_ns} {{", "",
                "// Every service, sorted by name.",
                f"const std::vector<const {r}ServiceDesc*>& all_services();",
                "// Every message of every file (common first), sorted by full name.",
                f"const std::vector<const {r}MessageDesc*>& all_messages();",
                "// Lookups; nullptr when absent.",
                f"const {r}ServiceDesc* find_service(std::string_view name);",
                f"const {r}OperationDesc* find_operation(std::string_view service, "
                "std::string_view op);",
                f"const {r}EventDesc* find_event(std::string_view topic);",
                "// By full name, e.g. \"membership.Organization\".",
                f"const {r}MessageDesc* find_message(std::string_view full_name);", "",
                f"}}  // namespace {self.registry_ns}", ""]
        return "\n".join(out)

    def registry_source(self):
        r = "::kai::schema::"
        out = self.banner("every proto-schemas file")
        out += [f'#include "{self.prefix}/all_services.hpp"', ""]
        for f in self.schema.files:
            out.append(f'#include "{self.prefix}/{f.stem}.hpp"')
        out += ["", f"namespace {self.registry_ns} {{", ""]
        out.append(f"const std::vector<const {r}ServiceDesc*>& all_services() {{")
        out.append(f"  static const std::vector<const {r}ServiceDesc*> kServices = {{")
        for f in sorted(self.schema.services, key=lambda x: x.stem):
            out.append(f"      &::{self.cpp_ns}::{f.stem}::service_desc(),")
        out += ["  };", "  return kServices;", "}", ""]
        out.append(f"const std::vector<const {r}MessageDesc*>& all_messages() {{")
        out.append(f"  static const std::vector<const {r}MessageDesc*> kMessages = {{")
        messages = [m for f in self.schema.files for m in f.messages]
        for m in sorted(messages, key=lambda x: x.full_name):
            out.append(f"      &::{self.cpp_ns}::{m.file.stem}::{m.name}::desc(),")
        out += ["  };", "  return kMessages;", "}", ""]
        out += [f"const {r}ServiceDesc* find_service(std::string_view name) {{",
                "  for (const auto* s : all_services()) {",
                "    if (s->name == name) return s;", "  }", "  return nullptr;", "}", "",
                f"const {r}OperationDesc* find_operation(std::string_view service, "
                "std::string_view op) {",
                "  const auto* s = find_service(service);",
                "  return s == nullptr ? nullptr : s->find_operation(op);", "}", "",
                f"const {r}EventDesc* find_event(std::string_view topic) {{",
                "  for (const auto* s : all_services()) {",
                "    if (const auto* e = s->find_event(topic)) return e;", "  }",
                "  return nullptr;", "}", "",
                f"const {r}MessageDesc* find_message(std::string_view full_name) {{",
                "  for (const auto* m : all_messages()) {",
                "    if (m->full_name == full_name) return m;", "  }", "  return nullptr;", "}",
                "", f"}}  // namespace {self.registry_ns}", ""]
        return "\n".join(out)

    def openapi_header(self):
        out = self.banner("every proto-schemas file")
        out += ["// The OpenAPI 3.0.3 document of the gateway (the same text as openapi.json "
                "beside this file).", "#pragma once", "", "#include <string_view>", "",
                f"namespace {self.registry_ns} {{", "",
                "std::string_view openapi_json();", "",
                f"}}  // namespace {self.registry_ns}", ""]
        return "\n".join(out)

    def openapi_source(self, text):
        delim = "kaioas"
        assert f"){delim}\"" not in text
        # Literals stay below the 65536-character minimum that ISO C++ compilers must support.
        chunks, size = [], 16000
        i = 0
        while i < len(text):
            chunks.append(text[i:i + size])
            i += size
        out = self.banner("every proto-schemas file")
        out += [f'#include "{self.prefix}/openapi.hpp"', "", "#include <string>", "",
                f"namespace {self.registry_ns} {{", "", "namespace {", "",
                "// Not constexpr: compilers cap constant evaluation, and the document is long.",
                "const std::string_view kChunks[] = {"]
        for c in chunks:
            out.append(f"    R\"{delim}({c}){delim}\",")
        out += ["};", "", "}  // namespace", "", "std::string_view openapi_json() {",
                "  static const std::string kDocument = [] {", "    std::string doc;",
                "    for (std::string_view c : kChunks) doc.append(c);", "    return doc;",
                "  }();", "  return kDocument;", "}", "",
                f"}}  // namespace {self.registry_ns}", ""]
        return "\n".join(out)

    def roundtrip_test(self):
        suite = "GeneratedRoundTrip_" + self.prefix.replace("/", "_")
        out = self.banner("every proto-schemas file")
        out += ["// For every message type: a fully populated and a minimal value survive",
                "// encode -> unpack -> validate -> decode, and MessagePack -> JSON -> MessagePack.",
                "#include <gtest/gtest.h>", "", "#include <string>", "",
                '#include "schema/transcode.hpp"', '#include "schema/unpack.hpp"',
                '#include "schema/validate.hpp"']
        for f in self.schema.files:
            out.append(f'#include "{self.prefix}/{f.stem}.hpp"')
        out += ["", "namespace {", "",
                "template <typename T>",
                "void check_round_trip(const T& v) {",
                "  const std::string bytes = encode(v);",
                "  auto handle = ::kai::schema::unpack(bytes);",
                "  ASSERT_TRUE(handle.ok()) << handle.status().to_string();",
                "  const ::kai::Status valid = ::kai::schema::validate(handle->get(), T::desc());",
                "  ASSERT_TRUE(valid.ok()) << valid.to_string();",
                "  T back;",
                "  const ::kai::Status decoded = decode(handle->get(), back);",
                "  ASSERT_TRUE(decoded.ok()) << decoded.to_string();",
                "  EXPECT_TRUE(back == v);",
                "  EXPECT_EQ(encode(back), bytes);",
                "  std::string json;",
                "  const ::kai::Status rendered = ::kai::schema::msgpack_to_json(",
                "      handle->get(), T::desc(), {.mask_pii = false}, json);",
                "  ASSERT_TRUE(rendered.ok()) << rendered.to_string();",
                "  auto again = ::kai::schema::json_to_msgpack(json, T::desc());",
                "  ASSERT_TRUE(again.ok()) << again.status().to_string() << \" in \" << json;",
                "  auto handle2 = ::kai::schema::unpack(*again);",
                "  ASSERT_TRUE(handle2.ok());",
                "  T back2;",
                "  ASSERT_TRUE(decode(handle2->get(), back2).ok());",
                "  EXPECT_TRUE(back2 == v) << json;",
                "}", "", "}  // namespace", ""]
        for f in self.schema.files:
            n = Names(self.cpp_ns, None)
            for m in f.messages:
                for full in (True, False):
                    name = f"{f.stem}_{m.name}_{'full' if full else 'minimal'}"
                    out.append(f"TEST({suite}, {name}) {{")
                    out.append(f"  ::{self.cpp_ns}::{f.stem}::{m.name} v;")
                    out += self.sample_message(n, m, "v", full, 0, "  ")
                    out.append("  check_round_trip(v);")
                    out.append("}")
                    out.append("")
        return "\n".join(out)

    def sample_message(self, n, m, target, full, depth, ind):
        out = []
        for f in m.fields:
            if not (f.required or full):
                continue
            t = f"{target}.{f.cpp_name}"
            if f.optional:
                out.append(f"{ind}{t}.emplace();")
                t = f"(*{t})"
            out += self.sample_field(n, f, t, full, depth, ind)
        return out

    def sample_field(self, n, f, target, full, depth, ind):
        t = f.type
        if t == "message":
            return self.sample_message(n, f.message, target, full, depth + 1, ind)
        if t == "list":
            count = 2 if full and depth < 3 else 0
            count = max(count, f.min_items or 0)
            if f.max_items is not None:
                count = min(count, f.max_items)
            out = []
            for _ in range(count):
                out.append(f"{ind}{target}.emplace_back();")
                out += self.sample_field(n, f.items, f"{target}.back()", full, depth + 1, ind)
            return out
        if t == "bytes":
            size = max(min(5, f.max_len if f.max_len is not None else 5), f.min_len)
            return [f"{ind}{target} = {bytes_lit(bytes((i * 37) % 256 for i in range(size)))};"]
        return [f"{ind}{target} = {self.sample_scalar(n, f, full)};"]

    def sample_scalar(self, n, f, full):
        n_ = Names(self.cpp_ns, None)
        if f.example is not None:
            return n_.constant(f, f.example)
        t = f.type

        def clamp(v, lo, hi):
            if lo is not None:
                v = max(v, lo)
            if hi is not None:
                v = min(v, hi)
            return v

        if t == "string":
            size = max(f.min_len, 1)
            if f.max_len is not None:
                size = min(size + (2 if full else 0), f.max_len)
            return lit("凯" * size)
        if t == "date":
            return lit("2024-06-30")
        if t == "timestamp":
            return int_lit(1719705600123)
        if t == "int32":
            return str(clamp(7, f.min, f.max))
        if t in ("int64", "money"):
            return int_lit(clamp(123456 if t == "money" else 7, f.min, f.max))
        if t == "double":
            return double_lit(clamp(2.5, f.min, f.max))
        if t == "bool":
            return "true"
        if t == "enum":
            values = f.enum.value_names()
            return n_.constant(f, values[-1] if full else values[0])
        raise AssertionError(t)
