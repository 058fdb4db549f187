#!/usr/bin/env bash
# Soak benchmark (issue 4): SOAK_MINUTES of mixed load through a real Portsicle relay and agent
# (./portsicle, path mode) while the local server (nginx) is stopped and started again a few times.
# Reports requests served, errors (502s and cut exchanges while the local server was down are
# expected; anything else is not), and the relay's and agent's RSS and open file descriptors at start,
# after a warm-up (the baseline) and at the end once load has stopped and things settled, with a
# verdict against a stated tolerance. Exit status 1 on unexpected errors or a figure out of tolerance.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MINUTES="${SOAK_MINUTES:-5}"            # main load phase
WARMUP="${SOAK_WARMUP:-30}"             # seconds of the same load first, no restarts: the baseline
SETTLE="${SOAK_SETTLE:-15}"             # seconds of quiet before each measurement
RESTARTS="${SOAK_RESTARTS:-3}"          # stops and starts of the local server during the main phase
DOWN="${SOAK_DOWN:-3}"                  # seconds the local server stays down each time
GRACE_MS="${SOAK_GRACE_MS:-2000}"       # failures up to this long after the server is back still count as expected
RSS_TOL_PCT="${SOAK_RSS_TOL_PCT:-25}"   # end RSS may exceed the baseline by this much...
RSS_TOL_MIB="${SOAK_RSS_TOL_MIB:-32}"   # ...or by this many MiB, whichever is larger
FD_TOL="${SOAK_FD_TOL:-8}"              # end fds may exceed the baseline by this many
WORKERS="${SOAK_WORKERS:-4 2 1 2}"      # concurrent small GETs, 100 KiB GETs, 1 MiB uploads, slow streams
STREAM_MIB="${SOAK_STREAM_MIB:-4}"      # each slow stream: this many MiB at 256 KiB/s (16 s by default)

install_traps
make_workdir
need_commands nginx:nginx curl:curl ss:iproute2 setsid:util-linux awk:gawk
need_java
build_portsicle
SECONDS_MAIN=$(( MINUTES * 60 ))

# --- the local server: nginx (static files, a rate-limited copy for long-lived streams, /upload to the
# sink); the sink stays up while nginx is restarted -----------------------------------------------------
mkdir -p "$WORK/www"
make_file "$WORK/www/1k.bin" 1024
make_file "$WORK/www/100k.bin" 102400
make_file "$WORK/www/stream.bin" $(( STREAM_MIB * 1048576 ))
SINK_PORT="$(free_port)" ORIGIN_PORT="$(free_port)" PT_PORT="$(free_port)"
start_bg sink java "$BENCH_DIR/Sink.java" "$SINK_PORT"
origin_nginx_conf "$ORIGIN_PORT" "$SINK_PORT" "    location /slow/ { alias $WORK/www/; limit_rate 256k; }" >"$WORK/origin.conf"
start_nginx origin "$WORK/origin.conf" "$ORIGIN_PORT"
ORIGIN_PGID=$NGINX_PID
wait_port "$SINK_PORT" "upload sink" 60

# --- Portsicle: a real relay and a real agent -------------------------------------------------------
start_bg pt-relay "$ROOT/portsicle" server --port "$PT_PORT" --bind 127.0.0.1 \
  --secret-file "$WORK/relay.secret" --grace 1
RELAY_PID=$BG_PID
wait_port "$PT_PORT" "portsicle relay" 60
start_bg pt-agent "$ROOT/portsicle" http -p "$ORIGIN_PORT" --server "http://127.0.0.1:$PT_PORT"
AGENT_PID=$BG_PID
line="$(wait_line "$WORK/pt-agent.log" '^Your public url: ' 'portsicle agent' 60)"
URL="${line#Your public url: }"
log "tunnel up: $URL -> nginx on $ORIGIN_PORT"
curl -sS --max-time 20 -o /dev/null "${URL%/}/1k.bin" || die "the tunnel does not serve; see $WORK/*.log"

# The compiler in the source launcher takes a few seconds: do it once, not inside a measured phase.
mkdir -p "$WORK/classes"
javac -d "$WORK/classes" "$BENCH_DIR/SoakLoad.java" || die "could not compile bench/SoakLoad.java"

# snapshot NAME: RSS (KiB) and open fds of relay and agent into SNAP_<NAME>_{relay,agent}_{rss,fds}.
declare -A SNAP
snapshot() {
  SNAP[$1.relay.rss]="$(proc_rss_kib "$RELAY_PID")" SNAP[$1.relay.fds]="$(proc_fds "$RELAY_PID")"
  SNAP[$1.agent.rss]="$(proc_rss_kib "$AGENT_PID")" SNAP[$1.agent.fds]="$(proc_fds "$AGENT_PID")"
  log "$1: relay $(( ${SNAP[$1.relay.rss]} / 1024 )) MiB, ${SNAP[$1.relay.fds]} fds;" \
      "agent $(( ${SNAP[$1.agent.rss]} / 1024 )) MiB, ${SNAP[$1.agent.fds]} fds"
}
alive() {
  kill -0 "$RELAY_PID" 2>/dev/null || die "the relay died; see $WORK/pt-relay.log"
  kill -0 "$AGENT_PID" 2>/dev/null || die "the agent died; see $WORK/pt-agent.log"
}

snapshot start

# shellcheck disable=SC2086  # WORKERS is a list of four numbers
load() {  # load SECONDS NAME: runs the mixed load, summary in $WORK/NAME.out, failures in $WORK/NAME.failures
  java -cp "$WORK/classes" SoakLoad "$URL" "$WORK/www" "$1" "$WORK/$2.failures" $WORKERS >"$WORK/$2.out"
}

log "warm-up: ${WARMUP}s of mixed load (no restarts), then ${SETTLE}s quiet"
load "$WARMUP" warmup
sleep "$SETTLE"; alive
snapshot baseline

# Main phase: the load in the background; here, RESTARTS stops and starts of nginx spread evenly over
# it, each window (stop time to back-up time, epoch ms) written down for the classification below.
log "main phase: ${MINUTES} min of mixed load, local server restarted $RESTARTS times (down ${DOWN}s each)"
load "$SECONDS_MAIN" main &
LOAD_PID=$!
: >"$WORK/windows"
for (( i = 1; i <= RESTARTS; i++ )); do
  sleep $(( SECONDS_MAIN / (RESTARTS + 1) - (i == 1 ? 0 : DOWN) ))
  down="$(date +%s%3N)"
  stop_group "$ORIGIN_PGID"  # TERM: nginx's fast shutdown, exchanges in flight are cut
  sleep "$DOWN"
  start_nginx origin "$WORK/origin.conf" "$ORIGIN_PORT"
  ORIGIN_PGID=$NGINX_PID
  up="$(date +%s%3N)"
  echo "$down $up" >>"$WORK/windows"
  log "local server restart $i: down for $(( up - down )) ms"
done
wait "$LOAD_PID" || die "the load generator failed; see $WORK/main.out"
log "load stopped; ${SETTLE}s quiet"
sleep "$SETTLE"; alive
snapshot end

# --- the report -------------------------------------------------------------------------------------
# A failure is expected when it overlaps a window in which the local server was down (from the stop
# to GRACE_MS after it was back) and is either the relay's own 502 (X-Portsicle-Error: 502) or an
# exchange cut short (I/O error, short body). Everything else is unexpected.
classify() {  # classify FAILURES_FILE -> lines "expected|unexpected <failure line>"
  awk -v g="$GRACE_MS" 'NR == FNR { ds[NR] = $1; us[NR] = $2; n = NR; next }
    {
      inwin = 0
      for (i = 1; i <= n; i++) if ($1 <= us[i] + g && $2 >= ds[i]) inwin = 1
      kind = ($4 == 502 && $5 == 502) || $4 == 0 || $6 ~ /^body-mismatch/
      print ((inwin && kind) ? "expected" : "unexpected"), $0
    }' "$WORK/windows" "$1"
}
classify "$WORK/main.failures" >"$WORK/main.classified"
# The warm-up has no restarts: every failure in it is unexpected.
awk '{ print "unexpected", $0 }' "$WORK/warmup.failures" >>"$WORK/main.classified"

served="$(awk -F'[ =]' '{ s += $3 } END { print s + 0 }' "$WORK/warmup.out" "$WORK/main.out")"
expected="$(grep -c '^expected' "$WORK/main.classified" || true)"
unexpected="$(grep -c '^unexpected' "$WORK/main.classified" || true)"
verdict_ok=1

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
check() {  # check PROC: prints one table row per figure, sets verdict_ok=0 when out of tolerance
  local p="$1" b e limit ok
  b="${SNAP[baseline.$p.rss]}" e="${SNAP[end.$p.rss]}"
  limit="$(awk -v b="$b" -v pct="$RSS_TOL_PCT" -v mib="$RSS_TOL_MIB" \
             'BEGIN { x = b * pct / 100; y = mib * 1024; printf "%d", b + (x > y ? x : y) }')"
  ok=yes; (( e <= limit )) || { ok=NO; verdict_ok=0; }
  printf '| %-15s | %9s | %9s | %9s | %-17s |\n' "$p RSS MiB" "$(mib "${SNAP[start.$p.rss]}")" \
    "$(mib "$b")" "$(mib "$e")" "$ok (limit $(mib "$limit"))"
  b="${SNAP[baseline.$p.fds]}" e="${SNAP[end.$p.fds]}"
  ok=yes; (( e <= b + FD_TOL )) || { ok=NO; verdict_ok=0; }
  printf '| %-15s | %9s | %9s | %9s | %-17s |\n' "$p fds" "${SNAP[start.$p.fds]}" "$b" "$e" \
    "$ok (limit $(( b + FD_TOL )))"
}

{
  echo
  echo "# Portsicle soak: ${MINUTES} min mixed load, $RESTARTS local-server restarts ($(date '+%Y-%m-%d %H:%M %Z'))"
  echo
  echo "Load (concurrent workers: small GET, 100 KiB GET, 1 MiB upload, ${STREAM_MIB} MiB stream at 256 KiB/s): $WORKERS"
  echo
  echo "Requests by kind (warm-up ${WARMUP}s + main phase):"
  paste -d' ' "$WORK/warmup.out" "$WORK/main.out" |
    awk '{ split($2, a, "="); split($3, b, "="); split($5, c, "="); split($6, d, "=");
           printf "  %-12s served %7d, failed %5d\n", $1, a[2] + c[2], b[2] + d[2] }'
  echo
  echo "Requests served: $served. Errors: $expected expected (overlapping a local-server restart: relay 502" \
       "or exchange cut), $unexpected unexpected."
  if [ "$expected" -gt 0 ]; then
    echo "Expected errors by kind/status/detail:"
    grep '^expected' "$WORK/main.classified" | awk '{ print "  " $4, $5, $6, $7 }' | sed 's/([0-9]*B)//' |
      sort | uniq -c | sort -rn | head -10
  fi
  if [ "$unexpected" -gt 0 ]; then
    echo "Unexpected errors (first 20; start_ms end_ms kind status X-Portsicle-Error detail):"
    grep '^unexpected' "$WORK/main.classified" | head -20 | sed 's/^unexpected /  /'
    verdict_ok=0
  fi
  echo
  echo "Relay and agent after ${SETTLE}s of quiet; tolerance: RSS within max(${RSS_TOL_PCT}%, ${RSS_TOL_MIB} MiB)" \
       "of the baseline, fds within +$FD_TOL:"
  echo
  echo "| figure          |     start |  baseline |       end | back to baseline? |"
  echo "|-----------------|-----------|-----------|-----------|-------------------|"
  check relay
  check agent
  echo
  if [ "$verdict_ok" = 1 ]; then
    echo "Verdict: PASS (no unexpected errors; RSS and fds back within tolerance)"
  else
    echo "Verdict: FAIL"
  fi
} >"$WORK/report.txt"  # not a pipe: check() and the block above set verdict_ok in this shell
cat "$WORK/report.txt"
mkdir -p "$BENCH_DIR/results"
cp "$WORK/report.txt" "$BENCH_DIR/results/soak-$(date +%Y%m%d-%H%M%S).md"
[ "$verdict_ok" = 1 ]
