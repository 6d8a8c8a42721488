#!/usr/bin/env bash
# kai-gateway benchmark with wrk, in one run on one cluster (scripts/run-cluster.sh on its own
# ports and state folder): the gateway's /healthz (HTTP alone, the floor), a cached organisation
# GET through the gateway (HTTP -> token -> bus -> kai-membership -> Redis -> JSON), and an
# uncached list page of 50. The three are measured one after the other in each of several rounds;
# each round prints requests/s and p99 of each and the GET/healthz ratio of that round, and the
# summary gives the median of each figure over the rounds. The machine is shared and its speed
# drifts within minutes: a ratio is taken within one round, and medians are not moved by one round
# that happened to share the machine with something else.
#   tests/bench/gateway_bench.sh   (BENCH_ROUNDS=3 BENCH_SECONDS=10 BENCH_CONNECTIONS=64 by default)
# Needs the build (build/bin, or KAI_BIN_DIR) with kai-membership, and wrk.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-build}"
export KAI_BIN_DIR="${KAI_BIN_DIR:-$repo/$BUILD_DIR/bin}"
SECONDS_EACH="${BENCH_SECONDS:-10}"
ROUNDS="${BENCH_ROUNDS:-3}"
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

# median N...: the median of the numbers given (the mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
    if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "== kai-gateway with wrk: $CONNECTIONS connections, $THREADS threads, ${SECONDS_EACH}s each, $ROUNDS rounds"
printf '%-6s %-34s %12s %10s %8s\n' "round" "what" "requests/s" "p99 ms" "non-2xx"
h_all=() g_all=() l_all=() r_all=() hp_all=() gp_all=() lp_all=()
errors=0
for round in $(seq 1 "$ROUNDS"); do
  read -r h_rps h_p99 h_err < <(run_wrk "$healthz")
  read -r g_rps g_p99 g_err < <(run_wrk "$org" "$auth")
  read -r l_rps l_p99 l_err < <(run_wrk "$page" "$auth")
  ratio="$(awk -v a="$g_rps" -v b="$h_rps" 'BEGIN {printf "%.1f", 100 * a / b}')"
  printf '%-6s %-34s %12s %10s %8s\n' "$round" "gateway /healthz (HTTP alone)" "$h_rps" "$h_p99" "$h_err"
  printf '%-6s %-34s %12s %10s %8s\n' "$round" "cached organisation GET" "$g_rps" "$g_p99" "$g_err"
  printf '%-6s %-34s %12s %10s %8s\n' "$round" "list page of 50 organisations" "$l_rps" "$l_p99" "$l_err"
  printf '%-6s %-34s %11s%%\n' "$round" "cached GET / healthz" "$ratio"
  h_all+=("$h_rps") g_all+=("$g_rps") l_all+=("$l_rps") r_all+=("$ratio")
  hp_all+=("$h_p99") gp_all+=("$g_p99") lp_all+=("$l_p99")
  errors=$((errors + h_err + g_err + l_err))
done
echo "== median of $ROUNDS rounds"
printf '%-34s %12s %10s\n' "what" "requests/s" "p99 ms"
printf '%-34s %12s %10s\n' "gateway /healthz (HTTP alone)" "$(median "${h_all[@]}")" "$(median "${hp_all[@]}")"
printf '%-34s %12s %10s\n' "cached organisation GET" "$(median "${g_all[@]}")" "$(median "${gp_all[@]}")"
printf '%-34s %12s %10s\n' "list page of 50 organisations" "$(median "${l_all[@]}")" "$(median "${lp_all[@]}")"
echo "cached GET / healthz = $(median "${r_all[@]}")% (targets: >= 25%, p99 < 10 ms; list page >= 5000 requests/s)"
if ((errors > 0)); then
  echo "gateway_bench: $errors responses were not 2xx" >&2
  exit 1
fi
