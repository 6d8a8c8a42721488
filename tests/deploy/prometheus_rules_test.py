#!/usr/bin/python3
"""The alert and recording rules of deploy/prometheus/rules keep the project's conventions: recording
rules named level:metric:operations, alerts named Kai<CamelCase> with a severity, a summary, a
description and a runbook section of docs/operations.md named exactly like the alert, and each
alert exercised by a promtool unit test that expects it to fire. (promtool check config / check
rules / test rules themselves run as their own CTest tests.)"""

import os
import re
import unittest

import deploytest

RECORD_NAME = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$")
ALERT_NAME = re.compile(r"^Kai(?:[A-Z][a-z0-9]*)+$")
SEVERITIES = {"critical", "warning"}


def runbook_sections():
    """Level-2 and level-3 headings of docs/operations.md, with their GitHub anchors."""
    with open(deploytest.path("docs", "operations.md"), encoding="utf-8") as f:
        text = f.read()
    sections = {}
    for heading in re.findall(r"^#{2,3} (.+?)\s*$", text, re.M):
        anchor = re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")
        sections[heading] = anchor
    return text, sections


def unit_tested_alerts():
    """Alert names that some promtool unit test expects to fire."""
    fired = set()
    tests_dir = os.path.join(deploytest.PROMETHEUS_DIR, "tests")
    for name in sorted(os.listdir(tests_dir)):
        doc = deploytest.load_yaml(os.path.join(tests_dir, name))
        for test in doc["tests"]:
            for case in test.get("alert_rule_test", []):
                if case.get("exp_alerts"):
                    fired.add(case["alertname"])
    return fired


class RulesTest(unittest.TestCase):
    def setUp(self):
        self.rules = deploytest.rules()
        self.alerts = [r for _, _, r in self.rules if "alert" in r]
        self.records = [r for _, _, r in self.rules if "record" in r]

    def test_recording_rules_are_named_level_metric_operations(self):
        self.assertGreater(len(self.records), 10)
        for rule in self.records:
            with self.subTest(rule=rule["record"]):
                self.assertRegex(rule["record"], RECORD_NAME)
                _, metric, _ = rule["record"].split(":")
                self.assertTrue(metric.startswith("kai_"), metric)

    def test_alerts_have_name_severity_and_annotations(self):
        names = [a["alert"] for a in self.alerts]
        self.assertEqual(len(names), len(set(names)), "alert names must be unique")
        for alert in self.alerts:
            with self.subTest(alert=alert["alert"]):
                self.assertRegex(alert["alert"], ALERT_NAME)
                self.assertIn(alert["labels"]["severity"], SEVERITIES)
                for key in ("summary", "description", "runbook"):
                    self.assertTrue(alert["annotations"].get(key), f"{key} missing")
                self.assertIn("for", alert, "every alert waits before firing")

    def test_the_issue_s_alerts_exist(self):
        names = {a["alert"] for a in self.alerts}
        for wanted in ("KaiServiceDown", "KaiNoWorkers", "KaiErrorRatioHigh", "KaiLatencyP99High",
                       "KaiBrokerQueueGrowing", "KaiRedisDegraded", "KaiEventReplayLag",
                       "KaiDiskFillingUp"):
            self.assertIn(wanted, names)

    def test_each_alert_has_its_runbook_section(self):
        text, sections = runbook_sections()
        for alert in self.alerts:
            name = alert["alert"]
            with self.subTest(alert=name):
                self.assertIn(name, sections, f"docs/operations.md needs a section '### {name}'")
                self.assertEqual(alert["annotations"]["runbook"],
                                 f"docs/operations.md#{sections[name]}")
                body = text.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
                for part in ("What it means", "What to check", "What to do"):
                    self.assertIn(part, body, f"the {name} section needs '{part}'")

    def test_each_alert_is_unit_tested_firing(self):
        tested = unit_tested_alerts()
        for alert in self.alerts:
            self.assertIn(alert["alert"], tested, "no promtool test expects it to fire")

    def test_alerts_read_only_existing_recording_rules(self):
        recorded = {r["record"] for r in self.records}
        for alert in self.alerts:
            for name in re.findall(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", alert["expr"]):
                self.assertIn(name, recorded, f"{alert['alert']} reads {name}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
