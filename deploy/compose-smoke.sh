#!/usr/bin/env bash
# The docker compose stack, started for real on this machine and checked end to end (`make
# compose-smoke`). Made for a Debian 12 machine where no Docker engine runs and no image registry can
# be reached; it leaves the machine as it found it (containers, volumes and networks removed, the
# engine stopped again if it started it). Every container runs on the host network with its ports
# bound to 127.0.0.1: no traffic goes anywhere but loopback, apart from apt reaching the Debian mirror
# while images build.
#
# Steps: install docker.io, docker-compose and debootstrap if missing; start dockerd if none answers
# (--bridge=none --iptables=false --ip-forward=false); make the Debian 12 base image with debootstrap;
# build every image (the Kai programs, Redis and Prometheus from Debian's packages; Grafana is left
# out through its compose profile); make the secrets; bring the stack up on free loopback ports;
# wait until every container is healthy; create an organisation through the gateway and read it
# back; check Prometheus scrapes every target; stop membership and wait for KaiServiceDown to fire;
# start it again and read the organisation back from its volume; tear everything down.
#
# Environment: KAI_SMOKE_DIR (logs and generated files, default .kai/compose-smoke),
# KAI_SMOKE_KEEP=1 (leave the stack running), KAI_BASE_IMAGE (default kai-local/debian:bookworm).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

smoke_dir="${KAI_SMOKE_DIR:-$repo/.kai/compose-smoke}"
mkdir -p "$smoke_dir"
log="$smoke_dir/compose-smoke.log"
: >"$log"
exec > >(tee -a "$log") 2>&1

project=kai-smoke
base_image="${KAI_BASE_IMAGE:-kai-local/debian:bookworm}"
started=$(date +%s)
step() { printf '\n== [%4ss] %s\n' "$(($(date +%s) - started))" "$*"; }
fail() {
  echo "compose-smoke: FAILED: $*" >&2
  exit 1
}

if [[ $(id -u) -ne 0 ]]; then
  fail "run as root (it installs packages, starts dockerd and runs debootstrap)"
fi

# Debian's client, matching Debian's engine (another docker client may come first in PATH).
DOCKER=/usr/bin/docker
export DOCKER
compose() { docker-compose -p "$project" -f docker-compose.yml -f deploy/compose/host-network.yml "$@"; }
python=/usr/bin/python3

step "packages"
missing=()
for pkg in docker.io docker-compose debootstrap curl; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" ||
    { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
fi
"$DOCKER" --version
docker-compose version --short

step "docker engine"
dockerd_pid=
if "$DOCKER" info >/dev/null 2>&1; then
  echo "using the Docker engine already running"
else
  # No bridge, no iptables rules, no IP forwarding: containers share the host's network only.
  dockerd --iptables=false --ip6tables=false --ip-forward=false --bridge=none \
    --host=unix:///var/run/docker.sock >"$smoke_dir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 120); do
    "$DOCKER" info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || fail "dockerd exited: $(tail -n 5 "$smoke_dir/dockerd.log")"
    sleep 0.5
  done
  "$DOCKER" info >/dev/null 2>&1 || fail "dockerd did not answer within 60 s"
  echo "started dockerd (pid $dockerd_pid), log in $smoke_dir/dockerd.log"
fi

teardown() {
  local code=$?
  set +e
  if [[ "${KAI_SMOKE_KEEP:-0}" == 1 && $code -eq 0 ]]; then
    echo "KAI_SMOKE_KEEP=1: the stack is left running (docker-compose -p $project ... down -v to stop it)"
    return
  fi
  step "tear down"
  compose logs --no-color --timestamps >"$smoke_dir/containers.log" 2>&1
  compose --profile grafana down --volumes --remove-orphans --timeout 20
  [[ -n "${snapshot:-}" ]] && rm -rf "$snapshot"
  if [[ -n "$dockerd_pid" ]]; then
    kill -TERM "$dockerd_pid"
    for _ in $(seq 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
    echo "stopped dockerd"
  fi
  if [[ $code -eq 0 ]]; then
    echo "compose-smoke: PASSED in $(($(date +%s) - started)) s (log: $log)"
  else
    echo "compose-smoke: FAILED (exit $code); container logs in $smoke_dir/containers.log"
  fi
}
trap teardown EXIT

step "ports"
port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
# DESIGN.md's ports when they are free, else the same layout shifted to free ones.
defaults=(5555 5556 5557 8080 9100 9101 9102 6379 9090)
offset=
for candidate in 0 10000 11000 12000 13000 14000; do
  ok=1
  for p in "${defaults[@]}"; do port_free $((p + candidate)) || { ok=0; break; }; done
  if ((ok)); then offset=$candidate; break; fi
done
[[ -n "$offset" ]] || fail "no free set of ports"
export KAI_HOST_BROKER_PORT=$((5555 + offset)) KAI_HOST_EVENTS_XSUB_PORT=$((5556 + offset))
export KAI_HOST_EVENTS_XPUB_PORT=$((5557 + offset)) KAI_HOST_HTTP_PORT=$((8080 + offset))
export KAI_HOST_BROKER_OPS_PORT=$((9100 + offset)) KAI_HOST_GATEWAY_OPS_PORT=$((9101 + offset))
export KAI_HOST_MEMBERSHIP_OPS_PORT=$((9102 + offset)) KAI_HOST_REDIS_PORT=$((6379 + offset))
export KAI_HOST_PROMETHEUS_PORT=$((9090 + offset)) KAI_BASE_IMAGE="$base_image"
env | grep '^KAI_HOST_' | sort

# The compose scrape config with the loopback ports, a shorter interval, and the same rules.
export KAI_PROMETHEUS_CONFIG="$smoke_dir/prometheus.yml"
cat >"$KAI_PROMETHEUS_CONFIG" <<EOF
global:
  scrape_interval: 5s
  scrape_timeout: 4s
  evaluation_interval: 5s
  external_labels:
    platform: kai
rule_files:
  - rules/*.yml
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:$KAI_HOST_PROMETHEUS_PORT"]
  - job_name: kai-broker
    static_configs:
      - targets: ["127.0.0.1:$KAI_HOST_BROKER_OPS_PORT"]
  - job_name: kai-gateway
    static_configs:
      - targets: ["127.0.0.1:$KAI_HOST_GATEWAY_OPS_PORT"]
  - job_name: kai-membership
    static_configs:
      - targets: ["127.0.0.1:$KAI_HOST_MEMBERSHIP_OPS_PORT"]
EOF

step "snapshot of the source tree"
# Other work may change the tree while the images build (half an hour): every image builds from one
# frozen copy, so the build stage (the compile) is shared by all of them, and the stack runs exactly
# the files that were built. Same exclusions as .dockerignore.
snapshot="$smoke_dir/src"
rm -rf "$snapshot"
mkdir -p "$snapshot"
tar -C "$repo" --exclude=./.git --exclude=./build --exclude='./build-*' --exclude=./.kai \
  --exclude=./data --exclude="./${smoke_dir#"$repo"/}" --exclude=node_modules -cf - . |
  tar -C "$snapshot" -xf -
if [[ -d "$repo/services/gateway/api-page/node_modules" ]]; then
  cp -a "$repo/services/gateway/api-page/node_modules" "$snapshot/services/gateway/api-page/"
fi
cd "$snapshot"
echo "$(find . -type f | wc -l) files in $snapshot"

step "base image $base_image (debootstrap)"
deploy/docker/make-base-image.sh "$base_image"

step "build images"
# docker-compose 1.x refuses published ports with network_mode: host, where they mean nothing: run
# the merged configuration (docker-compose.yml + host-network.yml) without them.
compose --profile grafana config >"$smoke_dir/compose.merged.yml"
"$python" -c '
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for service in doc["services"].values():
    service.pop("ports", None)
yaml.safe_dump(doc, open(sys.argv[2], "w"), sort_keys=False)' "$smoke_dir/compose.merged.yml" compose.host.yml
compose() { docker-compose -p "$project" -f compose.host.yml "$@"; }
compose build
"$DOCKER" run --rm --network none --entrypoint promtool kai-local/prometheus:bookworm --version | head -n 1
"$DOCKER" run --rm --network none -v "$KAI_PROMETHEUS_CONFIG:/etc/prometheus/prometheus.yml:ro" \
  -v "$PWD/deploy/prometheus/rules:/etc/prometheus/rules:ro" --entrypoint promtool \
  kai-local/prometheus:bookworm check config /etc/prometheus/prometheus.yml

step "image sizes"
"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' |
  grep -E '^(kai/|kai-local/)' | sort | tee "$smoke_dir/image-sizes.txt"

step "secrets (kaictl of the image)"
KAICTL=image deploy/compose/make-secrets.sh
token="$(<.kai/compose-secrets/admin.token)"

step "up"
compose up -d --no-build
containers=(broker membership gateway redis prometheus)

step "wait for health"
wait_healthy() {
  local deadline=$(($(date +%s) + $2)) id status
  id="$(compose ps -q "$1")"
  while :; do
    status="$("$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id")"
    [[ "$status" == healthy ]] && { echo "$1: healthy"; return 0; }
    if (($(date +%s) > deadline)); then
      "$DOCKER" inspect -f '{{json .State}}' "$id"
      compose logs --no-color --tail 40 "$1"
      fail "$1 is $status after $2 s"
    fi
    sleep 1
  done
}
for c in "${containers[@]}"; do wait_healthy "$c" 180; done
compose ps

step "the bus, with CurveZMQ, through kaictl in the gateway's image"
compose exec -T gateway kai-entrypoint kaictl mmi membership \
  --broker "tcp://127.0.0.1:$KAI_HOST_BROKER_PORT"

step "the gateway"
api="http://127.0.0.1:$KAI_HOST_HTTP_PORT/api/v1"
json() { "$python" -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
code="$(curl -s -o "$smoke_dir/unauthenticated.json" -w '%{http_code}' "$api/membership/organizations")"
echo "GET without a token: $code"
[[ "$code" == 401 ]] || fail "expected 401 without a token, got $code"
curl -sS -o "$smoke_dir/created.json" -w 'POST organizations: %{http_code}\n' \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -H "Idempotency-Key: compose-smoke-$started" \
  -d '{"name":"凯旋街道 compose smoke test enterprise","kind":"enterprise","contact":{"name":"张三","phone":"13800000000"}}' \
  "$api/membership/organizations" | tee "$smoke_dir/post.status"
grep -q ': 201$' "$smoke_dir/post.status" || { cat "$smoke_dir/created.json"; fail "POST did not answer 201"; }
org_id="$(json 'd["id"]' <"$smoke_dir/created.json")"
echo "created organisation $org_id"
get_org() {
  curl -sS -o "$smoke_dir/fetched.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
    "$api/membership/organizations/$org_id"
}
code="$(get_org)"
echo "GET organizations/$org_id: $code $(<"$smoke_dir/fetched.json")"
[[ "$code" == 200 ]] || fail "GET answered $code"
[[ "$(json 'd["name"]' <"$smoke_dir/fetched.json")" == "凯旋街道 compose smoke test enterprise" ]] ||
  fail "GET returned another organisation"
curl -sS -o "$smoke_dir/list.json" -H "Authorization: Bearer $token" "$api/membership/organizations?limit=5"
items="$(json 'len(d["items"])' <"$smoke_dir/list.json")"
echo "GET organizations?limit=5: $items items (demo data loaded)"
((items >= 2)) || fail "expected the demo organisations in the list"

step "Prometheus scrapes every target"
prom="http://127.0.0.1:$KAI_HOST_PROMETHEUS_PORT"
targets_report() {
  curl -sS "$prom/api/v1/targets?state=active" | "$python" -c '
import json, sys
targets = json.load(sys.stdin)["data"]["activeTargets"]
for t in sorted(targets, key=lambda t: t["labels"]["job"]):
    print(t["labels"]["job"], t["scrapeUrl"], t["health"], t.get("lastError", ""))
print("ALL-UP" if targets and all(t["health"] == "up" for t in targets) else "NOT-ALL-UP")'
}
for _ in $(seq 60); do
  report="$(targets_report)"
  grep -q '^ALL-UP$' <<<"$report" && break
  sleep 2
done
echo "$report"
grep -q '^ALL-UP$' <<<"$report" || fail "not every target is up"
[[ "$(grep -c ' up ' <<<"$report")" == 4 ]] || fail "expected 4 targets up"
metric() {
  curl -sS --get "$prom/api/v1/query" --data-urlencode "query=$1" |
    "$python" -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")'
}
for q in 'sum(kai_broker_workers{service="membership"})' 'max(kai_membership_organizations)' \
  'sum(kai_gateway_requests_total)' 'sum(kai_requests_total{service="membership"})'; do
  for _ in $(seq 30); do [[ "$(metric "$q")" != none ]] && break; sleep 2; done
  echo "$q = $(metric "$q")"
  [[ "$(metric "$q")" != none ]] || fail "Prometheus has no value for $q"
done

step "stop membership: KaiServiceDown must fire"
compose stop membership
alert_state() {
  curl -sS "$prom/api/v1/alerts" | "$python" -c '
import json, sys
alerts = json.load(sys.stdin)["data"]["alerts"]
states = [a["state"] for a in alerts
          if a["labels"]["alertname"] == sys.argv[1] and a["labels"].get("job") == sys.argv[2]]
print(states[0] if states else "inactive")' "$1" "$2"
}
state=inactive
for _ in $(seq 120); do
  new="$(alert_state KaiServiceDown kai-membership)"
  [[ "$new" != "$state" ]] && echo "KaiServiceDown{job=\"kai-membership\"}: $new after $(($(date +%s) - started)) s"
  state="$new"
  [[ "$state" == firing ]] && break
  sleep 2
done
[[ "$state" == firing ]] || fail "KaiServiceDown did not fire"
curl -sS "$prom/api/v1/alerts" | "$python" -c '
import json, sys
for a in json.load(sys.stdin)["data"]["alerts"]:
    print(a["state"], a["labels"]["alertname"], a["labels"].get("severity"), "-", a["annotations"]["summary"])'

step "start membership again: data kept in its volume, alert resolved"
compose start membership
wait_healthy membership 180
code="$(get_org)"
echo "GET organizations/$org_id after the restart: $code"
[[ "$code" == 200 ]] || fail "the organisation is gone after a restart ($code)"
for _ in $(seq 60); do
  state="$(alert_state KaiServiceDown kai-membership)"
  [[ "$state" == inactive ]] && break
  sleep 2
done
echo "KaiServiceDown{job=\"kai-membership\"}: $state"
[[ "$state" == inactive ]] || fail "KaiServiceDown did not resolve"
