#!/usr/bin/python3
"""Every metric that the alert and recording rules and the Grafana dashboards name is really
exported: starts a real cluster — redis-server, kai-broker, kai-membership (demo data) and
kai-gateway from KAI_BIN_DIR on free loopback ports — drives requests through the gateway (a
refused one, writes, reads, a miss), scrapes each process's /metrics and checks that each name
appears as a sample (histograms by their _bucket/_sum/_count series)."""

import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import deploytest

BIN = os.environ.get("KAI_BIN_DIR", deploytest.path("build", "bin"))
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\s)")


def free_port():
    """A loopback port nothing listens on, outside the kernel's ephemeral range (as
    tests/support does), so outgoing connections do not take it in the meantime."""
    for _ in range(1000):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def wait_until(condition, timeout=30.0, every=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(every)


def http_request(port, method, path, body=None, headers=None):
    """(status, body bytes), or (None, b"") when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    except OSError:
        return None, b""
    finally:
        conn.close()


def sample_names(exposition):
    names = set()
    for line in exposition.splitlines():
        m = SAMPLE.match(line)
        if m and not line.startswith("#"):
            names.add(m.group(1))
    return names


class Cluster:
    """The processes of one test run; stop() kills and reaps them all."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = []

    def start(self, name, argv, env=None):
        log = open(os.path.join(self.workdir, f"{name}.log"), "wb")
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("KAI_")}
        full_env.update(env or {})
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=full_env,
                                cwd=self.workdir)
        log.close()
        self.procs.append((name, proc))
        return proc

    def log(self, name):
        with open(os.path.join(self.workdir, f"{name}.log"), encoding="utf-8", errors="replace") as f:
            return f.read()[-4000:]

    def stop(self):
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc in reversed(self.procs):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


class MetricsExportedTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="kai-metrics-")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.cluster = Cluster(self.workdir)
        self.addCleanup(self.cluster.stop)

    def program(self, name):
        path = os.path.join(BIN, name)
        self.assertTrue(os.access(path, os.X_OK), f"{path} is not built")
        return path

    def wait_ready(self, name, ops_port):
        status = wait_until(lambda: http_request(ops_port, "GET", "/readyz")[0] == 200, timeout=60)
        self.assertTrue(status, f"{name} not ready:\n{self.cluster.log(name)}")

    def test_every_metric_named_by_rules_and_dashboards_is_exported(self):
        wanted = deploytest.referenced_metric_names()
        self.assertGreater(len(wanted), 30)

        redis_port = free_port()
        self.cluster.start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no"])
        ports = {n: free_port() for n in ("bus", "xsub", "xpub", "broker_ops", "membership_ops",
                                          "gateway_ops", "http")}
        self.cluster.start("broker", [
            self.program("kai-broker"),
            f"--broker-bind=tcp://127.0.0.1:{ports['bus']}",
            f"--events-xsub-bind=tcp://127.0.0.1:{ports['xsub']}",
            f"--events-xpub-bind=tcp://127.0.0.1:{ports['xpub']}",
            f"--ops-addr=127.0.0.1:{ports['broker_ops']}",
        ])
        bus_env = {
            "KAI_BROKER": f"tcp://127.0.0.1:{ports['bus']}",
            "KAI_EVENTS_PUB": f"tcp://127.0.0.1:{ports['xsub']}",
            "KAI_EVENTS_SUB": f"tcp://127.0.0.1:{ports['xpub']}",
            "KAI_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        }
        self.cluster.start("membership", [self.program("kai-membership")], {
            **bus_env,
            "KAI_DATA_DIR": os.path.join(self.workdir, "membership"),
            "KAI_OPS_ADDR": f"127.0.0.1:{ports['membership_ops']}",
            "KAI_DEMO_DATA": "true",
            "KAI_GAUGE_INTERVAL": "200ms",
        })
        tokens = os.path.join(self.workdir, "tokens")
        created = subprocess.run(
            [self.program("kaictl"), "token", "create", "--principal", "metrics-test",
             "--scopes", "admin", "--tokens-file", tokens],
            capture_output=True, text=True, timeout=30, check=True)
        token = created.stdout.splitlines()[0].strip()
        self.cluster.start("gateway", [self.program("kai-gateway")], {
            **bus_env,
            "KAI_DATA_DIR": os.path.join(self.workdir, "gateway"),
            "KAI_OPS_ADDR": f"127.0.0.1:{ports['gateway_ops']}",
            "KAI_HTTP_ADDR": f"127.0.0.1:{ports['http']}",
            "KAI_TOKENS_FILE": tokens,
        })
        for name in ("broker", "membership", "gateway"):
            self.wait_ready(name, ports[f"{name}_ops"])

        # Requests of every kind the dashboards show: refused, created, read (miss then hit),
        # listed, not found.
        http = ports["http"]
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        status, _ = http_request(http, "GET", "/api/v1/membership/organizations")
        self.assertEqual(status, 401)
        body = json.dumps({"name": "凯旋街道 metrics test enterprise", "kind": "enterprise",
                           "contact": {"name": "李四", "phone": "13900000000"}})
        status, reply = wait_until(lambda: (lambda r: r if r[0] == 201 else None)(http_request(
            http, "POST", "/api/v1/membership/organizations", body,
            {**auth, "Idempotency-Key": "metrics-test-1"})), timeout=30) or (None, b"")
        self.assertEqual(status, 201, reply)
        org = json.loads(reply)["id"]
        for _ in range(3):
            status, reply = http_request(http, "GET", f"/api/v1/membership/organizations/{org}",
                                         headers=auth)
            self.assertEqual(status, 200, reply)
        status, _ = http_request(http, "GET", "/api/v1/membership/organizations?limit=5", headers=auth)
        self.assertEqual(status, 200)
        status, _ = http_request(http, "GET", "/api/v1/membership/organizations/999999999",
                                 headers=auth)
        self.assertEqual(status, 404)

        def missing():
            exported = set()
            for name in ("broker", "membership", "gateway"):
                status, text = http_request(ports[f"{name}_ops"], "GET", "/metrics")
                self.assertEqual(status, 200)
                exported |= sample_names(text.decode())
            return sorted(wanted - exported)

        # Business gauges are computed every KAI_GAUGE_INTERVAL; everything else is there at once.
        gone = wait_until(lambda: not missing(), timeout=20, every=0.2)
        self.assertTrue(gone, f"named by rules or dashboards but not exported: {missing()}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
