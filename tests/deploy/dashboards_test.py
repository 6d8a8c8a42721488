#!/usr/bin/python3
"""The Grafana dashboards of deploy/grafana: each file is a Grafana dashboard (the structure Grafana's
file provisioning loads: uid, title, schemaVersion, panels with grid positions, Prometheus targets
on the provisioned data source uid, template variables), and every PromQL expression in them, with
the template variables substituted, passes promtool's parser."""

import os
import re
import unittest

import deploytest

DATASOURCE_UID = "kai-prometheus"
PANEL_TYPES = {"row", "timeseries", "stat", "bargauge", "gauge", "table", "text"}
VARIABLE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")
LABEL_VALUES = re.compile(r"^label_values\((?:(.+),\s*)?(\w+)\)$")


def substitute(expr, variables):
    """Replaces $var, ${var} and ${var:format} as Grafana would, with an example value."""
    def value(match):
        name = match.group(1) or match.group(2)
        if name in deploytest.GRAFANA_BUILTINS:
            return deploytest.GRAFANA_BUILTINS[name]
        return variables[name]
    return VARIABLE.sub(value, expr)


def example_values(dashboard):
    """An example value for each template variable: a regex for multi-value or 'All' variables
    (Grafana joins values as a|b), a plain label value otherwise."""
    values = {}
    for v in dashboard["templating"]["list"]:
        values[v["name"]] = ".*" if v.get("multi") or v.get("includeAll") else "membership"
    return values


def all_panels(dashboard):
    out = []

    def walk(panels):
        for p in panels:
            out.append(p)
            walk(p.get("panels", []))

    walk(dashboard["panels"])
    return out


class DashboardsTest(unittest.TestCase):
    def setUp(self):
        self.dashboards = deploytest.dashboards()

    def test_the_issue_s_dashboards_exist(self):
        uids = {d["uid"] for _, d in self.dashboards}
        self.assertTrue({"kai-service-red", "kai-bus", "kai-alliance", "kai-gateway"} <= uids, uids)
        red = dict((d["uid"], d) for _, d in self.dashboards)["kai-service-red"]
        self.assertIn("service", [v["name"] for v in red["templating"]["list"]],
                      "the RED dashboard is templated by service")

    def test_dashboard_structure(self):
        uids = set()
        for name, d in self.dashboards:
            with self.subTest(dashboard=name):
                for key, kind in (("uid", str), ("title", str), ("schemaVersion", int),
                                  ("panels", list), ("templating", dict), ("time", dict),
                                  ("tags", list)):
                    self.assertIsInstance(d.get(key), kind, key)
                self.assertNotIn(d["uid"], uids, "uids are unique")
                uids.add(d["uid"])
                self.assertLessEqual(len(d["uid"]), 40)
                self.assertGreaterEqual(d["schemaVersion"], 36)
                self.assertIn("kai", d["tags"])
                self.assertNotIn("id", d, "provisioned dashboards carry no database id")
                self.assertIsInstance(d["templating"].get("list"), list)

    def test_panels(self):
        for name, d in self.dashboards:
            panels = all_panels(d)
            ids = [p["id"] for p in panels]
            self.assertEqual(len(ids), len(set(ids)), f"{name}: panel ids are unique")
            cells = set()
            for p in panels:
                with self.subTest(dashboard=name, panel=p.get("title")):
                    self.assertIn(p["type"], PANEL_TYPES)
                    self.assertTrue(p.get("title"))
                    grid = p["gridPos"]
                    for k in ("h", "w", "x", "y"):
                        self.assertIsInstance(grid[k], int)
                    self.assertTrue(0 <= grid["x"] and grid["x"] + grid["w"] <= 24)
                    # No two panels cover the same grid cell.
                    for y in range(grid["y"], grid["y"] + grid["h"]):
                        for x in range(grid["x"], grid["x"] + grid["w"]):
                            self.assertNotIn((x, y), cells, "panels overlap")
                            cells.add((x, y))
                    if p["type"] == "row":
                        continue
                    self.assertTrue(p.get("description"), "every panel says what it shows")
                    self.assertEqual(p["datasource"], {"type": "prometheus", "uid": DATASOURCE_UID})
                    self.assertTrue(p["targets"])
                    self.assertIn("unit", p["fieldConfig"]["defaults"])
                    refs = [t["refId"] for t in p["targets"]]
                    self.assertEqual(len(refs), len(set(refs)))
                    for t in p["targets"]:
                        self.assertEqual(t["datasource"]["uid"], DATASOURCE_UID)
                        self.assertTrue(t["expr"].strip())
                        self.assertIn("legendFormat", t)

    def test_template_variables(self):
        for name, d in self.dashboards:
            defined = {v["name"] for v in d["templating"]["list"]}
            for v in d["templating"]["list"]:
                with self.subTest(dashboard=name, variable=v["name"]):
                    self.assertEqual(v["type"], "query")
                    self.assertEqual(v["datasource"]["uid"], DATASOURCE_UID)
                    self.assertEqual(v["query"]["query"], v["definition"])
                    self.assertRegex(v["definition"], LABEL_VALUES)
            for expr in deploytest.dashboard_expressions(d):
                for m in VARIABLE.finditer(expr):
                    var = m.group(1) or m.group(2)
                    self.assertTrue(var in defined or var in deploytest.GRAFANA_BUILTINS,
                                    f"{name}: ${var} is not defined")

    def test_every_expression_parses_with_promtool(self):
        exprs = []
        for _, d in self.dashboards:
            values = example_values(d)
            exprs += [substitute(e, values) for e in deploytest.dashboard_expressions(d)]
            for v in d["templating"]["list"]:
                selector = LABEL_VALUES.match(v["definition"]).group(1)
                if selector:
                    exprs.append(substitute(selector, values))
        self.assertGreater(len(exprs), 40)
        ok, output = deploytest.check_promql(exprs)
        self.assertTrue(ok, output)
        self.assertIn(f"SUCCESS: {len(exprs)} rules found", output)

    def test_the_check_rejects_a_broken_expression(self):
        ok, output = deploytest.check_promql(['sum(rate(kai_requests_total[5m])'])
        self.assertFalse(ok, output)

    def test_provisioning_points_at_these_files_and_this_data_source(self):
        ds = deploytest.load_yaml(deploytest.path(
            "deploy", "grafana", "provisioning", "datasources", "kai-prometheus.yml"))
        self.assertEqual([d["uid"] for d in ds["datasources"]], [DATASOURCE_UID])
        self.assertEqual(ds["datasources"][0]["type"], "prometheus")
        provider = deploytest.load_yaml(deploytest.path(
            "deploy", "grafana", "provisioning", "dashboards", "kai.yml"))["providers"][0]
        compose = deploytest.load_yaml(deploytest.path("docker-compose.yml"))
        mounts = compose["services"]["grafana"]["volumes"]
        self.assertIn(f"./deploy/grafana/dashboards:{provider['options']['path']}:ro", mounts)
        self.assertIn("./deploy/grafana/provisioning:/etc/grafana/provisioning:ro", mounts)
        home = compose["services"]["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
        self.assertTrue(os.path.exists(os.path.join(
            deploytest.DASHBOARDS_DIR, os.path.relpath(home, provider["options"]["path"]))))


if __name__ == "__main__":
    unittest.main(verbosity=2)
