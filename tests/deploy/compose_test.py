#!/usr/bin/python3
"""docker-compose.yml, its host-network override, the Prometheus scrape config and the image files
agree with each other and with DESIGN.md §3 (programs, ports, settings); the images' entrypoint and
healthcheck scripts do what they promise. Running the stack for real is deploy/compose-smoke.sh
(`make compose-smoke`), which needs a Docker engine and minutes, so it is not part of `make test`."""

import glob
import http.server
import os
import re
import socket
import subprocess
import tempfile
import threading
import unittest

import deploytest

OPS_PORTS = {"broker": 9100, "gateway": 9101, "membership": 9102, "clubs": 9103,
             "unitedfront": 9104, "training": 9105, "venture": 9106}


def compose():
    return deploytest.load_yaml(deploytest.path("docker-compose.yml"))


def override():
    return deploytest.load_yaml(deploytest.path("deploy", "compose", "host-network.yml"))


def kai_services(doc):
    return {name: s for name, s in doc["services"].items() if name in OPS_PORTS}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ComposeFileTest(unittest.TestCase):
    def test_every_component_is_there(self):
        names = set(compose()["services"])
        self.assertTrue({"broker", "gateway", "membership", "redis", "prometheus", "grafana"} <= names)

    def test_kai_services_build_from_the_one_dockerfile(self):
        for name, s in kai_services(compose()).items():
            with self.subTest(service=name):
                self.assertEqual(s["build"]["dockerfile"], "deploy/docker/Dockerfile")
                self.assertEqual(s["build"]["context"], ".")
                self.assertEqual(s["build"]["args"], {"BINARY": f"kai-{name}", "OPS_PORT": str(OPS_PORTS[name])})
                self.assertRegex(s["image"], rf"/kai-{name}:")
                self.assertIs(s["read_only"], True)
                self.assertEqual(s["cap_drop"], ["ALL"])
                self.assertIn("/tmp", s["tmpfs"])
                targets = {sec["target"] for sec in s["secrets"]}
                self.assertTrue({"KAI_CURVE_SECRET_KEY", "KAI_CURVE_PUBLIC_KEY"} <= targets)
                if name != "broker":
                    self.assertIn("KAI_CURVE_BROKER_KEY", targets)
                    self.assertEqual(s["environment"]["KAI_BROKER"], "tcp://broker:5555")
                    self.assertEqual(s["depends_on"]["broker"], {"condition": "service_healthy"})
                    self.assertIn(f"{name}-data:/var/lib/kai", s["volumes"])

    def test_secrets_are_declared_and_ignored_by_git(self):
        doc = compose()
        used = {sec["source"] if isinstance(sec, dict) else sec
                for s in doc["services"].values() for sec in s.get("secrets", [])}
        self.assertEqual(used, set(doc["secrets"]))
        with open(deploytest.path(".gitignore"), encoding="utf-8") as f:
            self.assertIn("/.kai/", f.read().split())
        with open(deploytest.path("deploy", "compose", "make-secrets.sh"), encoding="utf-8") as f:
            script = f.read()
        for secret in doc["secrets"].values():
            self.assertTrue(secret["file"].startswith("./.kai/compose-secrets/"))
            made = os.path.basename(secret["file"])
            stem, ext = os.path.splitext(made)
            # make-secrets.sh writes each file: key pairs through kaictl keygen, the rest by name.
            self.assertTrue(made in script or (ext in (".key", ".pub") and
                                               (f"keypair {stem}" in script or f'"{stem} ' in script)),
                            made)

    def test_the_gateway_is_wired(self):
        gw = compose()["services"]["gateway"]
        self.assertEqual(gw["environment"]["KAI_TOKENS_FILE"], "/run/secrets/kai-tokens")
        self.assertIn("kai-tokens", {s["target"] for s in gw["secrets"]})
        self.assertIn("8080:8080", gw["ports"])
        self.assertEqual(compose()["services"]["membership"]["environment"]["KAI_DEMO_DATA"], "true")

    def test_redis_is_a_cache_without_persistence(self):
        command = compose()["services"]["redis"]["command"]
        self.assertEqual(command[command.index("--save") + 1], "")
        self.assertEqual(command[command.index("--appendonly") + 1], "no")
        host = override()["services"]["redis"]["command"]
        self.assertEqual(host[host.index("--save") + 1], "")
        self.assertEqual(host[host.index("--bind") + 1], "127.0.0.1")

    def test_prometheus_scrapes_every_kai_service_on_its_ops_port(self):
        config = deploytest.load_yaml(deploytest.path("deploy", "prometheus", "prometheus.yml"))
        jobs = {j["job_name"]: j["static_configs"][0]["targets"] for j in config["scrape_configs"]}
        for name in kai_services(compose()):
            self.assertEqual(jobs.pop(f"kai-{name}"), [f"{name}:{OPS_PORTS[name]}"])
        self.assertEqual(set(jobs), {"prometheus"})
        # The smoke run's own scrape config (loopback ports) has the same jobs.
        with open(deploytest.path("deploy", "compose-smoke.sh"), encoding="utf-8") as f:
            smoke = f.read()
        for name in kai_services(compose()):
            self.assertIn(f"job_name: kai-{name}", smoke)

    def test_host_network_override_keeps_everything_on_loopback(self):
        base, host = compose(), override()
        self.assertEqual(set(host["services"]), set(base["services"]))
        for name, s in host["services"].items():
            with self.subTest(service=name):
                self.assertEqual(s["network_mode"], "host")
                if name == "grafana":
                    self.assertEqual(s["profiles"], ["grafana"])
                    continue
                self.assertEqual(s["build"]["network"], "host")
                self.assertIn("BASE_IMAGE", s["build"]["args"])
                for key, value in s.get("environment", {}).items():
                    if key.endswith(("_ADDR", "_BIND")) or key in ("KAI_BROKER", "KAI_EVENTS_PUB",
                                                                  "KAI_EVENTS_SUB", "KAI_REDIS_URL"):
                        self.assertRegex(value, r"^(tcp://|redis://)?127\.0\.0\.1:\$\{KAI_HOST_\w+_PORT:-\d+\}")
                # Every setting in the base file that names another container is replaced.
                for key, value in base["services"][name].get("environment", {}).items():
                    if re.search(r"//(broker|redis|membership|gateway):", str(value)):
                        self.assertIn(key, s["environment"], f"{name}: {key} still names a container")


class ImageFilesTest(unittest.TestCase):
    def test_dockerfile(self):
        with open(deploytest.path("deploy", "docker", "Dockerfile"), encoding="utf-8") as f:
            text = f.read()
        self.assertEqual(re.findall(r"^FROM (\S+)", text, re.M), ["${BASE_IMAGE}", "${BASE_IMAGE}"])
        self.assertRegex(text, r"(?m)^ARG BASE_IMAGE=debian:bookworm-slim$")
        self.assertRegex(text, r"(?m)^USER 10001:10001$")
        self.assertRegex(text, r"(?m)^HEALTHCHECK .*kai-healthcheck")
        self.assertRegex(text, r'(?m)^ENTRYPOINT \["/usr/local/bin/kai-entrypoint"\]$')
        self.assertIn("scripts/install-deps.sh build", text)

    def test_build_script_knows_every_program(self):
        with open(deploytest.path("deploy", "docker", "build-binaries.sh"), encoding="utf-8") as f:
            text = f.read()
        programs = re.search(r"known=\(([^)]*)\)", text).group(1).split()
        self.assertEqual(set(programs), {f"kai-{s}" for s in OPS_PORTS} | {"kaictl"})

    def test_shell_scripts_parse(self):
        scripts = glob.glob(deploytest.path("deploy", "**", "*.sh"), recursive=True)
        self.assertGreaterEqual(len(scripts), 6)
        for script in scripts:
            with self.subTest(script=os.path.relpath(script, deploytest.SOURCE_DIR)):
                self.assertTrue(os.access(script, os.X_OK))
                result = subprocess.run(["bash", "-n", script], capture_output=True, text=True)
                self.assertEqual(result.returncode, 0, result.stderr)

    def test_entrypoint_applies_image_defaults_and_secret_files(self):
        entrypoint = deploytest.path("deploy", "docker", "entrypoint.sh")
        with tempfile.TemporaryDirectory() as secrets:
            for name, content in (("KAI_CURVE_SECRET_KEY", "secret-from-file\n"),
                                  ("KAI_CURVE_PUBLIC_KEY", "public-from-file\n"),
                                  ("kai-tokens", "not a setting\n"),
                                  ("KAI_lower", "not a setting name\n")):
                with open(os.path.join(secrets, name), "w") as f:
                    f.write(content)
            defaults = os.path.join(secrets, "defaults.env")
            with open(defaults, "w") as f:
                f.write("KAI_API_PAGE_DIR=/usr/local/share/kai/swagger-ui-dist\nKAI_LOG_LEVEL=debug\n")
            env = {"PATH": "/usr/bin:/bin", "KAI_SECRETS_DIR": secrets, "KAI_IMAGE_DEFAULTS": defaults,
                   "KAI_IMAGE_PROGRAM": "/usr/bin/env", "KAI_CURVE_PUBLIC_KEY": "already-set",
                   "KAI_LOG_LEVEL": "warn"}
            out = subprocess.run([entrypoint], env=env, capture_output=True, text=True, check=True).stdout
            lines = set(out.splitlines())
            self.assertIn("KAI_CURVE_SECRET_KEY=secret-from-file", lines)
            self.assertIn("KAI_CURVE_PUBLIC_KEY=already-set", lines)
            self.assertIn("KAI_API_PAGE_DIR=/usr/local/share/kai/swagger-ui-dist", lines)
            self.assertIn("KAI_LOG_LEVEL=warn", lines)
            self.assertFalse(any(l.startswith(("kai-tokens", "KAI_lower")) for l in lines))
            # Arguments go to the program; a first argument naming a program in the image would run it.
            out = subprocess.run([entrypoint, "-0"], env=env, capture_output=True, text=True, check=True).stdout
            self.assertIn("KAI_CURVE_SECRET_KEY=secret-from-file", out.split("\0"))

    def test_healthcheck_follows_readyz(self):
        status = {"code": 200}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                code = status["code"] if self.path == "/readyz" else 404
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            check = deploytest.path("deploy", "docker", "healthcheck.sh")

            def run(addr):
                return subprocess.run([check], env={"PATH": "/usr/bin:/bin", "KAI_OPS_ADDR": addr},
                                      capture_output=True, text=True, timeout=10).returncode

            port = server.server_address[1]
            self.assertEqual(run(f"0.0.0.0:{port}"), 0)
            self.assertEqual(run(f"127.0.0.1:{port}"), 0)
            status["code"] = 503
            self.assertEqual(run(f"127.0.0.1:{port}"), 1)
            self.assertEqual(run(f"127.0.0.1:{free_port()}"), 1)
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
