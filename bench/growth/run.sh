#!/usr/bin/env bash
# Growth benchmark (docs/growth.md): how the cost of each operation grows with the number of files.
# For each size in SIZES: a fresh database (mogdbsetup), mogseed writes SIZE files' rows straight
# into it (2 copies each over devices 1-4 on two hosts; the last REAL fids on devices 5 and 3 with
# real bytes on disk), then 2 x mogstored + mogilefsd start on 127.0.5.x and it measures
#   get_paths (noverify), create_open, store (create_open + PUT 1 KB + create_close), file_info,
#   list_keys (prefix load/, after a random key, limit 100)   -- mogload, CONCURRENCY connections;
#   fsck:        a full fsck pass over the REAL fids (fsck_reset startpos=SIZE-REAL, fsck_start) on real
#                files, in files/s (the fids below startpos have no bytes on disk);
#   replication: device 5 (REAL files) marked dead; time until every one of its files has 2 copies
#                again, in files/s;
#   tracker RSS (VmRSS / VmHWM) after all of it, the database's size on disk, and how long the metrics
#   sampler's count of the file table took (status port on, as on a monitored site).
# For the mogload commands also the CPU time per request of the tracker and of PostgreSQL (SQLite
# runs inside the tracker), and per file for fsck and replication: steadier than rates on a shared machine.
# Prints one table (operation x size; load cells: ops/s p50|p99 ms tracker+db CPU us per request)
# and writes OUT/growth.csv. Everything it starts is stopped
# on exit (by PID); the seeded databases live in a temp dir and are deleted after each size.
#
# Environment: DB (SQLite | Postgres: a private PostgreSQL from /usr/lib/postgresql/*/bin in the
#   temp dir, as 'postgres' when root), SIZES (10000,1000000,10000000), REAL (2000), CONCURRENCY (8),
#   DURATION (s per run, 10), WARMUP (2), OUT (artifacts/bench/growth-<db>-<time>), TMPDIR,
#   SKIP_BUILD=1 (use the Release builds already there).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DB=${DB:-SQLite}
SIZES=${SIZES:-10000,1000000,10000000}
REAL=${REAL:-2000}
CONCURRENCY=${CONCURRENCY:-8}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
COMMANDS=get_paths,create_open,store,file_info,list_keys
OUT=${OUT:-$ROOT/artifacts/bench/growth-$DB-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

[[ -n ${SKIP_BUILD:-} ]] || echo "# building Release" >&2
[[ -n ${SKIP_BUILD:-} ]] || for p in src/mogdbsetup src/mogstored src/mogilefsd bench/MogileFS.LoadTool bench/growth; do
  dotnet build -c Release --nologo -v quiet "$ROOT/$p" >>"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
done
dll() { echo "$ROOT/$1/bin/Release/net10.0/$2.dll"; }
MOGLOAD=(dotnet exec "$(dll bench/MogileFS.LoadTool mogload)")
MOGSEED=(dotnet exec "$(dll bench/growth mogseed)")
DBSETUP=(dotnet exec "$(dll src/mogdbsetup mogdbsetup)")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/moggrowth.XXXXXX")
PIDS=()
PGSTOP=()
stop_pids() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  PIDS=()
}
cleanup() {
  stop_pids
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
  for _ in $(seq 1200); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "process $3 died before listening on $1:$2" >&2; return 1; }
    sleep 0.05
  done
  echo "nothing listening on $1:$2" >&2; return 1
}
now() { date +%s.%N; }
per_item() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
db_ticks() { # CPU of the private PostgreSQL: the postmaster, its live children and those that exited
  [[ $DB == Postgres ]] || { echo 0; return; }
  local pm t c
  pm=$(head -1 "$WORK/pg/data/postmaster.pid")
  t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")
  for c in $(ps -o pid= --ppid "$pm"); do t=$(( t + $(cpu_ticks "$c" 2>/dev/null || echo 0) )); done
  echo "$t"
}
AS=()
if [[ $DB == Postgres ]]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PGPORT=$(pick_port 127.0.0.1)
  mkdir -p "$WORK/pg"
  if [[ $(id -u) == 0 ]]; then chmod 755 "$WORK"; chown postgres "$WORK/pg"; AS=(runuser -u postgres --); fi
  "${AS[@]}" "$PGBIN/initdb" -D "$WORK/pg/data" -A trust -U postgres >"$OUT/initdb.log" 2>&1
  # Durable settings (fsync on), a modest shared_buffers as on a small dedicated host.
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
    -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=4GB" start >>"$OUT/initdb.log" 2>&1
  PGSTOP=("${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop)
elif [[ $DB != SQLite ]]; then
  echo "DB must be SQLite or Postgres" >&2; exit 2
fi
sql() { # sql N QUERY: one value
  if [[ $DB == SQLite ]]; then sqlite3 "$WORK/$1/mogilefs.sqlite" "$2"
  else psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d "mog$1" -Atc "$2"; fi
}
tracker() { # tracker LINE: the reply line
  local reply
  exec 3<>"/dev/tcp/127.0.5.1/$TRACKER_PORT"
  printf '%s\r\n' "$1" >&3
  IFS= read -r reply <&3
  exec 3>&-
  echo "${reply%$'\r'}"
}

CSV=$OUT/growth.csv
echo "db,files,operation,ops_per_s,p50_ms,p99_ms,value,tracker_cpu_us,db_cpu_us" >"$CSV"
HTTP=$(pick_port 127.0.5.1 127.0.5.2)
MGMT=$(pick_port 127.0.5.1 127.0.5.2)
TRACKER_PORT=$(pick_port 127.0.5.1)
STATUS_PORT=$(pick_port 127.0.5.1)
echo "# growth benchmark: $DB, sizes $SIZES, $(nproc) cores (shared with other work: read ratios), results in $OUT"

IFS=, read -ra SIZE_LIST <<<"$SIZES"
for N in "${SIZE_LIST[@]}"; do
  W=$WORK/$N
  mkdir -p "$W/node1/dev1" "$W/node1/dev2" "$W/node1/dev5" "$W/node2/dev3" "$W/node2/dev4"
  if [[ $DB == SQLite ]]; then
    "${DBSETUP[@]}" --type=SQLite --yes --dbname="$W/mogilefs.sqlite" >"$OUT/mogdbsetup-$N.log" 2>&1
    DSN="DBI:SQLite:dbname=$W/mogilefs.sqlite"; DBUSER=; DBPASS=
  else
    "${DBSETUP[@]}" --type=Postgres --yes --dbhost=127.0.0.1 --dbport="$PGPORT" --dbrootuser=postgres \
      --dbname="mog$N" --dbuser=mogile --dbpass=mogile >"$OUT/mogdbsetup-$N.log" 2>&1
    DSN="DBI:Pg:dbname=mog$N;host=127.0.0.1;port=$PGPORT"; DBUSER=mogile; DBPASS=mogile
  fi
  real=$(( REAL < N ? REAL : N ))
  t0=$(now)
  "${MOGSEED[@]}" --dsn "$DSN" ${DBUSER:+--dbuser "$DBUSER" --dbpass "$DBPASS"} --files "$N" --real "$real" \
    --docroot "5=$W/node1" --docroot "3=$W/node2" 2>"$OUT/seed-$N.err" | tee "$OUT/seed-$N.txt"
  seed_s=$(echo "$(now) - $t0" | bc)
  echo "$DB,$N,seed_seconds,,,,$seed_s" >>"$CSV"

  i=0
  for ip in 127.0.5.1 127.0.5.2; do
    i=$((i + 1))
    dotnet exec "$(dll src/mogstored mogstored)" --skipconfig --httplisten="$ip:$HTTP" --mgmtlisten="$ip:$MGMT" \
      --docroot="$W/node$i" --access_log=0 >"$OUT/mogstored-$N-$i.log" 2>&1 &
    PIDS+=($!)
    wait_port "$ip" "$HTTP" "$!"
  done
  cat >"$W/mogilefsd.conf" <<CONF
db_dsn = $DSN
${DBUSER:+db_user = $DBUSER}
${DBPASS:+db_pass = $DBPASS}
listen = 127.0.5.1:$TRACKER_PORT
status_listen = 127.0.5.1:$STATUS_PORT
mogstored_stream_port = $MGMT
$(if [[ $(id -u) == 0 ]]; then echo "user = root"; fi)
CONF
  dotnet exec "$(dll src/mogilefsd mogilefsd)" --config="$W/mogilefsd.conf" >"$OUT/mogilefsd-$N.log" 2>&1 &
  TRACKER_PID=$!
  PIDS+=($!)
  wait_port 127.0.5.1 "$TRACKER_PORT" "$TRACKER_PID"
  "${MOGLOAD[@]}" --tracker "127.0.5.1:$TRACKER_PORT" --prepare --class one \
    --node "h1=127.0.5.1:$HTTP:1,2,5" --node "h2=127.0.5.2:$HTTP:3,4" --files "$N" \
    --commands noop --concurrency 1 --duration 0.2 --warmup 0 >"$OUT/prepare-$N.txt"
  # Measure a settled tracker: its first count of the file table (metrics sampler, a full scan) is
  # done, and every command has run for a few seconds (JIT, connection pools), unmeasured.
  for _ in $(seq 1200); do
    curl -s "http://127.0.5.1:$STATUS_PORT/metrics" | grep -q 'sample="files"' && break
    sleep 0.5
  done
  "${MOGLOAD[@]}" --tracker "127.0.5.1:$TRACKER_PORT" --class one --files "$N" --commands "$COMMANDS" \
    --concurrency "$CONCURRENCY" --duration 2 --warmup 0 >"$OUT/warmup-$N.txt"
  # One mogload run per command, so that the CPU the tracker (and PostgreSQL) spent is known per
  # command: CPU per request depends much less on the other work on a shared machine than ops/s.
  IFS=, read -ra CMD_LIST <<<"$COMMANDS"
  for cmd in "${CMD_LIST[@]}"; do
    t0=$(cpu_ticks "$TRACKER_PID"); d0=$(db_ticks)
    "${MOGLOAD[@]}" --tracker "127.0.5.1:$TRACKER_PORT" --class one --files "$N" --commands "$cmd" \
      --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" --csv "$W/load.csv" | tee -a "$OUT/load-$N.txt"
    t1=$(cpu_ticks "$TRACKER_PID"); d1=$(db_ticks)
    # Requests sent = measured ops/s x (warm-up + measured time); CPU in microseconds per request.
    awk -F, -v db="$DB" -v n="$N" -v t=$((t1 - t0)) -v d=$((d1 - d0)) -v hz="$(getconf CLK_TCK)" -v secs="$(echo "$DURATION + $WARMUP" | bc)" \
      'NR > 1 { req = $3 * secs; printf "%s,%s,%s,%s,%s,%s,,%.0f,%.0f\n", db, n, $1, $3, $4, $5, (req > 0 ? t / hz * 1e6 / req : 0), (req > 0 ? d / hz * 1e6 / req : 0) }' \
      "$W/load.csv" >>"$CSV"
  done

  # fsck: a full pass over the fids that have real files (startpos = the fid before them).
  tracker "fsck_stop" >/dev/null
  r=$(tracker "fsck_reset startpos=$(( N - real ))"); [[ $r == OK* ]] || { echo "fsck_reset: $r" >&2; exit 1; }
  checked=$(sql "$N" "SELECT COUNT(*) FROM file WHERE fid > $(( N - real ))")  # the REAL fids and what mogload stored
  t0=$(now); c0=$(cpu_ticks "$TRACKER_PID"); d0=$(db_ticks)
  r=$(tracker "fsck_start"); [[ $r == OK* ]] || { echo "fsck_start: $r" >&2; exit 1; }
  for _ in $(seq 6000); do
    host=$(sql "$N" "SELECT value FROM server_settings WHERE field = 'fsck_host'")
    queued=$(sql "$N" "SELECT COUNT(*) FROM file_to_queue WHERE type = 1")
    [[ -z $host && $queued == 0 ]] && break
    sleep 0.2
  done
  fsck_s=$(echo "$(now) - $t0" | bc); c1=$(cpu_ticks "$TRACKER_PID"); d1=$(db_ticks)
  tracker "fsck_status" >"$OUT/fsck-$N.txt"
  echo "$DB,$N,fsck_files_per_s,$(echo "scale=1; $checked / $fsck_s" | bc),,,$fsck_s,$(per_item $((c1 - c0)) "$checked"),$(per_item $((d1 - d0)) "$checked")" >>"$CSV"
  echo "# fsck: $checked files in $fsck_s s ($(tail -c 300 "$OUT/fsck-$N.txt"))"

  # Replication: device 5 dies; its files must get their second copy back from device 3.
  t0=$(now); c0=$(cpu_ticks "$TRACKER_PID"); d0=$(db_ticks)
  r=$(tracker "set_state host=h1&device=5&state=dead"); [[ $r == OK* ]] || { echo "set_state: $r" >&2; exit 1; }
  for _ in $(seq 12000); do
    left=$(sql "$N" "SELECT COUNT(*) FROM file_on WHERE devid = 5")
    copies=$(sql "$N" "SELECT COUNT(*) FROM file_on WHERE fid > $(( N - real )) AND fid <= $N")
    [[ $left == 0 && $copies -ge $(( 2 * real )) ]] && break
    sleep 0.2
  done
  repl_s=$(echo "$(now) - $t0" | bc); c1=$(cpu_ticks "$TRACKER_PID"); d1=$(db_ticks)
  echo "$DB,$N,dead_device_files_per_s,$(echo "scale=1; $real / $repl_s" | bc),,,$repl_s,$(per_item $((c1 - c0)) "$real"),$(per_item $((d1 - d0)) "$real")" >>"$CSV"
  echo "# replication of dead device 5: $real files in $repl_s s (left on dev5: $left, copies: $copies of $(( 2 * real )))"

  # The metrics sampler's count of the file table (a full scan, at start and then every minute or less often).
  scan=$(curl -s "http://127.0.5.1:$STATUS_PORT/metrics" | awk '/^mogilefs_metrics_files_sample_duration_seconds/ { print $2 }')
  echo "$DB,$N,file_count_scan_s,,,,${scan:-}" >>"$CSV"
  echo "# metrics sampler: counting the file table took ${scan:-?} s"
  rss=$(awk '/VmRSS/ { print $2 / 1024 }' "/proc/$TRACKER_PID/status")
  hwm=$(awk '/VmHWM/ { print $2 / 1024 }' "/proc/$TRACKER_PID/status")
  if [[ $DB == SQLite ]]; then
    dbmb=$(du -cm "$W"/mogilefs.sqlite* | tail -1 | cut -f1)
  else
    dbmb=$(( $(sql "$N" "SELECT pg_database_size(current_database())") / 1048576 ))
  fi
  echo "$DB,$N,tracker_rss_mb,,,,$rss" >>"$CSV"
  echo "$DB,$N,tracker_peak_rss_mb,,,,$hwm" >>"$CSV"
  echo "$DB,$N,database_mb,,,,$dbmb" >>"$CSV"
  echo "# tracker RSS $rss MB (peak $hwm MB), database $dbmb MB"

  stop_pids
  if [[ $DB == Postgres ]]; then "${AS[@]}" "$PGBIN/dropdb" -h 127.0.0.1 -p "$PGPORT" -U postgres "mog$N" || true; fi
  rm -rf "$W"
done

# The table: operation x size. Load rows show ops/s and p50/p99 ms; the rest their value.
awk -F, 'NR > 1 {
    if (!($2 in seen)) { seen[$2] = 1; sizes[++ns] = $2 }
    if (!($3 in op)) { op[$3] = 1; ops[++no] = $3 }
    v[$3, $2] = ($4 != "" && $5 != "") ? sprintf("%s/s %s|%s ms %s+%sus", $4, $5, $6, $8, $9) : ($4 != "" ? sprintf("%s/s %s+%sus", $4, $8, $9) : $7)
  }
  END {
    printf "%-24s", "operation \\ files"; for (i = 1; i <= ns; i++) printf " %36s", sizes[i]; printf "\n"
    for (j = 1; j <= no; j++) { printf "%-24s", ops[j]; for (i = 1; i <= ns; i++) printf " %36s", v[ops[j], sizes[i]]; printf "\n" }
  }' "$CSV" | tee "$OUT/growth.txt"
