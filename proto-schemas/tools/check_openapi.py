#!/usr/bin/python3
"""Checks the generated OpenAPI document offline (run by CTest).

    check_openapi.py build/generated/schema/openapi.json

It must be valid JSON, match the OpenAPI 3.0 structure in openapi-3.0.schema.json (validated with
python3-jsonschema), and be internally consistent: every $ref resolves, every path template
parameter is declared as a required path parameter (and nothing else is), operationIds and
parameters are unique, every security requirement names a defined scheme, every object schema's
required names are properties, and every error response uses the shared Error schema.
"""

import json
import os
import re
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))


def resolve(doc, pointer):
    if not pointer.startswith("#/"):
        raise KeyError(pointer)
    node = doc
    for part in pointer[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[part]
    return node


def walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}/{i}")


def deref(doc, node):
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(doc, node["$ref"])
        seen += 1
        if seen > 20:
            raise ValueError("reference loop")
    return node


def check(doc):
    problems = []
    with open(os.path.join(HERE, "openapi-3.0.schema.json"), encoding="utf-8") as f:
        meta = json.load(f)
    validator = jsonschema.Draft7Validator(meta)
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path)
        problems.append(f"structure at /{where}: {error.message[:300]}")

    for path, node in walk(doc):
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                resolve(doc, ref)
            except (KeyError, TypeError):
                problems.append(f"{path}: $ref {ref} does not resolve")
    if problems:
        return problems

    schemes = set(doc.get("components", {}).get("securitySchemes", {}))
    for req in doc.get("security", []):
        for name in req:
            if name not in schemes:
                problems.append(f"security names undefined scheme {name}")

    operation_ids = {}
    for template, item in doc["paths"].items():
        in_template = re.findall(r"\{([^}]+)\}", template)
        if len(set(in_template)) != len(in_template):
            problems.append(f"{template}: a path parameter appears twice")
        for method, op in item.items():
            if method.startswith("x-") or method in ("parameters", "summary", "description"):
                continue
            where = f"{method.upper()} {template}"
            oid = op.get("operationId")
            if oid in operation_ids:
                problems.append(f"{where}: operationId {oid} also used by {operation_ids[oid]}")
            operation_ids[oid] = where
            params = [deref(doc, p) for p in item.get("parameters", []) + op.get("parameters", [])]
            keys = [(p["name"], p["in"]) for p in params]
            if len(set(keys)) != len(keys):
                problems.append(f"{where}: duplicate parameters {keys}")
            declared = [p["name"] for p in params if p["in"] == "path"]
            for name in in_template:
                if name not in declared:
                    problems.append(f"{where}: path parameter {{{name}}} is not declared")
            for name in declared:
                if name not in in_template:
                    problems.append(f"{where}: declares path parameter {name} not in the path")
            for p in params:
                if p["in"] == "path" and p.get("required") is not True:
                    problems.append(f"{where}: path parameter {p['name']} must be required")
            for req in op.get("security", []):
                for name in req:
                    if name not in schemes:
                        problems.append(f"{where}: security names undefined scheme {name}")
            if not op.get("security") and not doc.get("security"):
                problems.append(f"{where}: no security requirement")
            if not op.get("x-kai-scopes"):
                problems.append(f"{where}: no x-kai-scopes")
            for status, response in op["responses"].items():
                response = deref(doc, response)
                if status[0] in "45":
                    schema = response.get("content", {}).get("application/json", {}).get("schema")
                    if schema != {"$ref": "#/components/schemas/common.Error"}:
                        problems.append(f"{where}: error response {status} does not use "
                                        "common.Error")
                if "X-Request-Id" not in response.get("headers", {}):
                    problems.append(f"{where}: response {status} lacks X-Request-Id")

    for path, node in walk(doc):
        if node.get("type") == "object" and "required" in node:
            props = node.get("properties", {})
            for name in node["required"]:
                if name not in props:
                    problems.append(f"{path}: required '{name}' is not a property")
    return problems


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{argv[1]}: not valid JSON: {e}", file=sys.stderr)
        return 1
    problems = check(doc)
    for p in problems:
        print(f"{argv[1]}: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"{argv[1]}: OK ({len(doc['paths'])} paths, "
          f"{len(doc.get('components', {}).get('schemas', {}))} schemas)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
