#!/usr/bin/env bash
# Runs the benchmarks; each prints the same run's baseline beside its own figures.
#   scripts/bench.sh            every benchmark
#   scripts/bench.sh bus        only the bus benchmark (raw ZeroMQ echo vs kai-broker)
#   scripts/bench.sh service    the chassis: durable writes vs raw SQLite, cached reads vs Redis
#   scripts/bench.sh membership organisation lookups and list pages (100,000 orgs) vs the bus echo
#   scripts/bench.sh gateway    kai-gateway with wrk: cached GET and list page vs /healthz
#   BENCH_SOAK=600 scripts/bench.sh soak   the broker memory soak (10 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
export KAI_BIN_DIR="$PWD/$BUILD_DIR/bin"
export KAI_SOURCE_DIR="$PWD"
what="${1:-all}"

run_bus() {
  echo "== bus: raw DEALER->ROUTER echo vs kai-broker, plain 7/MDP workers (64 connections)"
  "$BUILD_DIR/bench/kai-bus-bench" --seconds="${BENCH_SECONDS:-5}" --slots=64 --credit=1
  echo "== bus: the same with the credit extension (4 connections x 64 credit)"
  "$BUILD_DIR/bench/kai-bus-bench" --seconds="${BENCH_SECONDS:-5}" --slots=4 --credit=64
}

run_soak() {
  echo "== broker memory soak (${BENCH_SOAK:-600} s)"
  "$BUILD_DIR/bench/kai-bus-bench" --soak="${BENCH_SOAK:-600}" --slots=4 --credit=64
}

run_service() {
  echo "== service chassis: durable writes and cached reads"
  "$BUILD_DIR/bench/kai-service-bench" --seconds="${BENCH_SECONDS:-5}"
}

run_membership() {
  echo "== kai-membership: cached organisation get and list page of 50 vs the bus echo"
  "$BUILD_DIR/bench/kai-membership-bench" --seconds="${BENCH_SECONDS:-5}" \
    --organizations="${BENCH_ORGANIZATIONS:-100000}"
}

run_gateway() {
  tests/bench/gateway_bench.sh
}

case "$what" in
  bus) run_bus ;;
  service) run_service ;;
  membership) run_membership ;;
  gateway) run_gateway ;;
  soak) run_soak ;;
  all)
    run_bus
    run_service
    run_membership
    run_gateway
    ;;
  *) echo "usage: $0 [all|bus|service|membership|gateway|soak]" >&2; exit 2 ;;
esac
