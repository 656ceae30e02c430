#!/usr/bin/env bash
# Tracker load benchmark: builds Release, starts a fresh cluster from the built executables
# (mogdbsetup + 2 x mogstored + mogilefsd, SQLite in a temp dir, all on 127.0.2.x), prepares
# a domain/class/hosts/devices and FILES files through the protocol, then runs mogload for
# noop, get_paths (noverify), create_open, file_info and list_keys at c = 1, 8, 64.
# Prints ops/s and p50/p99 per command and concurrency; writes results.csv and the server logs
# to OUT. Everything it starts is stopped on exit (by PID). See docs/testing.md.
#
# Environment: DURATION (s per run, 5), WARMUP (1), CONCURRENCY (1,8,64), FILES (2000),
#   COMMANDS (noop,get_paths,create_open,file_info,list_keys), QUERY_JOBS (tracker query_jobs, 20),
#   OUT (artifacts/bench/tracker-<time>), MOGILEFS_BIN (use these executables instead of building),
#   DB (SQLite, Postgres or MySQL: the last two start a private server in the temp dir on a free
#   port of 127.0.0.1 — PostgreSQL from /usr/lib/postgresql/*/bin, run as 'postgres' when root;
#   MariaDB from the mariadb-server package — and stop it on exit),
#   METRICS (1: status ports on for the tracker and both storage nodes, and every one of them is
#   scraped once a second during the runs, as a busy Prometheus would; 0 = off, the default).
#   SCRAPE_INTERVAL (seconds between scrapes with METRICS=1; 1 by default, Prometheus' usual is 15-60).
#   Before the load starts, every status port is scraped (and the dashboard fetched) STATUS_WARMUP (20) times and the
#   tracker left alone for STATUS_SETTLE s (10), so the figures are the steady state of a long-running
#   tracker, not the tiered JIT recompiling the HTTP stack and the dashboard in the first seconds.
#   DASHBOARD_POLL (seconds): turn the tracker's status port on and fetch the dashboard's overview,
#   devices and jobs pages every DASHBOARD_POLL s during the run (what the dashboard costs the hot paths).
#   READY_FILE, GO_FILE: when set, touch READY_FILE once the cluster is prepared and wait (up to 5 min)
#   for GO_FILE to exist before the measured load (two runs started side by side measure together).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONCURRENCY=${CONCURRENCY:-1,8,64}
FILES=${FILES:-2000}
COMMANDS=${COMMANDS:-noop,get_paths,create_open,file_info,list_keys}
QUERY_JOBS=${QUERY_JOBS:-20}
DB=${DB:-SQLite}
METRICS=${METRICS:-0}
OUT=${OUT:-$ROOT/artifacts/bench/tracker-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

if [[ -z "${MOGILEFS_BIN:-}" ]]; then
  echo "# building Release" >&2
  for p in src/mogdbsetup src/mogstored src/mogilefsd bench/MogileFS.LoadTool; do
    dotnet build -c Release --nologo -v quiet "$ROOT/$p" >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
  done
fi

cmd_for() { # cmd_for NAME: sets CMD to the command line of an executable from MOGILEFS_BIN or the Release build
  local name=$1
  if [[ -n "${MOGILEFS_BIN:-}" && -x "$MOGILEFS_BIN/$name" ]]; then
    CMD=("$MOGILEFS_BIN/$name")
  elif [[ -f "$ROOT/src/$name/bin/Release/net10.0/$name.dll" ]]; then
    CMD=(dotnet exec "$ROOT/src/$name/bin/Release/net10.0/$name.dll")
  else
    echo "no executable for $name" >&2; return 1
  fi
}
MOGLOAD_DLL=$ROOT/bench/MogileFS.LoadTool/bin/Release/net10.0/mogload.dll
[[ -f "$MOGLOAD_DLL" ]] || dotnet build -c Release --nologo -v quiet "$ROOT/bench/MogileFS.LoadTool" >>"$OUT/build.log"

WORK=$(mktemp -d /tmp/mogbench.XXXXXX)
PIDS=()
DBSTOP=()
cleanup() {
  for c in "${DBSTOP[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK" 2>/dev/null || { sleep 1; rm -rf "$WORK"; }
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
pick_port() { # a port free on every address given
  local p
  for _ in $(seq 100); do
    p=$(( 20000 + RANDOM % 20000 ))
    local ok=1
    for ip in "$@"; do port_free "$ip" "$p" || ok=0; done
    [[ $ok == 1 ]] && { echo "$p"; return; }
  done
  echo "no free port" >&2; return 1
}
wait_port() { # wait_port IP PORT PID
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "process $3 died before listening on $1:$2" >&2; return 1; }
    sleep 0.05
  done
  echo "nothing listening on $1:$2" >&2; return 1
}

HTTP=$(pick_port 127.0.2.1 127.0.2.2)
MGMT=$(pick_port 127.0.2.1 127.0.2.2)
TRACKER_PORT=$(pick_port 127.0.2.1)

cmd_for mogdbsetup
case "$DB" in
  SQLite)
    "${CMD[@]}" --type=SQLite --yes --dbname="$WORK/mogilefs.sqlite" >"$OUT/mogdbsetup.log" 2>&1
    DSN="DBI:SQLite:dbname=$WORK/mogilefs.sqlite" ;;
  Postgres)
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
    PGPORT=$(pick_port 127.0.0.1)
    AS=(); if [[ $(id -u) == 0 ]]; then AS=(runuser -u postgres --); chmod 755 "$WORK"; fi
    mkdir -p "$WORK/pg"; [[ $(id -u) == 0 ]] && chown postgres "$WORK/pg"
    "${AS[@]}" "$PGBIN/initdb" -D "$WORK/pg/data" -U postgres -A trust >"$OUT/initdb.log" 2>&1
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
      -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=on" start >"$OUT/pg_ctl.log" 2>&1
    DBSTOP+=("${AS[*]} $PGBIN/pg_ctl -D $WORK/pg/data -m fast -w stop")
    "${CMD[@]}" --type=Postgres --yes --dbhost=127.0.0.1 --dbport="$PGPORT" --dbrootuser=postgres \
      --dbname=mogilefs --dbuser=mogile --dbpass=mogile >"$OUT/mogdbsetup.log" 2>&1
    DSN="DBI:Pg:dbname=mogilefs;host=127.0.0.1;port=$PGPORT" ;;
  MySQL)
    MYPORT=$(pick_port 127.0.0.1)
    mkdir -p "$WORK/my/tmp"
    MYUSER=(); [[ $(id -u) == 0 ]] && MYUSER=(--user=root)
    mariadb-install-db --no-defaults "${MYUSER[@]}" --datadir="$WORK/my/data" --tmpdir="$WORK/my/tmp" \
      --auth-root-authentication-method=normal >"$OUT/mariadb-install-db.log" 2>&1
    mariadbd --no-defaults "${MYUSER[@]}" --datadir="$WORK/my/data" --tmpdir="$WORK/my/tmp" --socket="$WORK/my/sock" \
      --port="$MYPORT" --bind-address=127.0.0.1 --pid-file="$WORK/my/pid" >"$OUT/mariadbd.log" 2>&1 &
    MYPID=$!
    DBSTOP+=("kill -TERM $MYPID; for _ in \$(seq 100); do kill -0 $MYPID || break; sleep 0.1; done")
    wait_port 127.0.0.1 "$MYPORT" "$MYPID"
    "${CMD[@]}" --type=MySQL --yes --dbhost=127.0.0.1 --dbport="$MYPORT" --dbrootuser=root \
      --dbname=mogilefs --dbuser=mogile --dbpass=mogile >"$OUT/mogdbsetup.log" 2>&1
    DSN="DBI:mysql:database=mogilefs;host=127.0.0.1;port=$MYPORT" ;;
  *) echo "DB must be SQLite, Postgres or MySQL" >&2; exit 2 ;;
esac

i=0
for spec in "127.0.2.1:1 2" "127.0.2.2:3 4"; do
  ip=${spec%%:*}; devs=${spec#*:}; i=$((i + 1))
  mkdir -p "$WORK/node$i"
  for d in $devs; do mkdir -p "$WORK/node$i/dev$d"; done
  cmd_for mogstored
  # Started from this shell (not a function or subshell), so $! is the server's own PID.
  "${CMD[@]}" --skipconfig --httplisten="$ip:$HTTP" --mgmtlisten="$ip:$MGMT" --docroot="$WORK/node$i" --access_log=0 \
    $(if [[ $METRICS == 1 ]]; then echo "--status_listen=$ip:$((HTTP + 80))"; fi) >"$OUT/mogstored-$i.log" 2>&1 &
  PIDS+=($!)
  wait_port "$ip" "$HTTP" "$!"
done

cat >"$WORK/mogilefsd.conf" <<CONF
db_dsn = $DSN
db_user = mogile
db_pass = mogile
listen = 127.0.2.1:$TRACKER_PORT
query_jobs = $QUERY_JOBS
mogstored_stream_port = $MGMT
$(if [[ $METRICS == 1 ]]; then echo "status_listen = 127.0.2.1:$((TRACKER_PORT + 79))"; fi)
$(if [[ $(id -u) == 0 ]]; then echo "user = root"; fi)
$(if [[ -n "${DASHBOARD_POLL:-}" && $METRICS != 1 ]]; then echo "status_listen = 127.0.2.1:$(pick_port 127.0.2.1)"; fi)
CONF
cmd_for mogilefsd
"${CMD[@]}" --config="$WORK/mogilefsd.conf" >"$OUT/mogilefsd.log" 2>&1 &
TRACKER_PID=$!
PIDS+=($!)
wait_port 127.0.2.1 "$TRACKER_PORT" "$!"
if [[ -n "${DASHBOARD_POLL:-}" ]]; then
  DASH=http://$(sed -n 's/^status_listen = //p' "$WORK/mogilefsd.conf" | tail -n1)/dashboard
  for _ in $(seq 100); do curl -sf -o /dev/null "$DASH" && break; sleep 0.1; done
  for _ in $(seq ${STATUS_WARMUP:-20}); do for p in "" /devices /jobs; do curl -s -o /dev/null "$DASH$p"; done; done
  (while true; do
     for p in "" /devices /jobs; do curl -s -o /dev/null -w "%{http_code} %{time_total}\n" "$DASH$p" >>"$OUT/dashboard-poll.log"; done
     sleep "$DASHBOARD_POLL"
   done) &
  PIDS+=($!)
  echo "# polling $DASH every ${DASHBOARD_POLL}s (log: $OUT/dashboard-poll.log)"
fi

if [[ $METRICS == 1 ]]; then
  # A scraper like Prometheus at a 1 s interval (15-60 s is usual), on every status port.
  for u in "127.0.2.1:$((TRACKER_PORT + 79))" "127.0.2.1:$((HTTP + 80))" "127.0.2.2:$((HTTP + 80))"; do
    for _ in $(seq ${STATUS_WARMUP:-20}); do curl -s -o /dev/null "http://$u/metrics" || true; done
  done
  ( while :; do
      for u in "127.0.2.1:$((TRACKER_PORT + 79))" "127.0.2.1:$((HTTP + 80))" "127.0.2.2:$((HTTP + 80))"; do
        curl -s -o /dev/null "http://$u/metrics" || true
      done
      sleep "${SCRAPE_INTERVAL:-1}"
    done ) &
  PIDS+=($!)
fi
if [[ $METRICS == 1 || -n "${DASHBOARD_POLL:-}" ]]; then sleep "${STATUS_SETTLE:-10}"; fi
echo "# metrics: $([[ $METRICS == 1 ]] && echo "on, scraped every ${SCRAPE_INTERVAL:-1} s" || echo off)"
echo "# cluster: tracker 127.0.2.1:$TRACKER_PORT (query_jobs=$QUERY_JOBS), mogstored 127.0.2.{1,2}:$HTTP, $DB; $(nproc) cores; results in $OUT"
# Prepare first (domain, class, hosts, devices, FILES files), then measure: the tracker's CPU time
# per operation over the measured runs is a cost figure that depends little on other load.
dotnet exec "$MOGLOAD_DLL" --tracker "127.0.2.1:$TRACKER_PORT" --prepare \
  --node "h1=127.0.2.1:$HTTP:1,2" --node "h2=127.0.2.2:$HTTP:3,4" --files "$FILES" \
  --commands noop --concurrency 1 --duration 0.2 --warmup 0 >"$OUT/prepare.txt"
tracker_ticks() { awk '{print $14 + $15}' "/proc/$TRACKER_PID/stat"; }
if [[ -n "${READY_FILE:-}" ]]; then
  # Side by side with another run (bench/metrics/cost.sh SIDE_BY_SIDE=1): say we are ready, then
  # start the measured load only when told to, so both runs measure the same moments.
  touch "$READY_FILE"
  for _ in $(seq 6000); do [[ -e "$GO_FILE" ]] && break; sleep 0.05; done
fi
t0=$(tracker_ticks)
dotnet exec "$MOGLOAD_DLL" --tracker "127.0.2.1:$TRACKER_PORT" \
  --node "h1=127.0.2.1:$HTTP:1,2" --node "h2=127.0.2.2:$HTTP:3,4" --files "$FILES" \
  --commands "$COMMANDS" --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" \
  --csv "$OUT/results.csv" | tee "$OUT/results.txt"
t1=$(tracker_ticks)
awk -F, -v d="$DURATION" -v w="$WARMUP" -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" 'NR > 1 { ops += $3 * d; runs++ }
  END { if (ops > 0) printf "# tracker CPU: %.1f us per operation (%.2f s CPU for about %d operations in %d runs; warm-ups add %.0f%% unmeasured operations)\n", t / hz * 1e6 / (ops * (1 + w / d)), t / hz, ops, runs, 100 * w / d }' \
  "$OUT/results.csv" | tee -a "$OUT/results.txt"
