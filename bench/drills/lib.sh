# Shared helpers of the failure drills (sourced by bench/drills/*.sh; not run on its own).
# Everything runs on loopback addresses of its own (127.<R>.x.y, R picked per run) so a drill
# does not collide with ./cluster or another drill, in a temp directory that is removed at the
# end (KEEP=1 keeps it). Only processes this shell started are stopped, by PID.
set -euo pipefail

DRILLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$DRILLS_DIR/../.." && pwd)"
BIN="${BIN:-$REPO/artifacts/drills}"
PIDS=()
WORK=""

log() { printf '%s %s\n' "$(date -u +%H:%M:%S.%3N)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
now_ms() { date +%s%3N; }

# Builds the programs (tracker, storage node, tools) and mogstorm into $BIN, unless NO_BUILD=1.
drill_build() {
  [[ "${NO_BUILD:-}" == 1 && -x "$BIN/mogstorm" ]] && return 0
  log "building into $BIN ..."
  nice -n 10 dotnet build "$REPO/src/mogcluster/mogcluster.csproj" -c Release -o "$BIN" -nologo -v quiet -clp:ErrorsOnly\;NoSummary >&2
  nice -n 10 dotnet build "$REPO/bench/drills/Storm/Storm.csproj" -c Release -o "$BIN" -nologo -v quiet -clp:ErrorsOnly\;NoSummary >&2
}

drill_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -n "$WORK" && "${KEEP:-}" != 1 ]]; then rm -rf "$WORK"; elif [[ -n "$WORK" ]]; then log "kept $WORK"; fi
}

# drill_init NAME: temp dir, cleanup trap, a private 127.R.0.0/16 range.
drill_init() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/drill-$1.XXXXXX")"
  trap drill_cleanup EXIT
  trap 'exit 130' INT TERM
  NET="127.$(( (RANDOM % 200) + 30 ))"
  mkdir -p "$WORK/logs" "$WORK/conf"
  log "$1: working in $WORK, addresses $NET.x.y"
}

# spawn NAME CMD...: starts a process in the background, logs to $WORK/logs/NAME.log, records its PID.
spawn() {
  local name="$1"; shift
  "$@" >"$WORK/logs/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  eval "PID_${name//[^A-Za-z0-9]/_}=$pid"
}
pid_of() { local v="PID_${1//[^A-Za-z0-9]/_}"; echo "${!v}"; }

wait_port() { # HOST PORT NAME
  for _ in $(seq 200); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "$3 did not listen on $1:$2 (log: $WORK/logs/$3.log)"
}

# start_node N: storage node nodeN on $NET.1.N:7500 (side channel 7501) with device devN.
start_node() {
  local n="$1" ip="$NET.1.$1"
  mkdir -p "$WORK/node$n/dev$n"
  printf 'httplisten = %s:7500\nmgmtlisten = %s:7501\ndocroot = %s\n' "$ip" "$ip" "$WORK/node$n" > "$WORK/conf/mogstored-node$n.conf"
  spawn "node$n" "$BIN/mogstored" --config="$WORK/conf/mogstored-node$n.conf"
  wait_port "$ip" 7500 "node$n"
}

# db_setup: SQLite file (default) or DB=Postgres (a private server from the test fixture's recipe is
# not available to shell scripts: set PG_DSN/PG_USER/PG_PASS to a prepared database instead).
db_setup() {
  if [[ "${DB:-SQLite}" == Postgres ]]; then
    [[ -n "${PG_DSN:-}" ]] || die "DB=Postgres needs PG_DSN (e.g. DBI:Pg:dbname=mogilefs;host=127.0.0.1;port=5432), PG_USER, PG_PASS"
    DSN="$PG_DSN"; DB_USER_LINES="db_user = ${PG_USER:-mogile}"$'\n'"db_pass = ${PG_PASS:-}"$'\n'
  else
    "$BIN/mogdbsetup" --type=SQLite --yes --dbname="$WORK/mogilefs.sqlite" >"$WORK/logs/mogdbsetup.log" 2>&1
    DSN="DBI:SQLite:dbname=$WORK/mogilefs.sqlite"; DB_USER_LINES=""
  fi
}

# start_tracker N [extra config lines]: tracker trackerN on $NET.0.N:7001.
start_tracker() {
  local n="$1" ip="$NET.0.$1"; shift
  { printf 'db_dsn = %s\n%slisten = %s:7001\nquery_jobs = 20\nmogstored_stream_port = 7501\n' "$DSN" "$DB_USER_LINES" "$ip"
    [[ $(id -u) == 0 ]] && echo "user = root"
    for line in "$@"; do echo "$line"; done; } > "$WORK/conf/mogilefsd-$n.conf"
  spawn "tracker$n" "$BIN/mogilefsd" --config="$WORK/conf/mogilefsd-$n.conf"
  wait_port "$ip" 7001 "tracker$n"
}

# register NODES MINDEVCOUNT: domain 'drill', class 'drill' with the count, hosts node1..N with one device each.
register() {
  local nodes="$1" count="$2" t="--trackers=$NET.0.1:7001" n
  "$BIN/mogadm" "$t" domain add drill
  "$BIN/mogadm" "$t" class add drill drill --mindevcount="$count"
  for n in $(seq "$nodes"); do
    "$BIN/mogadm" "$t" host add "node$n" --ip="$NET.1.$n" --port=7500 --status=alive
    "$BIN/mogadm" "$t" device add "node$n" "$n"
  done
  # wait until a store works (the tracker's monitor has seen the devices writeable)
  echo probe > "$WORK/probe"
  for _ in $(seq 100); do
    "$BIN/mogupload" "$t" --domain=drill --key=probe --file="$WORK/probe" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "no store succeeded within 20 s of registering the nodes"
}

# read_env FILE PREFIX: loads KEY=VALUE lines as shell variables PREFIX_KEY.
read_env() {
  local k v
  while IFS='=' read -r k v; do [[ -n "$k" ]] && printf -v "${2}_$k" '%s' "$v"; done < "$1"
}

# result SCENARIO OK FAILED WINDOW LOST RECOVERY: one line of the drills' table, also appended to $RESULTS.
result() {
  local line
  line="$(printf '%s\t%s\t%s\t%s\t%s\t%s' "$@")"
  echo "RESULT	$line"
  if [[ -n "${RESULTS:-}" ]]; then echo "$line" >> "$RESULTS"; fi
}
