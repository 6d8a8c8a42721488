#!/usr/bin/env bash
# Build stage of deploy/docker/Dockerfile: compiles every deployable program that exists in the
# source tree (later services appear here as soon as their folder does) and lays out, per program,
#   OUT/<program>/bin/<program>           stripped, plus kaictl beside it for operators
#   OUT/<program>/share/kai/...           files the program reads at run time, if any
#   OUT/<program>/share/kai/defaults.env  the settings that point the program at them
#   OUT/<program>/packages                Debian packages providing the shared libraries they load
# Usage: build-binaries.sh SOURCE_DIR BUILD_DIR OUT_DIR
set -euo pipefail
src="$1" build="$2" out="$3"

# DESIGN.md §3: the platform's programs.
known=(kai-broker kai-gateway kai-membership kai-clubs kai-unitedfront kai-training kai-venture kaictl)

# The build type the project tests (-O2); strip removes the debug info below.
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
available="$(cmake --build "$build" --target help | sed -n 's/^\([^:]*\): phony$/\1/p')"
wanted=()
for program in "${known[@]}"; do
  grep -qxF "$program" <<<"$available" && wanted+=("$program")
done
if ((${#wanted[@]} == 0)); then
  echo "build-binaries: no deployable program in $src" >&2
  exit 1
fi
echo "building ${wanted[*]}"
cmake --build "$build" --target "${wanted[@]}" -j "$(nproc)"

# Prints the Debian packages that provide the shared libraries `binary` loads.
packages_of() {
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
    lib="$(readlink -f "$lib")"
    # usrmerge: a package may own the /lib or the /usr/lib spelling of the same file.
    dpkg-query -S "$lib" 2>/dev/null || dpkg-query -S "${lib#/usr}" 2>/dev/null ||
      dpkg-query -S "/usr$lib" 2>/dev/null || { echo "build-binaries: no package owns $lib" >&2; exit 1; }
  done | sed 's/:.*//; s/, /\n/g' | sort -u
}

# Run-time files of a program: the gateway serves Swagger UI's files (npm) as its API page.
ship_data() {
  local program="$1" share="$out/$1/share/kai"
  case "$program" in
    kai-gateway)
      (cd "$src" && scripts/install-npm-deps.sh run)
      mkdir -p "$share/swagger-ui-dist"
      find "$src/services/gateway/api-page/node_modules/swagger-ui-dist" -maxdepth 1 -type f \
        ! -name '*.map' -exec cp -t "$share/swagger-ui-dist" {} +
      echo "KAI_API_PAGE_DIR=/usr/local/share/kai/swagger-ui-dist" >>"$share/defaults.env"
      ;;
  esac
}

for program in "${wanted[@]}"; do
  mkdir -p "$out/$program/bin"
  ship_data "$program"
  strip --strip-unneeded -o "$out/$program/bin/$program" "$build/bin/$program"
  if [[ "$program" != kaictl && -x "$build/bin/kaictl" ]]; then
    strip --strip-unneeded -o "$out/$program/bin/kaictl" "$build/bin/kaictl"
  fi
  for binary in "$out/$program/bin/"*; do packages_of "$binary"; done | sort -u >"$out/$program/packages"
  echo "$program needs: $(tr '\n' ' ' <"$out/$program/packages")"
done
