# shellcheck shell=bash
# Shared helpers for bench/run.sh and bench/soak.sh (sourced, not run).
# Everything a script starts goes through start_bg, so the EXIT trap can stop it all.

BENCH_DIR="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
PGIDS=()       # process groups we started (each service runs in its own session)
USED_PORTS=()  # ports handed out in this run, so two services never get the same one
WORK=""        # temp dir of this run

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '%s: error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# Installs the Debian packages behind the commands given as cmd:package pairs when a command is
# missing; fails with a message saying what to install when we can't (not root, no apt-get).
need_commands() {
  local pair cmd pkg missing=()
  for pair in "$@"; do
    cmd="${pair%%:*}" pkg="${pair#*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "missing: ${missing[*]}; install them (Debian: apt-get install -y ${missing[*]})"
  fi
  log "installing ${missing[*]} (apt-get)"
  # A fresh machine may have no package lists yet: update once and retry.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$WORK/apt.log" 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$WORK/apt.log" 2>&1; } ||
    die "apt-get install ${missing[*]} failed; see $WORK/apt.log"
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || die "${pair%%:*} still missing after installing ${pair#*:}"
  done
}

# Java comes with the project's own requirements (./portsicle needs 17+); we don't install a JDK.
need_java() {
  command -v java >/dev/null 2>&1 ||
    die "java not found; install Java 17 or newer (Debian: apt-get install -y openjdk-17-jdk-headless)"
}

# Builds target/portsicle.jar now (./portsicle builds on first use), so no benchmark waits for Maven.
build_portsicle() {
  log "checking the Portsicle build ($("$ROOT/portsicle" --version 2>"$WORK/build.log" || true))"
  [ -f "$ROOT/target/portsicle.jar" ] || die "could not build target/portsicle.jar; see $WORK/build.log"
}

# A work dir in memory when there is one: the 100 MiB files and downloads then never touch the disk.
make_workdir() {
  local base="${BENCH_TMPDIR:-/dev/shm}"
  [ -d "$base" ] && [ -w "$base" ] || base="${TMPDIR:-/tmp}"
  WORK="$(mktemp -d "$base/portsicle-bench.XXXXXX")"
  chmod 755 "$WORK"  # nginx workers (user nobody when we are root) read the files in it
}

# A free TCP port on loopback, chosen now: random, not listening, not handed out yet, and below the
# kernel's ephemeral range (usually 32768+), so that no outgoing connection (ours or another program's)
# can take it between this choice and the server's bind: that happened with the sink's slow JVM start.
free_port() {
  local port tries=0 lo=15000 hi eph
  eph="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
  hi=$(( eph - 1 ))
  (( hi - lo >= 1000 )) || { lo=20000 hi=59999; }
  while :; do
    port=$(( lo + RANDOM % (hi - lo + 1) ))
    if [[ " ${USED_PORTS[*]} " != *" $port "* ]] &&
       ! ss -Htln "sport = :$port" 2>/dev/null | grep -q . &&
       ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      USED_PORTS+=("$port")
      echo "$port"
      return 0
    fi
    tries=$((tries + 1))
    [ "$tries" -lt 200 ] || die "no free port found"
  done
}

# start_bg NAME CMD...: runs CMD in a session of its own (so its whole process group can be stopped),
# output to $WORK/NAME.log; sets BG_PID. setsid execs in place here (we are not a group leader), and
# ./portsicle, nginx (daemon off) and node exec too, so BG_PID is the service's own PID.
start_bg() {
  local name="$1"; shift
  setsid "$@" >"$WORK/$name.log" 2>&1 < /dev/null &
  BG_PID=$!
  PGIDS+=("$BG_PID")
}

# Stops one process group: TERM, up to 5 s to exit, then KILL.
stop_group() {
  local pgid="$1" i
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for i in $(seq 50); do
    kill -0 -- "-$pgid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

# The EXIT trap: stop everything we started (newest first), then remove the work dir.
cleanup() {
  local status=$? i
  trap - EXIT INT TERM
  for (( i=${#PGIDS[@]}-1; i>=0; i-- )); do stop_group "${PGIDS[$i]}"; done
  wait 2>/dev/null || true
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ "$status" -ne 0 ] && [ -z "${BENCH_KEEP:-}" ]; then
      # Failed runs keep the logs a little longer: copy them next to the results.
      mkdir -p "$BENCH_DIR/.work"
      find "$WORK" -maxdepth 1 -name '*.log' -exec cp {} "$BENCH_DIR/.work/" \; 2>/dev/null || true
      log "logs of the failed run copied to $BENCH_DIR/.work/"
    fi
    if [ -n "${BENCH_KEEP:-}" ]; then log "keeping $WORK (BENCH_KEEP set)"; else rm -rf "$WORK"; fi
  fi
  exit "$status"
}

install_traps() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# wait_port PORT WHAT [SECONDS]: until something accepts connections on 127.0.0.1:PORT.
wait_port() {
  local port="$1" what="$2" limit="${3:-60}" i
  for (( i=0; i < limit * 10; i++ )); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  die "$what did not listen on port $port within ${limit}s; see $WORK/*.log"
}

# wait_line FILE REGEX WHAT [SECONDS]: until a line matching REGEX shows up in FILE; prints it.
wait_line() {
  local file="$1" re="$2" what="$3" limit="${4:-90}" i line
  for (( i=0; i < limit * 10; i++ )); do
    line="$(grep -m1 -E "$re" "$file" 2>/dev/null || true)"
    [ -n "$line" ] && { echo "$line"; return 0; }
    sleep 0.1
  done
  die "$what printed nothing matching /$re/ within ${limit}s; see $file"
}

# Test files of the given sizes (random bytes, so nothing compresses) and their SHA-256.
make_file() {  # make_file PATH BYTES
  head -c "$2" /dev/urandom >"$1"
  chmod 644 "$1"
}

# The origin: nginx serving $WORK/www and passing /upload to the sink (streamed, not buffered), with
# long keep-alive so no benchmark measures connection set-up.
# Usage: origin_nginx_conf PORT SINK_PORT [EXTRA_SERVER_DIRECTIVES]
nginx_common() {  # nginx_common NAME: top of a config whose pid, logs and temp files stay in $WORK
  local name="$1"
  mkdir -p "$WORK/$name-tmp"
  cat <<EOF
worker_processes auto;
daemon off;
pid $WORK/$name.pid;
error_log $WORK/$name-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 300s; keepalive_requests 10000000;
  client_max_body_size 0;
  client_body_temp_path $WORK/$name-tmp/body;
  proxy_temp_path $WORK/$name-tmp/proxy;
  fastcgi_temp_path $WORK/$name-tmp/fastcgi;
  uwsgi_temp_path $WORK/$name-tmp/uwsgi;
  scgi_temp_path $WORK/$name-tmp/scgi;
  default_type application/octet-stream;
EOF
}

origin_nginx_conf() {
  local port="$1" sink="$2" extra="${3:-}"
  nginx_common origin
  cat <<EOF
  upstream sink { server 127.0.0.1:$sink; keepalive 64; }
  server {
    listen 127.0.0.1:$port reuseport backlog=4096;
    root $WORK/www;
    location /upload {
      proxy_pass http://sink;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
      proxy_buffering off;
    }
$extra
  }
}
EOF
}

# start_nginx NAME CONF_FILE PORT: one nginx instance of our own (master in the foreground).
start_nginx() {
  start_bg "$1" nginx -e "$WORK/$1-error.log" -p "$WORK" -c "$2"
  # shellcheck disable=SC2034  # read by the scripts that source this file
  NGINX_PID=$BG_PID
  wait_port "$3" "nginx ($1)" 20
}

# Process-level figures from /proc. Several PIDs are summed (nginx's master and workers).
proc_rss_kib() {  # current resident set, KiB
  local pid sum=0 v
  for pid in "$@"; do
    v="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
    sum=$(( sum + ${v:-0} ))
  done
  echo "$sum"
}
proc_hwm_kib() {  # peak resident set over the process's life, KiB
  local pid sum=0 v
  for pid in "$@"; do
    v="$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
    sum=$(( sum + ${v:-0} ))
  done
  echo "$sum"
}
proc_cpu_ticks() {  # user + system CPU time so far, in clock ticks (fields 14 and 15 of stat)
  local pid sum=0 v
  for pid in "$@"; do
    # The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    v="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }' || true)"
    sum=$(( sum + ${v:-0} ))
  done
  echo "$sum"
}
proc_fds() {  # open file descriptors
  local pid sum=0 v
  for pid in "$@"; do
    v="$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
    sum=$(( sum + v ))
  done
  echo "$sum"
}
# The PIDs of a process group (nginx: master and workers), read once when it is up.
group_pids() {
  awk -v g="$1" '{ sub(/^.*\) /, "") } $3 == g { split(FILENAME, p, "/"); printf "%s ", p[3] }' \
    /proc/[0-9]*/stat 2>/dev/null || true
}
