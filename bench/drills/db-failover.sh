#!/usr/bin/env bash
# Drill (issue 16): the PostgreSQL primary dies in the middle of a store storm.
#
# Starts, as private processes in a temp dir on loopback (addresses 127.R.x.y of this run):
# etcd (one member), a 3-member Patroni cluster of PostgreSQL with synchronous replication
# (synchronous_mode, synchronous_commit=on; primary_start_timeout=0 so that a crashed primary
# is failed over at once instead of restarted), mogdbsetup against it through the multi-host
# DSN, two storage nodes and one tracker on the multi-host DSN
#   DBI:Pg:dbname=mogilefs;host=<pg1>,<pg2>,<pg3>;port=5432
# Then, ROUNDS times: an 8-client store storm (mogstorm), WARMUP s in, SIGKILL to the postmaster
# of the current primary (Patroni promotes the synchronous standby), AFTER s more of storm, then
# every acknowledged key is checked (known to the tracker with its length, fetched with its
# bytes, from the new primary's database). Reports per round: the error window (first failed
# store to the first acknowledged store after the burst), stores failed, acknowledged stores
# lost (must be 0), Patroni's own failover time (kill to a new primary answering).
#
# After the last round, every key acknowledged in any round is checked once more.
# Environment: ROUNDS (3), WARMUP (8), AFTER (20), CLIENTS (8), SIZE (4096), ASYNC=1 (asynchronous
# replication instead, to measure what it risks), RECONNECT_WAIT (the tracker's db_reconnect_wait,
# default its own 3 s), KEEP=1 (keep the temp dir), NO_BUILD=1,
# RESULTS=FILE (append result lines), PGBIN (PostgreSQL binaries; default the newest
# /usr/lib/postgresql/*/bin). Needs: etcd (Debian etcd-server), patroni (Debian patroni 3.x).
# Everything it starts is stopped on exit, by PID.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-8}
AFTER=${AFTER:-20}
CLIENTS=${CLIENTS:-8}
SIZE=${SIZE:-4096}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
command -v etcd >/dev/null || die "etcd not found (Debian: apt-get install -y etcd-server)"
command -v patroni >/dev/null || die "patroni not found (Debian: apt-get install -y patroni)"
[[ -x "$PGBIN/postgres" ]] || die "PostgreSQL binaries not found (PGBIN=$PGBIN)"
MODE=sync; [[ "${ASYNC:-}" == 1 ]] && MODE=async

drill_build
drill_init db-failover

# PostgreSQL refuses to run as root: Patroni (and so PostgreSQL) runs as 'postgres' then.
AS=()
if [[ $(id -u) == 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run PostgreSQL as"
  AS=(runuser -u postgres --)
  chmod 755 "$WORK"
fi

ETCD_IP=$NET.3.1
pg_ip() { echo "$NET.2.$1"; }
PG_HOSTS="$(pg_ip 1),$(pg_ip 2),$(pg_ip 3)"

# Stops Patroni before etcd (a Patroni without its DCS hangs on the way out), then any postmaster
# left behind, then the rest (lib.sh).
db_cleanup() {
  local pid n pm
  for n in 1 2 3; do pid=$(pid_of "patroni$n" 2>/dev/null || true); [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null || true; done
  for n in 1 2 3; do
    pid=$(pid_of "patroni$n" 2>/dev/null || true); [[ -z "$pid" ]] && continue
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  for n in 1 2 3; do
    pm=$(head -n 1 "$WORK/pg$n/data/postmaster.pid" 2>/dev/null || true)
    [[ -n "$pm" ]] && kill -QUIT "$pm" 2>/dev/null || true
  done
  drill_cleanup
}
trap db_cleanup EXIT

# ---- etcd ---------------------------------------------------------------------------------
spawn etcd etcd --name drill --data-dir "$WORK/etcd" \
  --listen-client-urls "http://$ETCD_IP:2379" --advertise-client-urls "http://$ETCD_IP:2379" \
  --listen-peer-urls "http://$ETCD_IP:2380" --initial-advertise-peer-urls "http://$ETCD_IP:2380" \
  --initial-cluster "drill=http://$ETCD_IP:2380" --initial-cluster-state new
wait_port "$ETCD_IP" 2379 etcd

# ---- Patroni + PostgreSQL -------------------------------------------------------------------
sync_mode=true; [[ $MODE == async ]] && sync_mode=false
for n in 1 2 3; do
  ip=$(pg_ip "$n")
  mkdir -p "$WORK/pg$n"
  cat > "$WORK/pg$n/patroni.yml" <<YML
scope: mogdrill
name: pg$n
restapi:
  listen: $ip:8008
  connect_address: $ip:8008
etcd3:
  hosts: $ETCD_IP:2379
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    primary_start_timeout: 0
    synchronous_mode: $sync_mode
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        synchronous_commit: "on"
        wal_log_hints: "on"
        max_connections: 200
  initdb:
  - encoding: UTF8
  - locale: C
  pg_hba:
  - local all all trust
  - host replication all 127.0.0.0/8 trust
  - host all all 127.0.0.0/8 trust
postgresql:
  listen: $ip:5432
  connect_address: $ip:5432
  data_dir: $WORK/pg$n/data
  bin_dir: $PGBIN
  pgpass: $WORK/pg$n/pgpass
  authentication:
    superuser: {username: postgres, password: drill}
    replication: {username: replicator, password: drill}
    rewind: {username: rewinder, password: drill}
  parameters:
    unix_socket_directories: $WORK/pg$n
YML
done
[[ ${#AS[@]} -gt 0 ]] && chown -R postgres "$WORK"/pg1 "$WORK"/pg2 "$WORK"/pg3

# role_of N: Patroni's view of member N: "primary", "replica" or "down".
role_of() {
  local code
  code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://$(pg_ip "$1"):8008/primary" 2>/dev/null || true)
  if [[ $code == 200 ]]; then echo primary; elif [[ $code == 503 ]]; then echo replica; else echo down; fi
}
leader() { local n; for n in 1 2 3; do [[ $(role_of "$n") == primary ]] && { echo "$n"; return 0; }; done; return 1; }
# healthy: one primary and two running replicas, one of them the synchronous standby (sync mode).
healthy() {
  local json
  json=$(curl -s -m 1 "http://$(pg_ip "$1"):8008/cluster" 2>/dev/null) || return 1
  python3 - "$json" "$MODE" <<'PY' >/dev/null
import json, sys
c = json.loads(sys.argv[1]); roles = [m.get("role") for m in c["members"] if m.get("state") == "running"]
ok = len(roles) == 3 and roles.count("leader") == 1 and (sys.argv[2] != "sync" or "sync_standby" in roles)
sys.exit(0 if ok else 1)
PY
}

log "starting Patroni ($MODE replication) with PostgreSQL from $PGBIN"
spawn patroni1 "${AS[@]}" patroni "$WORK/pg1/patroni.yml"
for _ in $(seq 300); do [[ $(role_of 1) == primary ]] && break; sleep 0.2; done
[[ $(role_of 1) == primary ]] || die "pg1 did not become the primary (log: $WORK/logs/patroni1.log)"
spawn patroni2 "${AS[@]}" patroni "$WORK/pg2/patroni.yml"
spawn patroni3 "${AS[@]}" patroni "$WORK/pg3/patroni.yml"
wait_healthy() {
  local n
  for _ in $(seq 600); do
    for n in 1 2 3; do healthy "$n" && return 0; done
    sleep 0.2
  done
  die "the Patroni cluster did not get back to a primary and two replicas (logs: $WORK/logs/patroni*.log)"
}
wait_healthy
log "Patroni cluster up: primary pg$(leader)"

# ---- MogileFS ------------------------------------------------------------------------------------
"$BIN/mogdbsetup" --type=Postgres --yes --dbhost="$PG_HOSTS" --dbport=5432 --dbname=mogilefs \
  --dbrootuser=postgres --dbrootpassword=drill --dbuser=mogile --dbpass=mogile >"$WORK/logs/mogdbsetup.log" 2>&1 \
  || die "mogdbsetup failed (log: $WORK/logs/mogdbsetup.log)"
DSN="DBI:Pg:dbname=mogilefs;host=$PG_HOSTS;port=5432"
DB_USER_LINES=$'db_user = mogile\ndb_pass = mogile\n'
start_node 1
start_node 2
start_tracker 1 ${RECONNECT_WAIT:+"db_reconnect_wait = $RECONNECT_WAIT"}
register 2 2
TRACKERS="$NET.0.1:7001"
log "tracker on $DSN"

# ---- rounds --------------------------------------------------------------------------------------
summary="$WORK/rounds.tsv"
printf 'round\tkilled\tfailover_s\tstores_ok\tstores_failed\terror_window_s\tlongest_gap_s\tacked_lost\n' > "$summary"
total_lost=0
for round in $(seq "$ROUNDS"); do
  wait_healthy
  out="$WORK/storm$round"
  mkdir -p "$out"
  spawn "storm$round" "$BIN/mogstorm" --trackers="$TRACKERS" --domain=drill --class=drill --clients="$CLIENTS" \
    --size="$SIZE" --duration=0 --out="$out" --stop-file="$out/stop" --prefix="r$round" --request-timeout=10
  sleep "$WARMUP"
  victim=$(leader) || die "no primary before round $round"
  pm=$(head -n 1 "$WORK/pg$victim/data/postmaster.pid")
  kill_ms=$(now_ms)
  kill -KILL "$pm"
  log "round $round: SIGKILL to the postmaster ($pm) of primary pg$victim"
  new=""
  for _ in $(seq 600); do
    new=$(leader || true)
    [[ -n "$new" && "$new" != "$victim" ]] && break
    sleep 0.05
  done
  failover_ms=$(( $(now_ms) - kill_ms ))
  log "round $round: pg$new is the primary after $(awk "BEGIN{printf \"%.2f\", $failover_ms/1000}") s"
  sleep "$AFTER"
  touch "$out/stop"
  pid=$(pid_of "storm$round")
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  "$BIN/mogstorm" report --out="$out" --label="round $round" | tee "$out/report.txt" >&2
  if [[ -s "$out/errors.tsv" ]]; then
    log "round $round: failed stores by reply: $(cut -f5,6 "$out/errors.tsv" | sort | uniq -c | sed 's/^ *//' | paste -sd';')"
  fi
  "$BIN/mogstorm" verify --trackers="$TRACKERS" --domain=drill --out="$out" > "$out/verify.txt" 2>&1 || true
  grep -E "^verify: [0-9]+ ok" "$out/verify.txt" >&2 || cat "$out/verify.txt" >&2
  read_env "$out/summary.env" S
  read_env "$out/verify.env" V
  [[ -n "${V_LOST:-}" ]] || die "verify wrote no figures (see $out/verify.txt)"
  lost=$(( V_LOST + V_BAD + V_UNREADABLE ))
  total_lost=$(( total_lost + lost ))
  printf '%s\tpg%s\t%.2f\t%s\t%s\t%s\t%s\t%s\n' "$round" "$victim" "$(awk "BEGIN{print $failover_ms/1000}")" \
    "$S_OK" "$S_FAILED" "$S_MAX_WINDOW" "$S_LONGEST_GAP" "$lost" >> "$summary"
  result "db-failover ($MODE) round $round" "$S_OK" "$S_FAILED" "$S_MAX_WINDOW" "$lost" "$(awk "BEGIN{printf \"%.2f\", $failover_ms/1000}")"
done

# Every key acknowledged in any round, once more, after all the failovers.
all_acked=$(ls "$WORK"/storm*/acked.tsv | paste -sd,)
mkdir -p "$WORK/final"
"$BIN/mogstorm" verify --trackers="$TRACKERS" --domain=drill --out="$WORK/final" --acked="$all_acked" > "$WORK/final/verify.txt" 2>&1 || true
grep -E "^verify: [0-9]+ ok" "$WORK/final/verify.txt" >&2 || cat "$WORK/final/verify.txt" >&2
read_env "$WORK/final/verify.env" F
final_lost=$(( F_LOST + F_BAD + F_UNREADABLE ))
# The tools take the same multi-host DSN (they reach whichever member is the primary now).
"$BIN/mogstats" --db_dsn="$DSN" --db_user=mogile --db_pass=mogile --stats=files > "$WORK/final/mogstats.txt" 2>&1 \
  || die "mogstats on the multi-host DSN failed: $(cat "$WORK/final/mogstats.txt")"
log "mogstats on the multi-host DSN (primary now pg$(leader)): $(grep -iE 'total|drill' "$WORK/final/mogstats.txt" | head -3 | tr -s ' \n' ' ')"
total_lost=$(( total_lost + final_lost ))

echo
echo "# PostgreSQL primary killed during a $CLIENTS-client store storm ($MODE replication, Patroni $(patroni --version 2>/dev/null | awk '{print $2}'), $(nproc) cores)"
column -t -s $'\t' "$summary"
echo "# failover_s: SIGKILL to Patroni's new primary answering; error_window_s: first failed store to the first"
echo "# acknowledged store after the burst (0 = no store failed); acked_lost: acknowledged stores not readable afterwards"
echo "# after all rounds: $F_VERIFIED acknowledged keys checked again, $final_lost lost${RECONNECT_WAIT:+; db_reconnect_wait = $RECONNECT_WAIT}"
[[ $total_lost == 0 ]] || { log "acknowledged stores were lost ($final_lost of them in the final check of every round's keys)"; exit 1; }
