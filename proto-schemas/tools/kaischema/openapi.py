"""OpenAPI 3.0.3 emitter: the gateway's public contract, derived from the schemas."""

import json
from collections import OrderedDict

from .model import BODY_METHODS, STATUS_HTTP

# Every route can fail these ways whatever it declares (bad input, auth, limits, outages).
GENERIC_ERRORS = OrderedDict([
    (400, ["invalid_argument"]),
    (401, ["unauthenticated"]),
    (403, ["permission_denied"]),
    (429, ["resource_exhausted"]),
    (500, ["internal"]),
    (503, ["unavailable"]),
    (504, ["deadline_exceeded"]),
])

HTTP_REASON = {400: "Bad request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found",
               409: "Conflict", 429: "Too many requests", 500: "Internal error",
               503: "Unavailable", 504: "Gateway timeout"}

SUCCESS_REASON = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}


def ref(name, kind="schemas"):
    return {"$ref": f"#/components/{kind}/{name}"}


def first_line(text):
    """The first sentence of a description, as a short summary."""
    text = " ".join((text or "").split())
    end = text.find(". ")
    summary = text if end < 0 else text[:end + 1]
    return summary if len(summary) <= 120 else summary[:117].rstrip() + "..."


class OpenApiEmitter:
    def __init__(self, schema):
        self.schema = schema

    def field_schema(self, f):
        t = f.type
        s = OrderedDict()
        if t == "message":
            if f.description:
                s["allOf"] = [ref(f.message.full_name)]
                s["description"] = f.description
                return s
            return ref(f.message.full_name)
        if t == "enum" and f.enum.owner is None:
            if f.description or f.default is not None or f.example is not None:
                s["allOf"] = [ref(f.enum.full_name)]
            else:
                return ref(f.enum.full_name)
        elif t == "enum":
            s["type"] = "string"
            s["enum"] = f.enum.value_names()
        elif t == "string":
            s["type"] = "string"
            if f.min_len:
                s["minLength"] = f.min_len
            if f.max_len is not None:
                s["maxLength"] = f.max_len
            if f.pattern is not None:
                s["pattern"] = f.pattern
        elif t == "bytes":
            s["type"] = "string"
            s["format"] = "byte"
        elif t == "date":
            s["type"] = "string"
            s["format"] = "date"
        elif t == "timestamp":
            s["type"] = "string"
            s["format"] = "date-time"
        elif t in ("int32", "int64", "money"):
            s["type"] = "integer"
            s["format"] = "int32" if t == "int32" else "int64"
            if f.min is not None:
                s["minimum"] = f.min
            if f.max is not None:
                s["maximum"] = f.max
        elif t == "double":
            s["type"] = "number"
            s["format"] = "double"
            if f.min is not None:
                s["minimum"] = f.min
            if f.max is not None:
                s["maximum"] = f.max
        elif t == "bool":
            s["type"] = "boolean"
        elif t == "list":
            s["type"] = "array"
            s["items"] = self.field_schema(f.items)
            if f.min_items:
                s["minItems"] = f.min_items
            if f.max_items is not None:
                s["maxItems"] = f.max_items
        description = f.description
        if t == "money":
            s["x-kai-type"] = "money"
            description = (description + " " if description else "") + \
                "Amount in integer fen (1/100 yuan), never a fraction."
        if t == "timestamp":
            description = (description + " " if description else "") + "RFC 3339, UTC."
        if description:
            s["description"] = description
        if f.default is not None:
            s["default"] = f.default
        if f.example is not None:
            s["example"] = f.example
        if f.pii:
            s["x-pii"] = f.pii
        return s

    def message_schema(self, m, fields=None):
        fields = m.fields if fields is None else fields
        s = OrderedDict()
        s["type"] = "object"
        if m.description:
            s["description"] = m.description
        s["properties"] = OrderedDict((f.name, self.field_schema(f)) for f in fields)
        required = [f.name for f in fields if f.required]
        if required:
            s["required"] = required
        s["additionalProperties"] = False
        return s

    def enum_schema(self, e):
        s = OrderedDict()
        s["type"] = "string"
        s["enum"] = e.value_names()
        lines = [e.description] if e.description else []
        documented = [(v, d) for v, d in e.values if d]
        if documented:
            lines.append("")
            lines += [f"- `{v}`: {d}" for v, d in documented]
        if lines:
            s["description"] = "\n".join(lines)
        return s

    def error_response(self, status, codes):
        names = ", ".join(f"`{c}`" for c in codes)
        return OrderedDict([
            ("description", f"{HTTP_REASON.get(status, 'Error')}: {names}"),
            ("headers", OrderedDict([("X-Request-Id", ref("X-Request-Id", "headers"))])),
            ("content", {"application/json": {"schema": ref("common.Error")}}),
        ])

    def operation(self, f, op, components):
        h = op.http
        scope = f"{f.service}:{'write' if op.write else 'read'}"
        o = OrderedDict()
        o["operationId"] = f"{f.service}.{op.name}"
        o["summary"] = first_line(op.description)
        o["description"] = op.description + (
            f"\n\nBus operation `{op.name}` on service `{f.service}`. Requires scope `{scope}`.")
        o["tags"] = [f.service]
        params = []
        for p in h.path_params:
            fld = op.request.field(p)
            param = OrderedDict([("name", p), ("in", "path"), ("required", True),
                                 ("schema", self.field_schema(fld))])
            if fld.description:
                param["description"] = fld.description
            params.append(param)
        body_fields = [x for x in op.request.fields if x.name not in h.path_params]
        if h.method not in BODY_METHODS:
            for fld in body_fields:
                param = OrderedDict([("name", fld.name), ("in", "query"),
                                     ("required", fld.required),
                                     ("schema", self.field_schema(fld))])
                if fld.type == "list":
                    param["style"] = "form"
                    param["explode"] = True
                if fld.description:
                    param["description"] = fld.description
                params.append(param)
        if op.write:
            params.append(ref("IdempotencyKey", "parameters"))
        params.append(ref("RequestId", "parameters"))
        o["parameters"] = params
        if h.method in BODY_METHODS:
            if h.path_params:
                name = op.request.full_name + "Body"
                components[name] = self.message_schema(op.request, body_fields)
                components[name]["description"] = (
                    f"Body of {f.service}.{op.name}: the request without its path parameters.")
            else:
                name = op.request.full_name
            o["requestBody"] = OrderedDict([
                ("required", any(x.required for x in body_fields)),
                ("content", {"application/json": {"schema": ref(name)}}),
            ])
        responses = OrderedDict()
        ok = OrderedDict()
        ok["description"] = SUCCESS_REASON[h.status]
        ok["headers"] = OrderedDict([("X-Request-Id", ref("X-Request-Id", "headers"))])
        if h.status != 204:
            content = OrderedDict([("application/json", {"schema": ref(op.reply.full_name)})])
            if h.list:
                content["text/csv"] = {"schema": {"type": "string"}}
            ok["content"] = content
        responses[str(h.status)] = ok
        errors = OrderedDict((k, list(v)) for k, v in GENERIC_ERRORS.items())
        for code in op.errors:
            status = STATUS_HTTP[code]
            errors.setdefault(status, [])
            if code not in errors[status]:
                errors[status].append(code)
        for status in sorted(errors):
            responses[str(status)] = self.error_response(status, errors[status])
        o["responses"] = responses
        o["security"] = [{"bearer": []}]
        o["x-kai-scopes"] = [scope]
        o["x-kai-service"] = f.service
        o["x-kai-operation"] = op.name
        if h.list:
            o["x-kai-list"] = True
        return o

    def document(self):
        common = self.schema.common
        api = common.api
        doc = OrderedDict()
        doc["openapi"] = "3.0.3"
        doc["info"] = OrderedDict([
            ("title", api.get("title", "Kai Alliance platform API")),
            ("version", api.get("version", "1.0.0")),
            ("description", api.get("description", common.description)),
        ])
        doc["servers"] = [{"url": "/api/v1"}]
        doc["tags"] = [OrderedDict([("name", f.service), ("description", f.description)])
                       for f in self.schema.services]
        components = OrderedDict()
        for f in self.schema.files:
            for e in f.enums.values():
                components[e.full_name] = self.enum_schema(e)
            for m in f.messages:
                components[m.full_name] = self.message_schema(m)
        paths = OrderedDict()
        for f in self.schema.services:
            for op in f.operations:
                if op.http is None:
                    continue
                item = paths.setdefault(op.http.path, OrderedDict())
                item[op.http.method.lower()] = self.operation(f, op, components)
        doc["paths"] = paths
        doc["components"] = OrderedDict([
            ("schemas", OrderedDict(sorted(components.items()))),
            ("parameters", OrderedDict([
                ("IdempotencyKey", OrderedDict([
                    ("name", "Idempotency-Key"), ("in", "header"), ("required", False),
                    ("description", "Makes a write safe to retry: a retried request with the same "
                     "key is applied once and answered with the first outcome. Send a fresh "
                     "random key (e.g. a UUID) per intended change."),
                    ("schema", {"type": "string", "minLength": 1, "maxLength": 128}),
                ])),
                ("RequestId", OrderedDict([
                    ("name", "X-Request-Id"), ("in", "header"), ("required", False),
                    ("description", "Correlates logs across the platform; generated when absent "
                     "and echoed in the response."),
                    ("schema", {"type": "string", "maxLength": 128}),
                ])),
            ])),
            ("headers", OrderedDict([
                ("X-Request-Id", OrderedDict([
                    ("description", "The request id, as sent or as generated by the gateway."),
                    ("schema", {"type": "string"}),
                ])),
            ])),
            ("securitySchemes", OrderedDict([
                ("bearer", OrderedDict([
                    ("type", "http"), ("scheme", "bearer"),
                    ("description", "A token with scopes. Each route names the scope it needs in "
                     "x-kai-scopes: `<service>:read` for reads, `<service>:write` for writes; "
                     "`admin` grants every scope. Fields marked x-pii are masked unless the token "
                     "holds `pii:read`."),
                ])),
            ])),
        ])
        doc["security"] = [{"bearer": []}]
        return doc

    def text(self):
        return json.dumps(self.document(), ensure_ascii=False, indent=2) + "\n"
