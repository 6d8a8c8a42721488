#!/bin/bash
# Docker HEALTHCHECK of every Kai image: GET /readyz on the ops port ($KAI_OPS_ADDR) with bash's own
# /dev/tcp, so the image needs no HTTP client. Healthy means ready: database open and bus connected
# (a degraded cache still counts as ready). Exit 0 healthy, 1 not.
set -uo pipefail

addr="${KAI_OPS_ADDR:-0.0.0.0:9100}"
port="${addr##*:}"
host="${addr%:*}"
case "$host" in "" | 0.0.0.0 | "*" | "[::]") host=127.0.0.1 ;; esac
host="${host#[}"
host="${host%]}"

exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET /readyz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
IFS= read -r -t 3 status_line <&3 || exit 1
exec 3<&-
[[ "$status_line" =~ ^HTTP/1\.[01]\ 200\  ]] || {
  echo "not ready: ${status_line%$'\r'}"
  exit 1
}
echo "ready"
