#!/usr/bin/python3
"""Generates C++ message code, the service registry and the OpenAPI document from the schemas.

    kai_schema_gen.py --schemas proto-schemas --out build/generated/schema
    kai_schema_gen.py --schemas proto-schemas --check          # only check the schema files

Exit status 1 with one "file:line: where: problem" line per problem when a schema is malformed.
See proto-schemas/README.md for the format. Runs on Debian's python3 with python3-yaml only.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kaischema.cpp import CppEmitter  # noqa: E402
from kaischema.model import SchemaErrors, load_schema  # noqa: E402
from kaischema.openapi import OpenApiEmitter  # noqa: E402


def generate(schema_dir, cpp_ns="kai::msg", registry_ns="kai::schema", include_prefix="schema"):
    """Returns {file name: text} for every generated file."""
    schema = load_schema(schema_dir)
    cpp = CppEmitter(schema, cpp_ns, registry_ns, include_prefix)
    files = {}
    for f in schema.files:
        files[f"{f.stem}.hpp"] = cpp.header(f)
        files[f"{f.stem}.cpp"] = cpp.source(f)
    openapi = OpenApiEmitter(schema).text()
    files["openapi.json"] = openapi
    files["openapi.hpp"] = cpp.openapi_header()
    files["openapi.cpp"] = cpp.openapi_source(openapi)
    files["all_services.hpp"] = cpp.registry_header()
    files["all_services.cpp"] = cpp.registry_source()
    files["roundtrip_test.cpp"] = cpp.roundtrip_test()
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", required=True, help="folder of *.yaml schema files")
    parser.add_argument("--out", help="folder to write the generated files into")
    parser.add_argument("--check", action="store_true", help="check the schemas, write nothing")
    parser.add_argument("--cpp-namespace", default="kai::msg",
                        help="messages go to <this>::<file stem>")
    parser.add_argument("--registry-namespace", default="kai::schema",
                        help="namespace of all_services() and openapi_json()")
    parser.add_argument("--include-prefix", default="schema",
                        help="generated headers are included as <prefix>/<name>.hpp")
    args = parser.parse_args(argv)
    if not args.check and not args.out:
        parser.error("--out is required unless --check")
    try:
        files = generate(args.schemas, args.cpp_namespace, args.registry_namespace,
                         args.include_prefix)
    except SchemaErrors as e:
        for err in e.errors:
            prefix = os.path.join(args.schemas, "") if err.file else ""
            print(f"{prefix}{err}", file=sys.stderr)
        print(f"kai_schema_gen: {len(e.errors)} problem(s) in the schemas", file=sys.stderr)
        return 1
    if args.check:
        return 0
    os.makedirs(args.out, exist_ok=True)
    for name, text in sorted(files.items()):
        path = os.path.join(args.out, name)
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
