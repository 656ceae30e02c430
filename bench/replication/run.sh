#!/usr/bin/env bash
# Replication benchmark (docs/jobs.md): builds Release, starts a fresh cluster from the built
# executables (mogdbsetup, 2 x mogstored with one device each, mogilefsd; SQLite in a temp dir,
# or PostgreSQL with DSN=...), then for each MODE uploads FILES files of SIZE bytes to a class with
# mindevcount 2 and reports how long it takes until every file has its two copies, and files/s.
#   concurrent: replication runs during the upload; time from the end of the upload until done
#               (the 2.73 figure on this machine: ~116 s for 2,000 x 1 KB).
#   paused:     replicate workers off (!want 0 replicate) during the upload, then on; the whole
#               backlog's replication time = pure replication throughput.
# Environment: FILES (2000), SIZE (1024), MODES (concurrent,paused), CONCURRENCY (upload, 16),
#   REPLICATE_PARALLEL (tracker replicate_parallel, default of the tracker), OUT
#   (artifacts/bench/replication-<time>), MOGILEFS_BIN (use these executables instead of building),
#   DSN/DBUSER/DBPASS (an existing PostgreSQL database with schema v17), PGBENCH_LOCAL=1 (start a
#   private PostgreSQL cluster for the run instead).
# Everything it starts is stopped on exit (by PID).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FILES=${FILES:-2000}
SIZE=${SIZE:-1024}
MODES=${MODES:-concurrent,paused}
CONCURRENCY=${CONCURRENCY:-16}
OUT=${OUT:-$ROOT/artifacts/bench/replication-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

if [[ -z "${MOGILEFS_BIN:-}" ]]; then
  echo "# building Release" >&2
  for p in src/mogdbsetup src/mogstored src/mogilefsd bench/replication; do
    dotnet build -c Release --nologo -v quiet "$ROOT/$p" >>"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
  done
fi
cmd_for() {
  local name=$1
  if [[ -n "${MOGILEFS_BIN:-}" && -x "$MOGILEFS_BIN/$name" ]]; then CMD=("$MOGILEFS_BIN/$name")
  elif [[ -f "$ROOT/src/$name/bin/Release/net10.0/$name.dll" ]]; then CMD=(dotnet exec "$ROOT/src/$name/bin/Release/net10.0/$name.dll")
  else echo "no executable for $name" >&2; return 1; fi
}
DRIVER=$ROOT/bench/replication/bin/Release/net10.0/replbench.dll
[[ -f "$DRIVER" ]] || dotnet build -c Release --nologo -v quiet "$ROOT/bench/replication" >>"$OUT/build.log"

WORK=$(mktemp -d /tmp/mogrepl.XXXXXX)
PIDS=()
PGSTOP=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ ${#PGSTOP[@]} -gt 0 ]]; then "${PGSTOP[@]}" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK" 2>/dev/null || { sleep 1; rm -rf "$WORK"; }
}
trap cleanup EXIT
port_free() { ! (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
pick_port() {
  local p
  for _ in $(seq 100); do
    p=$(( 20000 + RANDOM % 20000 )); local ok=1
    for ip in "$@"; do port_free "$ip" "$p" || ok=0; done
    [[ $ok == 1 ]] && { echo "$p"; return; }
  done
  echo "no free port" >&2; return 1
}
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "process $3 died before listening on $1:$2" >&2; return 1; }
    sleep 0.05
  done
  echo "nothing listening on $1:$2" >&2; return 1
}

HTTP=$(pick_port 127.0.3.1 127.0.3.2)
MGMT=$(pick_port 127.0.3.1 127.0.3.2)
TRACKER_PORT=$(pick_port 127.0.3.1)
DSN=${DSN:-DBI:SQLite:dbname=$WORK/mogilefs.sqlite}
if [[ -n "${PGBENCH_LOCAL:-}" ]]; then DSN=pg-local; fi
if [[ $DSN == DBI:SQLite:* ]]; then
  cmd_for mogdbsetup
  "${CMD[@]}" --type=SQLite --yes --dbname="$WORK/mogilefs.sqlite" >"$OUT/mogdbsetup.log" 2>&1
elif [[ -n "${PGBENCH_LOCAL:-}" ]]; then
  # PGBENCH_LOCAL=1: a private PostgreSQL cluster in WORK (initdb/pg_ctl; as user postgres when root).
  PGBIN=${MOGILEFS_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
  PGPORT=$(pick_port 127.0.0.1)
  mkdir -p "$WORK/pg"
  AS=(); if [[ $(id -u) == 0 ]]; then chown postgres "$WORK" "$WORK/pg"; AS=(runuser -u postgres --); fi
  "${AS[@]}" "$PGBIN/initdb" -D "$WORK/pg/data" -A trust -U postgres >"$OUT/initdb.log" 2>&1
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" -w start >>"$OUT/initdb.log" 2>&1
  PGSTOP=("${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop)
  cmd_for mogdbsetup
  "${CMD[@]}" --type=Postgres --yes --dbhost=127.0.0.1 --dbport="$PGPORT" --dbname=mogilefs --dbrootuser=postgres --dbuser=mogile --dbpass=mogile >"$OUT/mogdbsetup.log" 2>&1
  DSN="DBI:Pg:dbname=mogilefs;host=127.0.0.1;port=$PGPORT"; DBUSER=mogile; DBPASS=mogile
fi

i=0
for spec in "127.0.3.1:1" "127.0.3.2:2"; do
  ip=${spec%%:*}; devs=${spec#*:}; i=$((i + 1))
  mkdir -p "$WORK/node$i"
  for d in $devs; do mkdir -p "$WORK/node$i/dev$d"; done
  cmd_for mogstored
  "${CMD[@]}" --skipconfig --httplisten="$ip:$HTTP" --mgmtlisten="$ip:$MGMT" --docroot="$WORK/node$i" >"$OUT/mogstored-$i.log" 2>&1 &
  PIDS+=($!)
  wait_port "$ip" "$HTTP" "$!"
done

cat >"$WORK/mogilefsd.conf" <<CONF
db_dsn = $DSN
${DBUSER:+db_user = $DBUSER}
${DBPASS:+db_pass = $DBPASS}
listen = 127.0.3.1:$TRACKER_PORT
mogstored_stream_port = $MGMT
${REPLICATE_PARALLEL:+replicate_parallel = $REPLICATE_PARALLEL}
$(if [[ $(id -u) == 0 ]]; then echo "user = root"; fi)
CONF
cmd_for mogilefsd
"${CMD[@]}" --config="$WORK/mogilefsd.conf" >"$OUT/mogilefsd.log" 2>&1 &
PIDS+=($!)
wait_port 127.0.3.1 "$TRACKER_PORT" "$!"

echo "# cluster: tracker 127.0.3.1:$TRACKER_PORT, mogstored 127.0.3.{1,2}:$HTTP (one device each), ${DSN%%:dbname*}; $(nproc) cores; results in $OUT"
first=1
IFS=, read -ra MODE_LIST <<<"$MODES"
for mode in "${MODE_LIST[@]}"; do
  dotnet exec "$DRIVER" --tracker "127.0.3.1:$TRACKER_PORT" --dsn "$DSN" ${DBUSER:+--dbuser "$DBUSER"} ${DBPASS:+--dbpass "$DBPASS"} \
    --node "h1=127.0.3.1:$HTTP:1" --node "h2=127.0.3.2:$HTTP:2" --setup-hosts "$first" \
    --files "$FILES" --size "$SIZE" --mode "$mode" --concurrency "$CONCURRENCY" | tee -a "$OUT/results.txt"
  first=0
done
echo "# 2.73 reference on this machine: ~116 s for 2000 x 1 KB (about 17 files/s)" | tee -a "$OUT/results.txt"
