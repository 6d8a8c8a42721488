#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and `make run` need. Idempotent: a machine that
# already has everything is left untouched and the script returns in well under a second.
# Usage: scripts/install-deps.sh [build|test|run]   (default: test, which is the superset)
set -euo pipefail

profile="${1:-test}"

build_pkgs=(
  build-essential cmake ninja-build pkg-config g++ clang libclang-rt-14-dev
  libzmq3-dev cppzmq-dev libsodium-dev libmsgpack-cxx-dev
  libhiredis-dev libsqlite3-dev libpq-dev prometheus-cpp-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-yaml
)
# npm fetches Swagger UI for the gateway's API page (scripts/install-npm-deps.sh).
run_pkgs=(redis-server sqlite3 curl nodejs npm)
test_pkgs=(
  python3-zmq python3-jsonschema python3-msgpack yamllint
  prometheus wrk chromium chromium-driver
  postgresql
)

case "$profile" in
  build) wanted=("${build_pkgs[@]}") ;;
  run) wanted=("${build_pkgs[@]}" "${run_pkgs[@]}") ;;
  test) wanted=("${build_pkgs[@]}" "${run_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|run|test]" >&2; exit 2 ;;
esac

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

# A machine that already has a newer Node.js from elsewhere keeps it: only install the Debian one
# when there is no node/npm at all.
missing=()
for pkg in "${wanted[@]}"; do
  case "$pkg" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  is_installed "$pkg" || missing+=("$pkg")
done

# npm packages (the API page's Swagger UI; the tests' OpenAPI validator and browser driver) from
# their lock files, once the Debian packages (npm among them) are in place.
install_npm() {
  case "$profile" in
    run | test) "$(dirname "$0")/install-npm-deps.sh" "$profile" ;;
  esac
}

if ((${#missing[@]} == 0)); then
  install_npm
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
install_npm
