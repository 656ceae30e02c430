#!/usr/bin/env bash
# Side-by-side load test of our mogstored and nginx serving the same files.
#   bench/storage/run.sh            (DURATION=10s CONNS=64 THREADS=2 ROUNDS=1 by default)
# Needs wrk and nginx (Debian packages "wrk" and "nginx"/"nginx-light"). Builds mogstored in
# Release, starts both servers privately on loopback over one temporary docroot (on the same
# disk as /tmp), and prints requests/s for GET 1 KB / 64 KB / 4 MB and PUT 1 KB / 64 KB.
# PUT runs create fresh fid-like files; the disk is synced before and the files removed after.
set -euo pipefail

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-1}
MOG_PORT=${MOG_PORT:-17600}
NGX_PORT=${NGX_PORT:-17700}
TESTS=${TESTS:-"get1k get64k get4m put1k put64k"}
# METRICS=1: mogstored's status port on and scraped once a second during the runs (0: off).
# ACCESS_LOG=1: mogstored's access log on, to a file (0: off, like nginx's here).
METRICS=${METRICS:-0}
ACCESS_LOG=${ACCESS_LOG:-0}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx missing: apt-get install -y nginx-light" >&2; exit 1; }

work=$(mktemp -d /tmp/mogbench.XXXXXX)
docroot=$work/docroot
mkdir -p "$docroot"
# BENCH_FS=loop (default when root): the docroot is a private ext4 image on the same disk, so
# other users' file churn on the shared file system (ext4 slows file creation for a while after
# mass deletes, file-system wide) does not leak into the PUT figures. BENCH_FS=dir: plain /tmp.
loopdev=""
if [ "${BENCH_FS:-loop}" = loop ] && [ "$(id -u)" = 0 ]; then
  truncate -s "${BENCH_FS_SIZE:-16G}" "$work/fs.img" && mkfs.ext4 -q -F "$work/fs.img" && mount -o loop "$work/fs.img" "$docroot" \
    && loopdev=1 || echo "loop mount failed; using a plain directory" >&2
fi
mkdir -p "$docroot/dev1/0/000/000" "$work/nginx-tmp"
head -c 1024 /dev/urandom > "$docroot/dev1/0/000/000/0000000001.fid"
head -c 65536 /dev/urandom > "$docroot/dev1/0/000/000/0000000064.fid"
head -c 4194304 /dev/urandom > "$docroot/dev1/0/000/000/0000004096.fid"

mog_pid=""; ngx_started=""
cleanup() {
  [ -n "${scrape_pid:-}" ] && kill "$scrape_pid" 2>/dev/null || true
  [ -n "$mog_pid" ] && kill "$mog_pid" 2>/dev/null && wait "$mog_pid" 2>/dev/null || true
  [ -n "$ngx_started" ] && [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sleep 0.5
  [ -n "$loopdev" ] && umount "$docroot" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building mogstored (Release)" >&2
dotnet build "$repo/src/mogstored" -c Release -nologo -v q >&2
MOGSTORED="$repo/src/mogstored/bin/Release/net10.0/mogstored"

"$MOGSTORED" --skipconfig --httplisten=127.0.0.1:$MOG_PORT --mgmtlisten=127.0.0.1:$((MOG_PORT+1)) \
  --docroot="$docroot" --access_log="$ACCESS_LOG" --log_file="$work/mogstored.log" \
  $([ "$METRICS" = 1 ] && echo "--status_listen=127.0.0.1:$((MOG_PORT+2))") >"$work/mogstored.out" 2>"$work/mogstored.err" &
mog_pid=$!
scrape_pid=""
if [ "$METRICS" = 1 ]; then
  ( while :; do curl -s -o /dev/null "http://127.0.0.1:$((MOG_PORT+2))/metrics" || true; sleep 1; done ) &
  scrape_pid=$!
  sleep 5 # a few scrapes first: the status port's code is compiled once, not during a measured run
fi
echo "== mogstored metrics: $([ "$METRICS" = 1 ] && echo "on, scraped every second" || echo off); access log: $([ "$ACCESS_LOG" = 1 ] && echo on || echo off)" >&2

cat > "$work/nginx.conf" <<NGX
user root;
worker_processes auto;
daemon on;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type text/plain;
  client_body_temp_path $docroot/.nginx-tmp;
  server {
    listen 127.0.0.1:$NGX_PORT;
    root $docroot;
    client_max_body_size 0;
    dav_methods PUT DELETE;
    create_full_put_path on;
    dav_access user:rw group:r all:r;
  }
}
NGX
mkdir -p "$docroot/.nginx-tmp"
"$NGINX" -c "$work/nginx.conf" -p "$work" && ngx_started=1

for i in $(seq 50); do
  curl -sf -o /dev/null "http://127.0.0.1:$MOG_PORT/" && curl -sf -o /dev/null "http://127.0.0.1:$NGX_PORT/dev1/0/000/000/0000000001.fid" && break
  sleep 0.1
done

# CPU time (clock ticks) used so far by the server's processes: a load-independent cost figure.
server_pids() { if [ "$1" = nginx ]; then echo "$(cat "$work/nginx.pid") $(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')"; else echo "$mog_pid"; fi; }
cpu_ticks() { local t=0; for p in $(server_pids "$1"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
HZ=$(getconf CLK_TCK)

run_wrk() { # url [script] -> sets R (req/s + error note) and REQS
  local out errs
  if [ -n "${2:-}" ]; then out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s "$2" "$1" 2>&1)
  else out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$1" 2>&1); fi
  R=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  REQS=$(echo "$out" | awk '/requests in/ {print $1}')
  errs=$(echo "$out" | awk '/Non-2xx/ {print "non2xx=" $5} /Socket errors/ {print "sockerr"}' | tr '\n' ' ')
  R="${R:-0}${errs:+ ($errs)}"
}

# On a shared machine, WAIT_QUIET=1 waits (up to 2 min) before each test for a moment when
# few other tasks are runnable, so both servers of a pair see similar conditions.
wait_quiet() {
  [ "${WAIT_QUIET:-0}" = 1 ] || return 0
  for _ in $(seq 40); do
    read -r rq bo < <(vmstat 1 2 | tail -1 | awk '{print $1, $10}')
    [ "$rq" -le 2 ] && [ "$bo" -le 20000 ] && return 0
    sleep 2
  done
}

declare -A result cpu
for round in $(seq "$ROUNDS"); do
  for t in $TESTS; do
    wait_quiet
    for server in nginx mogstored; do
      port=$([ $server = nginx ] && echo $NGX_PORT || echo $MOG_PORT)
      c0=$(cpu_ticks $server)
      case $t in
        get1k)  run_wrk "http://127.0.0.1:$port/dev1/0/000/000/0000000001.fid" ;;
        get64k) run_wrk "http://127.0.0.1:$port/dev1/0/000/000/0000000064.fid" ;;
        get4m)  run_wrk "http://127.0.0.1:$port/dev1/0/000/000/0000004096.fid" ;;
        put1k|put64k)
          # Each PUT run starts from the same state: no dirty data (sync) and no recent mass
          # delete — ext4 creates files many times slower for ~30 s after one (its inode
          # allocator skips recently deleted inodes), and writeback of the previous run's data
          # throttles the next; either would penalise whoever runs second.
          size=$([ $t = put1k ] && echo 1024 || echo 65536)
          sync; sleep "${PUT_SETTLE:-35}"
          BODY_SIZE=$size PUT_PREFIX=/dev1/b$server run_wrk "http://127.0.0.1:$port" "$here/put.lua" ;;
      esac
      c1=$(cpu_ticks $server)
      r=$R
      us=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v n="${REQS:-0}" 'BEGIN { if (n > 0) printf "%.1f", c / hz * 1e6 / n; else print "-" }')
      result[$t,$server,$round]=$r
      cpu[$t,$server,$round]=$us
      echo "round $round $t $server: $r req/s, $us us CPU/req" >&2
      case $t in put*)
        sleep 0.5
        rm -rf "$docroot/dev1/b$server" 2>/dev/null || { sleep 1; rm -rf "$docroot/dev1/b$server"; } ;;
      esac
    done
  done
done

printf "\n%-8s %5s %14s %14s %7s %12s %12s\n" test round nginx mogstored ratio "nginx us/req" "mog us/req"
for round in $(seq "$ROUNDS"); do
  for t in $TESTS; do
    n=${result[$t,nginx,$round]}; m=${result[$t,mogstored,$round]}
    ratio=$(awk -v a="${m%% *}" -v b="${n%% *}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    printf "%-8s %5s %14s %14s %7s %12s %12s\n" "$t" "$round" "$n" "$m" "$ratio" "${cpu[$t,nginx,$round]}" "${cpu[$t,mogstored,$round]}"
  done
done
