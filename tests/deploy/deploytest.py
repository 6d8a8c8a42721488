"""Shared by the deploy checks in this folder: where things are, and running promtool.

The checks run under CTest with KAI_SOURCE_DIR (and, for the cluster test, KAI_BIN_DIR) set; run by
hand they find the source tree from this file's location."""

import json
import os
import re
import subprocess
import tempfile

import yaml

SOURCE_DIR = os.environ.get("KAI_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
DEPLOY = os.path.join(SOURCE_DIR, "deploy")
PROMETHEUS_DIR = os.path.join(DEPLOY, "prometheus")
RULES_DIR = os.path.join(PROMETHEUS_DIR, "rules")
DASHBOARDS_DIR = os.path.join(DEPLOY, "grafana", "dashboards")
CHART_DIR = os.path.join(SOURCE_DIR, "helm", "kai")
PROMTOOL = "/usr/bin/promtool"

# Grafana's own variables, and what each stands for when an expression is syntax-checked.
GRAFANA_BUILTINS = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h"}


def path(*parts):
    return os.path.join(SOURCE_DIR, *parts)


def load_yaml(file):
    with open(file, encoding="utf-8") as f:
        return yaml.safe_load(f)


def rule_files():
    return sorted(os.path.join(RULES_DIR, f) for f in os.listdir(RULES_DIR) if f.endswith(".yml"))


def rules():
    """Every rule of deploy/prometheus/rules, as (file, group name, rule dict)."""
    out = []
    for file in rule_files():
        for group in load_yaml(file)["groups"]:
            for rule in group["rules"]:
                out.append((file, group["name"], rule))
    return out


def dashboards():
    """(file name, parsed JSON) of every dashboard."""
    out = []
    for name in sorted(os.listdir(DASHBOARDS_DIR)):
        if name.endswith(".json"):
            with open(os.path.join(DASHBOARDS_DIR, name), encoding="utf-8") as f:
                out.append((name, json.load(f)))
    return out


def dashboard_expressions(dashboard):
    """Every PromQL expression of a dashboard: its panels' targets (rows included)."""
    exprs = []

    def walk(panels):
        for panel in panels:
            for target in panel.get("targets", []):
                exprs.append(target["expr"])
            walk(panel.get("panels", []))

    walk(dashboard["panels"])
    return exprs


def promtool(*args):
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60)


def check_promql(expressions):
    """Syntax-checks PromQL by writing each expression as a recording rule and running `promtool
    check rules`. Returns (ok, promtool's output)."""
    doc = {"groups": [{"name": "syntax-check", "rules": [
        {"record": f"syntax_check:expr_{i}", "expr": e} for i, e in enumerate(expressions)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump(doc, f, allow_unicode=True)
        name = f.name
    try:
        result = promtool("check", "rules", name)
        return result.returncode == 0, result.stdout + result.stderr
    finally:
        os.unlink(name)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_NAME = re.compile(r"(?<![A-Za-z0-9_:$])([a-zA-Z_:][a-zA-Z0-9_:]*)")


def metric_names(expression):
    """The platform's raw metric names (kai_*) an expression reads; recording rules (with ':')
    and label names are not metric names of a process."""
    text = _STRING.sub('""', expression)
    return {n for n in _NAME.findall(text) if n.startswith("kai_") and ":" not in n}


def referenced_metric_names():
    """Every kai_* metric the alert and recording rules and the dashboards name."""
    names = set()
    for _, _, rule in rules():
        names |= metric_names(rule["expr"])
    for _, dashboard in dashboards():
        for expr in dashboard_expressions(dashboard):
            names |= metric_names(expr)
        for variable in dashboard.get("templating", {}).get("list", []):
            if variable.get("type") == "query":
                names |= metric_names(variable["definition"])
    return names
