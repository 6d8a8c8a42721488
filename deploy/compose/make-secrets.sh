#!/usr/bin/env bash
# Makes the secrets docker-compose.yml mounts, in .kai/compose-secrets/ (ignored by git):
#   <process>.key / <process>.pub   a CurveZMQ key pair for the broker and each Kai process
#   bus.allow                       the broker's allow-list: each public key and its role
#   gateway.tokens                  the gateway's tokens file, with one admin token
#   admin.token                     that admin token in plain text, for curl and scripts
#   grafana-admin-password          Grafana's admin password
# Existing files are kept, so running it again changes nothing; delete the folder to start over.
#
# Usage: deploy/compose/make-secrets.sh [DIR]
# kaictl comes from $KAICTL (a path, or "image" for the kai-broker image through docker run), else
# build/bin/kaictl, else the image.
set -euo pipefail
cd "$(dirname "$0")/../.."

dir="${1:-.kai/compose-secrets}"
# Bus processes and the role each may take on the bus (libs/bus/allow_list.hpp). A later service
# adds "clubs worker:clubs" here and a block in docker-compose.yml.
processes=("membership worker:membership" "gateway client")

mkdir -p "$dir"
chmod 0700 "$dir"
dir="$(cd "$dir" && pwd)"

kaictl() {
  if [[ -n "${KAICTL:-}" && "$KAICTL" != image ]]; then
    "$KAICTL" "$@"
  elif [[ -z "${KAICTL:-}" && -x build/bin/kaictl ]]; then
    build/bin/kaictl "$@"
  else
    "${DOCKER:-docker}" run --rm --network none --user "$(id -u):$(id -g)" -v "$dir:$dir" \
      --entrypoint /usr/local/bin/kaictl "${KAI_IMAGE_PREFIX:-kai}/kai-broker:${KAI_IMAGE_TAG:-latest}" "$@"
  fi
}

keypair() {
  [[ -s "$dir/$1.key" && -s "$dir/$1.pub" ]] && return 0
  rm -f "$dir/$1.key" "$dir/$1.pub"
  kaictl keygen --out "$dir/$1" >/dev/null
}

keypair broker
allow="# public key (Z85)                         role   (made by deploy/compose/make-secrets.sh)"
for entry in "${processes[@]}"; do
  name="${entry%% *}"
  keypair "$name"
  allow+=$'\n'"$(<"$dir/$name.pub") ${entry#* }"
done
if [[ ! -s "$dir/bus.allow" ]]; then
  printf '%s\n' "$allow" >"$dir/bus.allow"
fi

if [[ ! -s "$dir/gateway.tokens" || ! -s "$dir/admin.token" ]]; then
  rm -f "$dir/gateway.tokens" "$dir/admin.token"
  kaictl token create --principal admin --department office --scopes admin,pii:read \
    --tokens-file "$dir/gateway.tokens" | head -n 1 >"$dir/admin.token"
fi

if [[ ! -s "$dir/grafana-admin-password" ]]; then
  head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/grafana-admin-password"
fi

# The containers run as uid 10001 (Kai images) or their own users (Grafana); the folder itself is
# closed to other users of this machine, the files in it are readable by the containers.
chmod 0444 "$dir"/*
echo "secrets in $dir (admin token: $dir/admin.token)"
