#!/usr/bin/env bash
# Runs every test of the project; called by `make test` after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
JOBS="${JOBS:-$(nproc)}"

echo "== unit and cross-process tests"
ctest --test-dir "$BUILD_DIR" -j "$JOBS" --output-on-failure --timeout 600

echo "== bounded fuzzing"
scripts/fuzz.sh
