#!/usr/bin/env bash
# Starts the whole Kai Alliance platform on this machine (`make run`): its own redis-server on
# loopback, kai-broker, every service that has been built (membership with demo data), and
# kai-gateway; creates a development admin token in .kai/admin.token; waits until every process
# is ready; prints where everything is; and on Ctrl-C (or SIGTERM) stops every process cleanly.
# Running it again keeps the data (.kai/data, .kai/redis) and the admin token.
#
# Environment (all optional):
#   KAI_RUN_DIR          state folder (default: .kai in the repository)
#   BUILD_DIR            build folder (default: build); binaries come from KAI_BIN_DIR
#   KAI_BIN_DIR          folder of the binaries (default: $BUILD_DIR/bin)
#   KAI_RUN_SKIP_BUILD   1: neither install packages nor build (binaries already there)
#   KAI_RUN_BIND         address processes listen on (default 127.0.0.1)
#   KAI_RUN_HTTP_PORT    gateway API (8080)
#   KAI_RUN_BROKER_PORT  broker requests (5555); events on the next two ports (5556, 5557)
#   KAI_RUN_OPS_PORT     first ops port (9100): broker, then gateway, membership, clubs,
#                        unitedfront, training, venture on the following ports
#   KAI_RUN_REDIS_PORT   redis-server (6379)
#   KAI_RUN_READY_TIMEOUT seconds to wait for every /readyz (120)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

BUILD_DIR="${BUILD_DIR:-build}"
BIN_DIR="${KAI_BIN_DIR:-$repo/$BUILD_DIR/bin}"
RUN_DIR="${KAI_RUN_DIR:-$repo/.kai}"
BIND="${KAI_RUN_BIND:-127.0.0.1}"
HTTP_PORT="${KAI_RUN_HTTP_PORT:-8080}"
BROKER_PORT="${KAI_RUN_BROKER_PORT:-5555}"
OPS_PORT="${KAI_RUN_OPS_PORT:-9100}"
REDIS_PORT="${KAI_RUN_REDIS_PORT:-6379}"
READY_TIMEOUT="${KAI_RUN_READY_TIMEOUT:-120}"
SERVICES=(membership clubs unitedfront training venture)

say() { printf '%s\n' "run-cluster: $*" >&2; }

if [[ "${KAI_RUN_SKIP_BUILD:-0}" != 1 ]]; then
  scripts/install-deps.sh run
  [[ -f "$BUILD_DIR/build.ninja" ]] || cmake -S . -B "$BUILD_DIR" -G Ninja
  cmake --build "$BUILD_DIR" -j "$(nproc)"
fi

for bin in kai-broker kai-gateway kaictl; do
  [[ -x "$BIN_DIR/$bin" ]] || { say "missing $BIN_DIR/$bin (build first)"; exit 1; }
done

mkdir -p "$RUN_DIR/redis" "$RUN_DIR/data" "$RUN_DIR/logs"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ports=("$HTTP_PORT" "$BROKER_PORT" "$((BROKER_PORT + 1))" "$((BROKER_PORT + 2))" "$REDIS_PORT"
  "$OPS_PORT" "$((OPS_PORT + 1))")
for i in "${!SERVICES[@]}"; do
  [[ -x "$BIN_DIR/kai-${SERVICES[$i]}" ]] && ports+=("$((OPS_PORT + 2 + i))")
done
for p in "${ports[@]}"; do
  if port_busy "$p"; then
    say "port $p is already in use (another cluster running?); see the KAI_RUN_*_PORT settings"
    exit 1
  fi
done

# Processes we started, in start order: name, pid.
names=()
pids=()
stopping=0

stop_all() {
  stopping=1
  trap '' INT TERM
  say "stopping"
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    # Each process drains in a few seconds; give it 20 before forcing.
    local waited=0
    while kill -0 "${pids[$i]}" 2>/dev/null && ((waited < 200)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    if kill -0 "${pids[$i]}" 2>/dev/null; then
      say "${names[$i]} did not stop in time; killing it"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
    wait "${pids[$i]}" 2>/dev/null || true
  done
  say "stopped"
}

on_signal() {
  stop_all
  exit 0
}
trap on_signal INT TERM

# start NAME COMMAND...: runs it in its own session (so a terminal's Ctrl-C reaches only this
# script, which then stops everything in order), output in logs/NAME.log.
start() {
  local name="$1"
  shift
  setsid "$@" >>"$RUN_DIR/logs/$name.log" 2>&1 &
  names+=("$name")
  pids+=("$!")
}

fail() {
  say "$*"
  stop_all
  exit 1
}

# wait_ready NAME PORT: polls the ops port's /readyz until it answers 200.
wait_ready() {
  local name="$1" port="$2" deadline=$((SECONDS + READY_TIMEOUT)) i
  while ((SECONDS < deadline)); do
    if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/readyz" 2>/dev/null; then
      return 0
    fi
    for i in "${!pids[@]}"; do
      if ! kill -0 "${pids[$i]}" 2>/dev/null; then
        tail -n 20 "$RUN_DIR/logs/${names[$i]}.log" >&2 || true
        fail "${names[$i]} exited during start-up (log: $RUN_DIR/logs/${names[$i]}.log)"
      fi
    done
    sleep 0.2
  done
  fail "$name not ready after ${READY_TIMEOUT}s (log: $RUN_DIR/logs/$name.log)"
}

broker="tcp://127.0.0.1:$BROKER_PORT"
events_pub="tcp://127.0.0.1:$((BROKER_PORT + 1))"
events_sub="tcp://127.0.0.1:$((BROKER_PORT + 2))"
redis_url="redis://127.0.0.1:$REDIS_PORT/0"

start redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$RUN_DIR/redis" \
  --save 300 1 --appendonly no --protected-mode yes --logfile ""
deadline=$((SECONDS + 30))
until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do
  kill -0 "${pids[0]}" 2>/dev/null || fail "redis-server did not start (log: $RUN_DIR/logs/redis.log)"
  ((SECONDS < deadline)) || fail "redis-server not answering on port $REDIS_PORT"
  sleep 0.1
done

start broker "$BIN_DIR/kai-broker" \
  --broker-bind="tcp://$BIND:$BROKER_PORT" \
  --events-xsub-bind="tcp://$BIND:$((BROKER_PORT + 1))" \
  --events-xpub-bind="tcp://$BIND:$((BROKER_PORT + 2))" \
  --ops-addr="$BIND:$OPS_PORT"
wait_ready kai-broker "$OPS_PORT"

started_services=()
for i in "${!SERVICES[@]}"; do
  svc="${SERVICES[$i]}"
  [[ -x "$BIN_DIR/kai-$svc" ]] || continue
  mkdir -p "$RUN_DIR/data/$svc"
  demo=false
  [[ "$svc" == membership ]] && demo=true
  start "$svc" env KAI_BROKER="$broker" KAI_EVENTS_PUB="$events_pub" KAI_EVENTS_SUB="$events_sub" \
    KAI_REDIS_URL="$redis_url" KAI_DATA_DIR="$RUN_DIR/data/$svc" \
    KAI_OPS_ADDR="$BIND:$((OPS_PORT + 2 + i))" KAI_DEMO_DATA="$demo" "$BIN_DIR/kai-$svc"
  started_services+=("$svc:$((OPS_PORT + 2 + i))")
done

# The development admin token: kept across runs while it is still in the tokens file.
tokens="$RUN_DIR/tokens"
admin_token_file="$RUN_DIR/admin.token"
token_valid() {
  [[ -s "$admin_token_file" && -f "$tokens" ]] || return 1
  local hash
  hash="sha256:$(tr -d '\n' <"$admin_token_file" | sha256sum | cut -d' ' -f1)"
  cut -f1 "$tokens" | grep -qxF "$hash"
}
if ! token_valid; then
  out="$("$BIN_DIR/kaictl" token create --principal admin --scopes admin --tokens-file "$tokens")" ||
    fail "kaictl token create failed"
  (umask 077 && head -n 1 <<<"$out" >"$admin_token_file")
  say "created a new admin token"
fi

mkdir -p "$RUN_DIR/data/gateway"
start gateway env KAI_BROKER="$broker" KAI_TOKENS_FILE="$tokens" KAI_DATA_DIR="$RUN_DIR/data/gateway" \
  KAI_HTTP_ADDR="$BIND:$HTTP_PORT" KAI_OPS_ADDR="$BIND:$((OPS_PORT + 1))" "$BIN_DIR/kai-gateway"

for entry in "${started_services[@]}"; do
  wait_ready "kai-${entry%%:*}" "${entry##*:}"
done
wait_ready kai-gateway "$((OPS_PORT + 1))"

cat <<INFO

  Kai Alliance platform is running.

  Gateway (REST/JSON API)  http://127.0.0.1:$HTTP_PORT/api/v1/
  API page                 http://127.0.0.1:$HTTP_PORT/api/v1/docs
  OpenAPI document         http://127.0.0.1:$HTTP_PORT/api/v1/openapi.json
  Admin token              $admin_token_file
    curl -H "Authorization: Bearer \$(cat $admin_token_file)" \\
         http://127.0.0.1:$HTTP_PORT/api/v1/membership/organizations

  Ops ports (/metrics /healthz /readyz)
    kai-broker       $OPS_PORT
    kai-gateway      $((OPS_PORT + 1))
INFO
for entry in "${started_services[@]}"; do
  printf '    %-16s %s\n' "kai-${entry%%:*}" "${entry##*:}"
done
cat <<INFO
  redis-server       $REDIS_PORT      broker: $broker
  Logs: $RUN_DIR/logs/    Data: $RUN_DIR/data/

  Press Ctrl-C to stop everything.
INFO
say "ready"

# Wait; a process that dies on its own takes the cluster down with a pointer to its log.
while true; do
  wait -n "${pids[@]}" 2>/dev/null || true
  ((stopping)) && exit 0
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      fail "${names[$i]} exited unexpectedly (log: $RUN_DIR/logs/${names[$i]}.log)"
    fi
  done
done
