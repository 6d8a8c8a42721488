#!/usr/bin/python3
"""Checks of helm/kai that need neither Helm nor a Kubernetes API server:

  - values.schema.json is a valid JSON Schema (draft-07, as Helm reads it) that closes every object
    of the chart's own values (additionalProperties: false);
  - values.yaml and every examples/*.yaml, merged over values.yaml the way Helm merges values files,
    validate against it, and the scaled-out example says what it claims (PostgreSQL membership, 3
    replicas, 2 brokers); every file of testdata/broken-values is rejected for the reason it states;
  - yamllint passes on Chart.yaml, values.yaml and the examples;
  - every template, with its template actions taken out (template_shape.py), parses as YAML of the
    expected kinds and apiVersions, with the recommended labels, selectors, probes on the ops
    port, security contexts and resources where they belong; the helpers and values the templates
    name exist.

What needs Helm itself (rendering, helm lint --strict, the API server's validation) is listed in
helm/kai/README.md to be run on a machine that has it."""

import copy
import glob
import json
import os
import re
import subprocess
import unittest

import jsonschema
import yaml

import deploytest
import template_shape

CHART = deploytest.CHART_DIR
BROKEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata", "broken-values")
KINDS = {
    ("apps/v1", "StatefulSet"), ("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "Secret"),
    ("v1", "ServiceAccount"), ("v1", "Pod"), ("policy/v1", "PodDisruptionBudget"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"), ("monitoring.coreos.com/v1", "ServiceMonitor"),
}
RECOMMENDED_LABELS = ["app.kubernetes.io/name", "app.kubernetes.io/instance",
                      "app.kubernetes.io/version", "app.kubernetes.io/component",
                      "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "helm.sh/chart"]


def helm_merge(base, override):
    """Values files merge as in Helm: maps key by key, anything else replaced, null deletes."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = helm_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def all_errors(validator, instance):
    """Every validation error, including those inside anyOf/oneOf alternatives."""
    out = []

    def walk(errors):
        for e in errors:
            out.append(e)
            walk(e.context)

    walk(validator.iter_errors(instance))
    return out


def templates():
    out = []
    for file in sorted(glob.glob(os.path.join(CHART, "templates", "**", "*.yaml"), recursive=True)):
        with open(file, encoding="utf-8") as f:
            out.append((os.path.relpath(file, CHART), f.read()))
    return out


def walk_schema(node, where="#"):
    """Every (location, sub-schema) of a schema."""
    yield where, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk_schema(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk_schema(value, f"{where}/{i}")


class ChartValuesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(CHART, "values.schema.json"), encoding="utf-8") as f:
            cls.schema = json.load(f)
        cls.validator = jsonschema.Draft7Validator(cls.schema)
        cls.defaults = deploytest.load_yaml(os.path.join(CHART, "values.yaml"))

    def test_schema_is_valid_draft7_and_closed(self):
        jsonschema.Draft7Validator.check_schema(self.schema)
        self.assertEqual(self.schema["$schema"], "http://json-schema.org/draft-07/schema#")
        closed = 0
        for where, node in walk_schema(self.schema):
            if isinstance(node, dict) and "properties" in node and where.split("/")[-1] != "properties":
                # An object of the chart's own: unknown keys are mistakes, not extensions.
                if "then" in where or "if" in where.split("/")[-1:] or "/anyOf/" in where:
                    continue
                self.assertIs(node.get("additionalProperties"), False, where)
                closed += 1
        self.assertGreater(closed, 15)

    def test_default_values_validate(self):
        errors = [e.message for e in self.validator.iter_errors(self.defaults)]
        self.assertEqual(errors, [])

    def test_every_example_validates_alone_and_merged_over_the_defaults(self):
        examples = sorted(glob.glob(os.path.join(CHART, "examples", "*.yaml")))
        self.assertGreaterEqual(len(examples), 3)
        for file in examples:
            with self.subTest(example=os.path.basename(file)):
                values = deploytest.load_yaml(file)
                self.assertEqual([e.message for e in self.validator.iter_errors(values)], [])
                merged = helm_merge(self.defaults, values)
                self.assertEqual([e.message for e in self.validator.iter_errors(merged)], [])

    def test_the_scaled_out_example(self):
        merged = helm_merge(self.defaults,
                            deploytest.load_yaml(os.path.join(CHART, "examples", "scaled-out.yaml")))
        membership = merged["services"]["membership"]
        self.assertTrue(membership["enabled"])
        self.assertEqual(membership["replicas"], 3)
        self.assertTrue(membership["database"]["url"] or membership["database"]["existingSecret"],
                        "scaled out means PostgreSQL (the chart then makes it a Deployment)")
        self.assertEqual(merged["broker"]["replicas"], 2)
        self.assertTrue(membership["autoscaling"]["enabled"])
        self.assertGreaterEqual(membership["autoscaling"]["minReplicas"], membership["replicas"])

    def test_broken_values_are_rejected_for_their_reason(self):
        files = sorted(glob.glob(os.path.join(BROKEN, "*.yaml")))
        self.assertGreaterEqual(len(files), 5)
        for file in files:
            with self.subTest(broken=os.path.basename(file)):
                with open(file, encoding="utf-8") as f:
                    first = f.readline()
                m = re.match(r"# expect: (\w+) at ([\w.]+)", first)
                self.assertTrue(m, "first line: '# expect: <keyword> at <path>'")
                keyword, where = m.group(1), m.group(2).split(".")
                merged = helm_merge(self.defaults, deploytest.load_yaml(file))
                errors = all_errors(self.validator, merged)
                self.assertTrue(errors, "accepted")
                found = [(e.validator, list(e.absolute_path)) for e in errors]
                self.assertIn((keyword, where), found)

    def test_yamllint(self):
        files = [os.path.join(CHART, "Chart.yaml"), os.path.join(CHART, "values.yaml")]
        files += sorted(glob.glob(os.path.join(CHART, "examples", "*.yaml")))
        files += sorted(glob.glob(os.path.join(BROKEN, "*.yaml")))
        config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "yamllint.yml")
        result = subprocess.run(["yamllint", "--strict", "-c", config, *files],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_chart_yaml(self):
        chart = deploytest.load_yaml(os.path.join(CHART, "Chart.yaml"))
        self.assertEqual(chart["apiVersion"], "v2")
        self.assertEqual(chart["name"], "kai")
        self.assertEqual(chart["type"], "application")
        self.assertRegex(chart["version"], r"^\d+\.\d+\.\d+$")
        self.assertTrue(chart["appVersion"])
        self.assertTrue(chart["description"])

    def test_later_services_slot_in_by_values(self):
        services = self.defaults["services"]
        self.assertEqual(
            {name: (s["enabled"], s["opsPort"]) for name, s in services.items()},
            {"membership": (True, 9102), "clubs": (False, 9103), "unitedfront": (False, 9104),
             "training": (False, 9105), "venture": (False, 9106)})
        # Every service has the same settings, so enabling one is all it takes.
        shapes = {name: sorted(s) for name, s in services.items()}
        self.assertEqual(len({tuple(v) for v in shapes.values()}), 1, shapes)


class ChartTemplatesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.templates = templates()
        cls.docs = []
        for name, text in cls.templates:
            for doc in template_shape.documents(text):
                cls.docs.append((name, doc))
        with open(os.path.join(CHART, "templates", "_helpers.tpl"), encoding="utf-8") as f:
            cls.helpers = f.read()
        with open(os.path.join(CHART, "values.schema.json"), encoding="utf-8") as f:
            cls.schema = json.load(f)

    def test_every_template_parses_to_known_kinds(self):
        self.assertGreaterEqual(len(self.templates), 14)
        seen = set()
        for name, doc in self.docs:
            with self.subTest(template=name):
                self.assertIn((doc.get("apiVersion"), doc.get("kind")), KINDS)
                self.assertRegex(doc["metadata"]["name"], r"^TEMPLATE(-[a-z-]+)*(-TEMPLATE)?(-database)?$")
                seen.add(doc["kind"])
        self.assertTrue({"StatefulSet", "Deployment", "Service", "Secret", "PodDisruptionBudget",
                         "HorizontalPodAutoscaler", "ServiceMonitor"} <= seen)

    def test_recommended_labels_everywhere(self):
        block = self.helpers.split('define "kai.labels"', 1)[1].split("{{- end }}\n", 1)[0]
        selector = self.helpers.split('define "kai.selectorLabels"', 1)[1].split("{{- end }}", 1)[0]
        for label in RECOMMENDED_LABELS:
            self.assertIn(label, block + selector)
        for name, doc in self.docs:
            with self.subTest(template=name, kind=doc["kind"]):
                self.assertIn("__include_kai.labels", doc["metadata"]["labels"])

    def test_workloads(self):
        workloads = [(n, d) for n, d in self.docs if d["kind"] in ("StatefulSet", "Deployment")]
        self.assertEqual(len(workloads), 4)  # broker, apps as StatefulSet, apps as Deployment, redis
        for name, doc in workloads:
            with self.subTest(template=name):
                spec = doc["spec"]
                self.assertEqual(spec["selector"]["matchLabels"], {"__include_kai.selectorLabels": ""})
                pod = spec["template"]
                self.assertIn("__include_kai.labels", pod["metadata"]["labels"])
                self.assertIs(pod["spec"]["automountServiceAccountToken"], False)
                self.assertIn("securityContext", pod["spec"])
                if doc["kind"] == "StatefulSet":
                    self.assertTrue(spec["serviceName"].startswith("TEMPLATE-"))
                for c in pod["spec"]["containers"]:
                    self.assertIn("securityContext", c)
                    self.assertIn("resources", c)
                    self.assertIn("livenessProbe", c)
                    self.assertIn("readinessProbe", c)
                    mounts = {m["mountPath"] for m in c["volumeMounts"]}
                    if name != "templates/redis-deployment.yaml":
                        # Kai programs: probes on the ops port, writable /tmp and data only.
                        for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                                            ("readinessProbe", "/readyz")):
                            self.assertEqual(c[probe]["httpGet"], {"path": path, "port": "ops"})
                        self.assertIn("ops", [p["name"] for p in c["ports"]])
                        env = {e["name"] for e in c["env"]}
                        self.assertIn("KAI_OPS_ADDR", env)
                        self.assertIn("KAI_CURVE_SECRET_KEY", env)
                        self.assertIn("/tmp", mounts)

    def test_apps_statefulset_and_deployment_share_one_pod_template(self):
        def pod(kind):
            [doc] = [d for n, d in self.docs if n in ("templates/statefulset.yaml", "templates/deployment.yaml")
                     and d["kind"] == kind]
            template = copy.deepcopy(doc["spec"]["template"])
            volumes = template["spec"].pop("volumes")
            return template, volumes
        sts, sts_volumes = pod("StatefulSet")
        dep, dep_volumes = pod("Deployment")
        self.assertEqual(sts, dep, "statefulset.yaml and deployment.yaml drifted apart")
        self.assertEqual({v["name"] for v in sts_volumes}, {v["name"] for v in dep_volumes})
        [sts_doc] = [d for n, d in self.docs if n == "templates/statefulset.yaml"]
        claim = sts_doc["spec"]["volumeClaimTemplates"][0]
        self.assertEqual(claim["metadata"]["name"], "data")

    def test_services_pdbs_hpa_servicemonitor(self):
        for name, doc in self.docs:
            kind, spec = doc["kind"], doc.get("spec", {})
            with self.subTest(template=name, kind=kind):
                if kind == "Service":
                    self.assertEqual(spec["selector"], {"__include_kai.selectorLabels": ""})
                    for p in spec["ports"]:
                        self.assertEqual(set(p), {"name", "port", "targetPort", "protocol"})
                elif kind == "PodDisruptionBudget":
                    self.assertEqual(spec["selector"]["matchLabels"], {"__include_kai.selectorLabels": ""})
                    self.assertIn("maxUnavailable", spec)
                elif kind == "HorizontalPodAutoscaler":
                    self.assertEqual(spec["scaleTargetRef"]["kind"], "Deployment")
                    self.assertEqual(spec["metrics"][0]["resource"]["name"], "cpu")
                elif kind == "ServiceMonitor":
                    [endpoint] = spec["endpoints"]
                    self.assertEqual(endpoint["port"], "ops")
                    self.assertEqual(endpoint["relabelings"][0]["targetLabel"], "job")
                elif kind == "Pod":
                    self.assertEqual(doc["metadata"]["annotations"]["helm.sh/hook"], "test")

    def test_helpers_named_by_templates_are_defined(self):
        defined = set(re.findall(r'define "([\w.]+)"', self.helpers))
        used = set()
        for _, text in self.templates:
            used |= set(re.findall(r'include "([\w.]+)"', text))
        used |= set(re.findall(r'include "([\w.]+)"', self.helpers))
        self.assertTrue(used <= defined, used - defined)
        with open(os.path.join(CHART, "templates", "NOTES.txt"), encoding="utf-8") as f:
            self.assertTrue(set(re.findall(r'include "([\w.]+)"', f.read())) <= defined)

    def test_values_named_by_templates_exist_in_the_schema(self):
        texts = [t for _, t in self.templates] + [self.helpers]
        with open(os.path.join(CHART, "templates", "NOTES.txt"), encoding="utf-8") as f:
            texts.append(f.read())
        refs = set()
        for text in texts:
            refs |= set(re.findall(r"\.Values((?:\.\w+)+)", text))
        self.assertGreater(len(refs), 20)
        for ref in sorted(refs):
            node = self.schema
            for part in ref.strip(".").split("."):
                while "$ref" in node:
                    node = self.schema["definitions"][node["$ref"].split("/")[-1]]
                props = node.get("properties")
                if props is None:
                    break  # a free-form map (labels, env, keys by component)
                self.assertIn(part, props, f".Values{ref}")
                node = props[part]


if __name__ == "__main__":
    unittest.main(verbosity=2)
