#!/usr/bin/env bash
# Idle tunnels (issue 6): what N idle tunnels cost a relay. A real relay (./portsicle server), a real
# agent with one busy tunnel in front of nginx, and IDLE_TUNNELS tunnels of simulated agents
# (bench/IdleTunnels.java: a session each, hello, bind, then only the HTTP/2 acks that keep a session
# alive; IDLE_PER_SESSION tunnels on each session, one by default). Prints the relay's RSS before and with
# the idle tunnels, and the latency of the busy tunnel while they are held.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COUNT="${IDLE_TUNNELS:-10000}"         # idle tunnels
PER_SESSION="${IDLE_PER_SESSION:-1}"   # tunnels on each simulated agent's session (it must divide COUNT)
HOLD="${IDLE_HOLD:-90}"                # seconds they stay after all are bound (longer than a heartbeat timeout)
DURATION="${BENCH_DURATION:-10s}"      # wrk run against the busy tunnel while the idle ones are held

install_traps
make_workdir
need_commands nginx:nginx wrk:wrk curl:curl setsid:util-linux
need_java
build_portsicle
# Each simulated agent is a connection: one fd in the relay, one in the simulator (separate processes).
ulimit -n "$(( COUNT + 4096 ))" 2>/dev/null || die "cannot raise the open-files limit to $(( COUNT + 4096 ))"

mkdir -p "$WORK/www"
make_file "$WORK/www/1k.bin" 1024
SINK_PORT="$(free_port)" ORIGIN_PORT="$(free_port)" PT_PORT="$(free_port)"
origin_nginx_conf "$ORIGIN_PORT" "$SINK_PORT" "" >"$WORK/origin.conf"
start_nginx origin "$WORK/origin.conf" "$ORIGIN_PORT"

[[ "$PER_SESSION" =~ ^[1-9][0-9]*$ ]] && (( COUNT % PER_SESSION == 0 )) ||
  die "IDLE_PER_SESSION ($PER_SESSION) must be a positive number that divides IDLE_TUNNELS ($COUNT)"
start_bg pt-relay "$ROOT/portsicle" server --port "$PT_PORT" --bind 127.0.0.1 --secret-file "$WORK/relay.secret" \
  --max-tunnels-per-agent "$PER_SESSION" # what the simulated agents need, at least the one the real agent needs
RELAY_PID=$BG_PID
wait_port "$PT_PORT" "portsicle relay" 60
start_bg pt-agent "$ROOT/portsicle" http -p "$ORIGIN_PORT" --server "http://127.0.0.1:$PT_PORT"
line="$(wait_line "$WORK/pt-agent.log" '^Your public url: ' 'portsicle agent' 60)"
URL="${line#Your public url: }1k.bin"
curl -sS --max-time 20 -o /dev/null "$URL" || die "the tunnel does not serve; see $WORK/*.log"

wrk -t1 -c8 -d"${BENCH_WARMUP:-20s}" "$URL" >/dev/null # warm-up: the JIT, before anything is measured
# One visitor asking again and again (the latency a visitor sees), and eight at once as fast as they can
# (the relay saturated: its p99 is mostly queueing).
# The same runs against the origin nginx directly, at the same moment, show the tail this machine gives any
# server (its two cores are shared by wrk, nginx, both Portsicle processes and the simulated agents).
wrk_figures() { wrk -t1 -c"$1" -d"$DURATION" --latency "$2" | awk '/Requests\/sec/ {r=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} END {print r " req/s, p50 " p50 ", p99 " p99}'; }
latency() { echo "c1: $(wrk_figures 1 "$1"); c8: $(wrk_figures 8 "$1")"; }
DIRECT_URL="http://127.0.0.1:$ORIGIN_PORT/1k.bin"
BEFORE_RSS="$(proc_rss_kib "$RELAY_PID")"
BEFORE_LAT="$(latency "$URL")"
BEFORE_DIRECT="$(latency "$DIRECT_URL")"
log "before: relay $(( BEFORE_RSS / 1024 )) MiB; busy tunnel: $BEFORE_LAT"

mkdir -p "$WORK/classes"
# The simulator is built on Netty, from the jar the launcher built (it carries Netty).
javac -cp "$ROOT/target/portsicle.jar" -d "$WORK/classes" "$BENCH_DIR/IdleTunnels.java" ||
  die "could not compile bench/IdleTunnels.java"
PROTOCOL="$("$ROOT/portsicle" --version | sed -n 's/.*(protocol \([0-9]*\)).*/\1/p')"
start_bg idle java -Xmx512m -cp "$WORK/classes:$ROOT/target/portsicle.jar" IdleTunnels "$PT_PORT" "$COUNT" "$HOLD" "$PROTOCOL" "$PER_SESSION"
line="$(wait_line "$WORK/idle.log" '^bound ' 'IdleTunnels' 600)"
log "$line"
case "$line" in
  "bound $COUNT of $COUNT "*) ;;
  *) die "not every simulated agent got its tunnel; see $WORK/idle.log" ;;
esac
sleep 15 # past a heartbeat interval, so pings and acks are part of the picture
kill -0 "$RELAY_PID" 2>/dev/null || die "the relay died; see $WORK/pt-relay.log"
WITH_RSS="$(proc_rss_kib "$RELAY_PID")"
WITH_LAT="$(latency "$URL")"
WITH_DIRECT="$(latency "$DIRECT_URL")"
WITH_FDS="$(proc_fds "$RELAY_PID")"
line="$(wait_line "$WORK/idle.log" '^still up' 'IdleTunnels' $(( HOLD + 60 )))"

printf '\n| relay | RSS MiB | busy tunnel (wrk -t1, one connection; eight) | origin nginx directly, same moment |\n|---|---|---|---|\n'
printf '| no idle tunnels | %d | %s | %s |\n' "$(( BEFORE_RSS / 1024 ))" "$BEFORE_LAT" "$BEFORE_DIRECT"
printf '| %s | %d | %s | %s |\n' "${COUNT} idle tunnels, ${PER_SESSION} per session (${WITH_FDS} fds)" "$(( WITH_RSS / 1024 ))" "$WITH_LAT" \
  "$WITH_DIRECT"
printf '\nIdleTunnels: %s\n' "$line"
