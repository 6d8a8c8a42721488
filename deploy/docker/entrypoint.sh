#!/bin/bash
# Entrypoint of every Kai image: turns secret files into settings, then runs the image's program.
#
# Settings the image itself provides (/usr/local/share/kai/defaults.env, NAME=value lines, e.g. where
# the gateway's API page files are) apply unless the variable is already set.
#
# A file in $KAI_SECRETS_DIR (default /run/secrets, where Docker mounts compose secrets) whose name
# is a setting's variable name, e.g. /run/secrets/KAI_CURVE_SECRET_KEY, becomes that variable (its
# trailing newline dropped) unless the variable is already set. Keys then never appear in the
# compose file or in `docker inspect`. Arguments are passed to the program ($KAI_IMAGE_PROGRAM);
# a first argument that is another program in the image (kaictl) runs that program instead.
set -euo pipefail

defaults="${KAI_IMAGE_DEFAULTS:-/usr/local/share/kai/defaults.env}"
if [[ -f "$defaults" ]]; then
  while IFS='=' read -r name value; do
    if [[ "$name" =~ ^KAI_[A-Z0-9_]+$ && -z "${!name:-}" ]]; then
      export "$name=$value"
    fi
  done <"$defaults"
fi

secrets_dir="${KAI_SECRETS_DIR:-/run/secrets}"
if [[ -d "$secrets_dir" ]]; then
  for file in "$secrets_dir"/KAI_*; do
    [[ -f "$file" ]] || continue
    name="${file##*/}"
    [[ "$name" =~ ^KAI_[A-Z0-9_]+$ ]] || continue
    if [[ -z "${!name:-}" ]]; then
      export "$name=$(<"$file")"
    fi
  done
fi

if [[ $# -gt 0 && "$1" != -* && -x "/usr/local/bin/$1" ]]; then
  program="/usr/local/bin/$1"
  shift
  exec "$program" "$@"
fi
exec "$KAI_IMAGE_PROGRAM" "$@"
