#!/usr/bin/env bash
# Installs the npm packages of the project from their committed package-lock.json files with
# `npm ci` (the npm registry is the only source): Swagger UI for the gateway's API page and, for
# the tests, the OpenAPI validator and playwright-core. Idempotent: a folder whose node_modules was
# installed from the same lock file is left alone, so a second run returns at once.
# Usage: scripts/install-npm-deps.sh [run|test]   (run: the API page only; test: everything)
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${1:-test}"
dirs=(services/gateway/api-page)
if [[ "$profile" == "test" ]]; then
  dirs+=(tests/e2e)
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "install-npm-deps: npm is missing (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

for dir in "${dirs[@]}"; do
  lock="$dir/package-lock.json"
  stamp="$dir/node_modules/.kai-installed-from"
  want="$(sha256sum "$lock" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    continue
  fi
  echo "install-npm-deps: npm ci in $dir" >&2
  # No install scripts: none of these packages needs one, and some would phone home.
  (cd "$dir" && SCARF_ANALYTICS=false npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
done
