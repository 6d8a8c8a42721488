#!/usr/bin/env bash
# kai-gateway benchmark with wrk, in one run on one cluster (scripts/run-cluster.sh on its own
# ports and state folder): the gateway's /healthz (HTTP alone, the floor), a cached organisation
# GET through the gateway (HTTP -> token -> bus -> kai-membership -> Redis -> JSON), and an
# uncached list page of 50. Prints requests/s and p99 of each and the GET/healthz ratio.
#   tests/bench/gateway_bench.sh            (BENCH_SECONDS=10 BENCH_CONNECTIONS=64 by default)
# Needs the build (build/bin, or KAI_BIN_DIR) with kai-membership, and wrk.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-build}"
export KAI_BIN_DIR="${KAI_BIN_DIR:-$repo/$BUILD_DIR/bin}"
SECONDS_EACH="${BENCH_SECONDS:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
base_port="${BENCH_PORT_BASE:-28000}"

export KAI_RUN_HTTP_PORT=$((base_port + 80))
export KAI_RUN_BROKER_PORT=$((base_port + 555))
export KAI_RUN_OPS_PORT=$((base_port + 100))
export KAI_RUN_REDIS_PORT=$((base_port + 379))
export KAI_RUN_SKIP_BUILD=1
export KAI_RUN_DIR
KAI_RUN_DIR="$(mktemp -d /tmp/kai-gateway-bench.XXXXXX)"
# The benchmark measures throughput, not the per-token limit; logs only warnings.
export KAI_RATE_LIMIT=0
export KAI_LOG_LEVEL=warn

command -v wrk >/dev/null || { echo "gateway_bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
[[ -x "$KAI_BIN_DIR/kai-membership" ]] || { echo "gateway_bench: $KAI_BIN_DIR/kai-membership is missing" >&2; exit 1; }

"$repo/scripts/run-cluster.sh" >"$KAI_RUN_DIR/run-cluster.out" 2>&1 &
cluster=$!
cleanup() {
  kill -TERM "$cluster" 2>/dev/null || true
  wait "$cluster" 2>/dev/null || true
  rm -rf "$KAI_RUN_DIR"
}
trap cleanup EXIT
deadline=$((SECONDS + 180))
until grep -q "run-cluster: ready" "$KAI_RUN_DIR/run-cluster.out" 2>/dev/null; do
  kill -0 "$cluster" 2>/dev/null || { cat "$KAI_RUN_DIR/run-cluster.out" >&2; exit 1; }
  ((SECONDS < deadline)) || { echo "gateway_bench: cluster not ready" >&2; exit 1; }
  sleep 0.5
done

api="http://127.0.0.1:$KAI_RUN_HTTP_PORT/api/v1"
healthz="http://127.0.0.1:$((KAI_RUN_OPS_PORT + 1))/healthz"
auth="Authorization: Bearer $(cat "$KAI_RUN_DIR/admin.token")"

# At least 60 organisations so that a page of 50 is full; the organisation read is then cached.
for i in $(seq 1 60); do
  curl -fsS -o /dev/null -H "$auth" -H 'Content-Type: application/json' \
    -d "{\"name\":\"压测单位$i\",\"kind\":\"enterprise\",\"contact\":{\"name\":\"王丽\",\"phone\":\"13812345678\"}}" \
    "$api/membership/organizations"
done
id="$(curl -fsS -H "$auth" "$api/membership/organizations?limit=1" | sed -E 's/^\{"items":\[\{"id":([0-9]+).*/\1/')"
org="$api/membership/organizations/$id"
curl -fsS -o /dev/null -H "$auth" "$org"  # warm the cache
page="$api/membership/organizations?limit=50"
[[ "$(curl -fsS -H "$auth" "$page" | grep -o '"id":' | wc -l)" -ge 50 ]] ||
  { echo "gateway_bench: fewer than 50 organisations in a page" >&2; exit 1; }

# run_wrk URL [header]: prints "<requests/s> <p99 ms> <non-2xx>".
run_wrk() {
  local out
  if [[ $# -gt 1 ]]; then
    out="$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${SECONDS_EACH}s" --latency -H "$2" "$1")"
  else
    out="$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${SECONDS_EACH}s" --latency "$1")"
  fi
  local rps p99 errors
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.2f", v}' <<<"$out")"
  errors="$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")"
  echo "$rps $p99 ${errors:-0}"
}

echo "== kai-gateway with wrk: $CONNECTIONS connections, $THREADS threads, ${SECONDS_EACH}s each"
read -r h_rps h_p99 h_err < <(run_wrk "$healthz")
read -r g_rps g_p99 g_err < <(run_wrk "$org" "$auth")
read -r l_rps l_p99 l_err < <(run_wrk "$page" "$auth")
ratio="$(awk -v a="$g_rps" -v b="$h_rps" 'BEGIN {printf "%.1f", 100 * a / b}')"
printf '%-34s %12s %10s %8s\n' "what" "requests/s" "p99 ms" "non-2xx"
printf '%-34s %12s %10s %8s\n' "gateway /healthz (HTTP alone)" "$h_rps" "$h_p99" "$h_err"
printf '%-34s %12s %10s %8s\n' "cached organisation GET" "$g_rps" "$g_p99" "$g_err"
printf '%-34s %12s %10s %8s\n' "list page of 50 organisations" "$l_rps" "$l_p99" "$l_err"
echo "cached GET / healthz = ${ratio}% (targets: >= 25%, p99 < 10 ms; list page >= 5000 requests/s)"
