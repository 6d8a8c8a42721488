#!/usr/bin/python3
"""Tests of the schema generator, run by CTest.

    test_generator.py --schemas proto-schemas --generated build/generated/schema

- Drift: the files the build generated are exactly what the generator makes of the schemas now.
- Malformed schemas fail with a clear "file:line: where: problem" message.
"""

import argparse
import contextlib
import difflib
import io
import json
import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import check_openapi  # noqa: E402
import kai_schema_gen  # noqa: E402

ARGS = None

COMMON = """\
description: Common.
enums:
  ErrorCode:
    description: Codes.
    values: [invalid_argument, not_found, already_exists, failed_precondition, permission_denied,
             unauthenticated, resource_exhausted, unavailable, deadline_exceeded, aborted,
             internal]
types:
  ErrorDetail:
    description: Detail.
    fields:
      code: {type: ErrorCode, required: true}
      message: {type: string, required: true, max_len: 100}
  Error:
    description: Body.
    fields:
      error: {type: ErrorDetail, required: true}
"""

SERVICE = """\
service: shop
description: A shop.
types:
  Item:
    description: An item.
    fields:
      id: {type: int64, required: true, min: 1}
      name: {type: string, required: true, max_len: 10}
operations:
  item.get:
    description: One item.
    request:
      id: {type: int64, required: true, min: 1}
    reply: Item
    errors: [not_found]
    http: {method: GET, path: '/shop/items/{id}'}
"""


def run_generator(files, check_only=False):
    """Writes `files` (name -> text; common.yaml added unless given) and runs the generator."""
    with tempfile.TemporaryDirectory() as tmp:
        schemas = os.path.join(tmp, "schemas")
        os.makedirs(schemas)
        contents = {"common.yaml": COMMON}
        contents.update(files)
        for name, text in contents.items():
            if text is None:
                continue
            with open(os.path.join(schemas, name), "w", encoding="utf-8") as f:
                f.write(textwrap.dedent(text))
        err = io.StringIO()
        args = ["--schemas", schemas]
        args += ["--check"] if check_only else ["--out", os.path.join(tmp, "out")]
        with contextlib.redirect_stderr(err):
            rc = kai_schema_gen.main(args)
        out = {}
        if rc == 0 and not check_only:
            for name in os.listdir(os.path.join(tmp, "out")):
                with open(os.path.join(tmp, "out", name), encoding="utf-8") as f:
                    out[name] = f.read()
        return rc, err.getvalue(), out


class DriftTest(unittest.TestCase):
    def test_build_output_matches_the_schemas(self):
        with tempfile.TemporaryDirectory() as tmp:
            with contextlib.redirect_stderr(io.StringIO()) as err:
                rc = kai_schema_gen.main(["--schemas", ARGS.schemas, "--out", tmp])
            self.assertEqual(rc, 0, err.getvalue())
            fresh = sorted(os.listdir(tmp))
            built = sorted(os.listdir(ARGS.generated))
            self.assertEqual(fresh, built, "the set of generated files changed: rebuild")
            for name in fresh:
                with open(os.path.join(tmp, name), encoding="utf-8") as f:
                    want = f.read()
                with open(os.path.join(ARGS.generated, name), encoding="utf-8") as f:
                    have = f.read()
                if want != have:
                    diff = "".join(list(difflib.unified_diff(
                        have.splitlines(True), want.splitlines(True), f"build/{name}",
                        f"schemas/{name}"))[:40])
                    self.fail(f"{name} is out of date with the schemas:\n{diff}")


class ValidSchemaTest(unittest.TestCase):
    def test_minimal_service_generates_everything(self):
        rc, err, out = run_generator({"shop.yaml": SERVICE})
        self.assertEqual(rc, 0, err)
        for name in ("common.hpp", "common.cpp", "shop.hpp", "shop.cpp", "all_services.hpp",
                     "all_services.cpp", "openapi.json", "openapi.hpp", "openapi.cpp",
                     "roundtrip_test.cpp"):
            self.assertIn(name, out)
        self.assertIn("struct ItemGet {", out["shop.hpp"])
        self.assertIn("using ItemGetReply = Item;", out["shop.hpp"])
        self.assertIn('"/shop/items/{id}"', out["openapi.json"])

    def test_cross_service_reference_includes_the_other_header(self):
        other = """\
            service: depot
            description: A depot.
            types:
              Shelf:
                description: A shelf.
                fields:
                  item: {type: shop.Item, required: true}
            """
        rc, err, out = run_generator({"shop.yaml": SERVICE, "depot.yaml": other})
        self.assertEqual(rc, 0, err)
        self.assertIn('#include "schema/shop.hpp"', out["depot.hpp"])
        self.assertIn("::kai::msg::shop::Item item;", out["depot.hpp"])

    def test_field_templates_can_be_adjusted(self):
        svc = SERVICE.replace("      id: {type: int64, required: true, min: 1}\n    reply",
                              "      id: {use: common.Id, required: true}\n    reply")
        common = COMMON + "fields:\n  Id: {type: int64, min: 1, max: 99}\n"
        rc, err, out = run_generator({"common.yaml": common, "shop.yaml": svc})
        self.assertEqual(rc, 0, err)
        self.assertIn(".required = true, .min_int = std::int64_t{1}, .max_int = std::int64_t{99}",
                      out["shop.cpp"])

    def test_output_is_deterministic(self):
        first = run_generator({"shop.yaml": SERVICE})[2]
        second = run_generator({"shop.yaml": SERVICE})[2]
        self.assertEqual(first, second)


class MalformedSchemaTest(unittest.TestCase):
    def fails(self, files, *needles):
        rc, err, _ = run_generator(files, check_only=True)
        self.assertEqual(rc, 1, f"accepted a malformed schema: {files}")
        for needle in needles:
            self.assertIn(needle, err)
        return err

    def service(self, old, new):
        self.assertIn(old, SERVICE)
        return {"shop.yaml": SERVICE.replace(old, new)}

    def test_invalid_yaml(self):
        self.fails({"shop.yaml": "service: shop\n  bad: [\n"}, "shop.yaml:", "invalid YAML")

    def test_duplicate_key(self):
        self.fails({"shop.yaml": SERVICE + "description: again\n"},
                   "shop.yaml:17: duplicate key 'description' (first at line 2)")

    def test_unknown_top_level_key(self):
        self.fails({"shop.yaml": SERVICE + "operashuns: {}\n"}, "unknown key 'operashuns'",
                   "did you mean 'operations'")

    def test_unknown_field_key(self):
        err = self.fails(self.service("max_len: 10}", "max_len: 10, maxlen: 3}"),
                         "shop.yaml:8: types.Item.fields.name: unknown key 'maxlen'")
        self.assertIn("did you mean 'max_len'", err)

    def test_key_not_allowed_for_the_type(self):
        self.fails(self.service("{type: int64, required: true, min: 1}\n      name",
                                "{type: int64, required: true, min: 1, max_len: 3}\n      name"),
                   "unknown key 'max_len' in a field of type int64")

    def test_unknown_type(self):
        self.fails(self.service("type: string, required: true, max_len: 10",
                                "type: strnig, required: true, max_len: 10"),
                   "shop.yaml:8:", "unknown type 'strnig'", "did you mean 'string'")

    def test_bad_reference(self):
        self.fails(self.service("reply: Item", "reply: common.Item"), "unknown type 'common.Item'")
        self.fails(self.service("reply: Item", "reply: nowhere.Item"), "unknown file 'nowhere'")
        self.fails(self.service("reply: Item", "reply: ErrorCode"), "is an enum, not a message")

    def test_common_cannot_refer_to_services(self):
        common = COMMON + "  Bad:\n    description: x\n    fields:\n      i: {type: shop.Item}\n"
        self.fails({"common.yaml": common, "shop.yaml": SERVICE},
                   "common.yaml cannot refer to a service's types")

    def test_unbounded_strings_and_lists(self):
        self.fails(self.service("{type: string, required: true, max_len: 10}",
                                "{type: string, required: true}"), "needs max_len")
        self.fails(self.service("{type: string, required: true, max_len: 10}",
                                "{type: list, items: {type: int32}}"), "needs max_items")

    def test_pattern_rules(self):
        self.fails(self.service("max_len: 10}", "max_len: 10, pattern: '^[a-z]+$'}"),
                   "a field with a pattern needs an example")
        self.fails(self.service("max_len: 10}", "max_len: 10, pattern: '^[a-z]+$', example: A1}"),
                   "example 'A1': does not match")
        self.fails(self.service("max_len: 10}", "max_len: 10, pattern: '[a-z]+', example: a}"),
                   "anchor it")
        self.fails(self.service("max_len: 10}",
                                "max_len: 10, pattern: '^(?<=a)b$', example: b}"),
                   "only (?: ) groups")
        self.fails(self.service("max_len: 10}", "max_len: 10, pattern: '^([a-z]$', example: a}"),
                   "does not compile")

    def test_defaults_and_examples_must_fit(self):
        self.fails(self.service("{type: int64, required: true, min: 1}\n      name",
                                "{type: int64, min: 1, default: 0}\n      name"),
                   "default 0: outside 1..")
        self.fails(self.service("{type: int64, required: true, min: 1}\n      name",
                                "{type: int64, required: true, default: 3}\n      name"),
                   "either required or has a default")
        self.fails(self.service("max_len: 10}", "max_len: 10, example: 12345678901}"),
                   "must be a string")

    def test_bad_enum_values(self):
        svc = SERVICE + "enums:\n  Answer:\n    description: x\n    values: [yes, no]\n"
        self.fails({"shop.yaml": svc}, "enum value True", "quote words YAML reads as booleans")
        svc = SERVICE + "enums:\n  Answer:\n    description: x\n    values: [a, a]\n"
        self.fails({"shop.yaml": svc}, "'a' collides with 'a'")

    def test_service_name_must_match_the_file(self):
        self.fails({"shop.yaml": SERVICE.replace("service: shop", "service: store")},
                   "must be 'shop'")

    def test_missing_common(self):
        self.fails({"common.yaml": None, "shop.yaml": SERVICE}, "has no common.yaml")

    def test_common_must_declare_the_error_body(self):
        self.fails({"common.yaml": "description: nothing\n", "shop.yaml": SERVICE},
                   "must declare the types Error and ErrorDetail")

    def test_duplicate_routes(self):
        dup = SERVICE + textwrap.indent(textwrap.dedent("""\
            item.fetch:
              description: The same route again.
              request:
                key: {type: int64, required: true}
              reply: Item
              http: {method: GET, path: '/shop/items/{key}'}
            """), "  ")
        self.fails({"shop.yaml": dup}, "duplicate route GET /shop/items/{key}",
                   "also shop.yaml:16 (item.get)")

    def test_path_parameters(self):
        self.fails(self.service("'/shop/items/{id}'", "'/shop/items/{ident}'"),
                   "path parameter 'ident' is not a field of the request")
        self.fails(self.service("id: {type: int64, required: true, min: 1}\n    reply",
                                "id: {type: int64, min: 1}\n    reply"),
                   "path parameter 'id' must be a required request field")
        self.fails(self.service("id: {type: int64, required: true, min: 1}\n    reply",
                                "id: {type: bool, required: true}\n    reply"),
                   "path parameter 'id' has type bool")
        self.fails(self.service("'/shop/items/{id}'", "'/shop/items/{id}/{id}'"), "appears twice")
        self.fails(self.service("'/shop/items/{id}'", "'/items/{id}'"),
                   "paths of shop start with /shop/")
        self.fails(self.service("'/shop/items/{id}'", "'shop/Items'"), "path must look like")

    def test_query_parameters_must_be_scalars(self):
        self.fails(self.service("id: {type: int64, required: true, min: 1}\n    reply",
                                "id: {type: int64, required: true, min: 1}\n"
                                "      item: {type: Item}\n    reply"),
                   "request field 'item' cannot be a query parameter")

    def test_methods_and_writes_agree(self):
        self.fails(self.service("    http: {method: GET,", "    write: true\n    http: {method: GET,"),
                   "a GET route cannot be a write")
        self.fails(self.service("method: GET", "method: DELETE"),
                   "a DELETE route changes state: mark the operation write: true")
        self.fails(self.service("method: GET", "method: FETCH"), "method must be one of")

    def test_list_routes_follow_the_page_convention(self):
        self.fails(self.service("'/shop/items/{id}'}", "'/shop/items/{id}', list: true}"),
                   "a list request has 'limit'", "a list reply has 'items'")

    def test_status_codes(self):
        self.fails(self.service("errors: [not_found]", "errors: [missing]"),
                   "unknown status code 'missing'")
        self.fails(self.service("errors: [not_found]", "errors: [not_found, not_found]"),
                   "'not_found' listed twice")
        self.fails(self.service("'/shop/items/{id}'}", "'/shop/items/{id}', status: 204}"),
                   "status 204 means no body")

    def test_operation_and_event_names(self):
        self.fails(self.service("item.get:", "ItemGet:"), "operation names are dotted")
        svc = SERVICE + "events:\n  other.item.changed:\n    description: x\n"
        self.fails({"shop.yaml": svc}, "event names are shop.<entity>.<what>")

    def test_standard_operations(self):
        common = COMMON + textwrap.dedent("""\
            operations:
              events.since:
                description: Every service.
                request: {}
                reply: {}
                http: {method: GET, path: /x/y}
            """)
        self.fails({"common.yaml": common, "shop.yaml": SERVICE},
                   "operations every service answers have no HTTP binding")
        common = COMMON + textwrap.dedent("""\
            operations:
              item.get:
                description: Every service.
                request: {}
                reply: {}
            """)
        self.fails({"common.yaml": common, "shop.yaml": SERVICE},
                   "'item.get' is declared in common.yaml for every service")

    def test_recursive_types(self):
        svc = SERVICE + textwrap.dedent("""\
            enums: {}
            """).replace("enums: {}\n", "")
        svc = svc.replace("      name: {type: string, required: true, max_len: 10}",
                          "      name: {type: string, required: true, max_len: 10}\n"
                          "      parts: {type: list, items: {type: Item}, max_items: 3}")
        self.fails({"shop.yaml": svc}, "a message cannot contain itself: shop.Item -> shop.Item")

    def test_nesting_is_bounded(self):
        deep = "{type: int32}"
        for _ in range(16):
            deep = f"{{type: list, items: {deep}, max_items: 2}}"
        svc = SERVICE.replace("      name: {type: string, required: true, max_len: 10}",
                              "      name: {type: string, required: true, max_len: 10}\n"
                              f"      grid: {deep}")
        self.fails({"shop.yaml": svc}, "nest at most 16 deep")

    def test_cyclic_file_references(self):
        a = SERVICE.replace("      name: {type: string, required: true, max_len: 10}",
                            "      name: {type: string, required: true, max_len: 10}\n"
                            "      shelf: {type: depot.Shelf}")
        b = """\
            service: depot
            description: A depot.
            types:
              Shelf:
                description: A shelf.
                fields:
                  note: {type: string, max_len: 5}
              Rack:
                description: A rack.
                fields:
                  item: {type: shop.Item}
            """
        self.fails({"shop.yaml": a, "depot.yaml": b}, "files refer to each other in a cycle")

    def test_cpp_name_collisions(self):
        svc = SERVICE.replace("types:\n", "types:\n  ItemGet:\n    description: x\n")
        self.fails({"shop.yaml": svc}, "C++ name ItemGet")

    def test_reserved_file_names(self):
        self.fails({"openapi.yaml": SERVICE.replace("shop", "openapi")},
                   "'openapi' cannot be a schema file name")

    def test_every_problem_is_reported(self):
        svc = SERVICE.replace("max_len: 10}", "max_len: 10, maxlen: 1}").replace(
            "errors: [not_found]", "errors: [gone]")
        err = self.fails({"shop.yaml": svc}, "maxlen", "gone")
        self.assertIn("2 problem(s)", err)


class CheckOpenApiTest(unittest.TestCase):
    """check_openapi.py accepts what the generator makes and catches broken documents."""

    def document(self):
        rc, err, out = run_generator({"shop.yaml": SERVICE})
        self.assertEqual(rc, 0, err)
        return json.loads(out["openapi.json"])

    def test_generated_document_passes(self):
        self.assertEqual(check_openapi.check(self.document()), [])

    def test_undeclared_path_parameter(self):
        doc = self.document()
        op = doc["paths"]["/shop/items/{id}"]["get"]
        op["parameters"] = [p for p in op["parameters"] if p.get("in") != "path"]
        problems = check_openapi.check(doc)
        self.assertTrue(any("{id} is not declared" in p for p in problems), problems)

    def test_dangling_reference(self):
        doc = self.document()
        del doc["components"]["schemas"]["shop.Item"]
        problems = check_openapi.check(doc)
        self.assertTrue(any("does not resolve" in p for p in problems), problems)

    def test_structure(self):
        doc = self.document()
        doc["paths"]["/shop/items/{id}"]["get"]["responses"]["200"].pop("description")
        doc["openapi"] = "3.1.0"
        problems = check_openapi.check(doc)
        self.assertTrue(any("responses/200" in p for p in problems), problems)
        self.assertTrue(any("/openapi" in p for p in problems), problems)

    def test_optional_path_parameter(self):
        doc = self.document()
        for p in doc["paths"]["/shop/items/{id}"]["get"]["parameters"]:
            if p.get("in") == "path":
                p["required"] = False
        self.assertTrue(check_openapi.check(doc))


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--schemas", required=True)
    parser.add_argument("--generated", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
