#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time.
# FUZZ_SECONDS (default 60) per target. Seeds come from tests/fuzz/seeds/<target>/; what a run
# finds is kept in build-fuzz/corpus/<target>/ so later local runs go deeper.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_BUILD_DIR="${FUZZ_BUILD_DIR:-build-fuzz}"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"

if [[ ! -f "$FUZZ_BUILD_DIR/build.ninja" ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$FUZZ_BUILD_DIR" -G Ninja -DKAI_FUZZ=ON >/dev/null
fi
cmake --build "$FUZZ_BUILD_DIR" -j "$(nproc)"

status=0
for fuzzer in "$FUZZ_BUILD_DIR"/fuzz/*; do
  [[ -x "$fuzzer" ]] || continue
  name=$(basename "$fuzzer")
  corpus="$FUZZ_BUILD_DIR/corpus/$name"
  mkdir -p "$corpus"
  seeds=()
  [[ -d "tests/fuzz/seeds/$name" ]] && seeds=("tests/fuzz/seeds/$name")
  echo "== fuzzing $name for ${FUZZ_SECONDS}s"
  if ! "$fuzzer" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$FUZZ_BUILD_DIR/$name-" "$corpus" "${seeds[@]}" \
      2>"$FUZZ_BUILD_DIR/$name.log"; then
    echo "!! $name found a crash; log: $FUZZ_BUILD_DIR/$name.log" >&2
    tail -n 40 "$FUZZ_BUILD_DIR/$name.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|cov:" \
      "$FUZZ_BUILD_DIR/$name.log" | tail -n 3
  fi
done
exit $status
