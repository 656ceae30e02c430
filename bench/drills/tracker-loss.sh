#!/usr/bin/env bash
# Drill: one of two trackers is SIGKILLed in the middle of a store storm.
# Two trackers (one database: SQLite by default), three storage nodes, class with 2 copies.
# Three kinds of client store with both trackers configured, all at once:
#   .NET client  mogstorm, 8 clients (src/MogileFS.Client)
#   Perl client  MogileFS::Client from /work/ref/mogilefs+perl-MogileFS-Client (PERL_CLIENT=dir/lib)
#   tools        a loop of mogupload --trackers=t1,t2 (one process per store)
# Tracker 1 is killed after WARM seconds; the storm goes on for AFTER seconds. Reports, per
# client: stores ok/failed, the error window, the longest any one client went without an
# acknowledged store across the kill (for the tools that includes starting a process, about 1 s
# on a busy 2-core machine), and how many acknowledged keys are missing or wrong afterwards
# (verify through tracker 2).
#   bench/drills/tracker-loss.sh            WARM=10 AFTER=15 CLIENTS=8 SIZE=1024 KEEP=1 NO_BUILD=1
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WARM="${WARM:-10}"; AFTER="${AFTER:-15}"; CLIENTS="${CLIENTS:-8}"; SIZE="${SIZE:-1024}"
PERL_CLIENT="${PERL_CLIENT:-/work/ref/mogilefs+perl-MogileFS-Client/lib}"

drill_build
drill_init tracker-loss
db_setup
for n in 1 2 3; do start_node "$n"; done
start_tracker 1
start_tracker 2
register 3 2
T1="$NET.0.1:7001"; T2="$NET.0.2:7001"; BOTH="$T1,$T2"
STOP="$WORK/stop"
mkdir -p "$WORK/dotnet" "$WORK/perl" "$WORK/tools"

log "storm: .NET client ($CLIENTS clients), Perl client, mogupload loop; trackers $BOTH"
spawn storm "$BIN/mogstorm" --trackers="$BOTH" --domain=drill --class=drill --clients="$CLIENTS" --size="$SIZE" \
  --duration=0 --stop-file="$STOP" --out="$WORK/dotnet" --prefix=dotnet
have_perl=0
if perl -I"$PERL_CLIENT" -MMogileFS::Client -e1 2>/dev/null; then
  have_perl=1
  spawn perl perl -I"$PERL_CLIENT" "$DRILLS_DIR/perl-storm.pl" "$BOTH" drill drill "$SIZE" "$WORK/perl" perl "$STOP"
else
  log "Perl client not found at $PERL_CLIENT (set PERL_CLIENT=.../lib); skipping it"
fi
tools_loop() {
  local n=0 key start end
  while [[ ! -e "$STOP" ]]; do
    n=$((n + 1)); key="tools/$n"
    # content rule of mogstorm: "key\n" repeated, cut to SIZE
    { yes "$key" 2>/dev/null || true; } | head -c "$SIZE" > "$WORK/tools/body"
    start=$(now_ms)
    if out=$("$BIN/mogupload" --trackers="$BOTH" --domain=drill --class=drill --key="$key" --file="$WORK/tools/body" 2>&1); then
      printf '%s\t%s\ttools\t%s\t%s\t-\n' "$(now_ms)" "$start" "$key" "$SIZE" >> "$WORK/tools/acked.tsv"
    else
      printf '%s\t%s\ttools\t%s\terror\t%s\n' "$(now_ms)" "$start" "$key" "$(tr '\t\n' '  ' <<<"$out")" >> "$WORK/tools/errors.tsv"
      sleep 0.05
    fi
  done
}
tools_loop &
TOOLS_PID=$!; PIDS+=("$TOOLS_PID")

sleep "$WARM"
KILL_MS=$(now_ms)
kill -KILL "$(pid_of tracker1)"
log "SIGKILLed tracker 1 ($T1)"
sleep "$AFTER"
touch "$STOP"
wait "$(pid_of storm)" || true
[[ $have_perl == 1 ]] && { wait "$(pid_of perl)" || true; }
wait "$TOOLS_PID" || true
log "storm stopped; verifying every acknowledged key through tracker 2"

fail=0
for c in dotnet perl tools; do
  [[ $c == perl && $have_perl == 0 ]] && continue
  "$BIN/mogstorm" report --out="$WORK/$c" --label="$c" --since-ms="$KILL_MS" | sed "s/^/  /"
  "$BIN/mogstorm" verify --trackers="$T2" --domain=drill --out="$WORK/$c" | sed "s/^/  /" || fail=1
  read_env "$WORK/$c/summary.env" S
  read_env "$WORK/$c/verify.env" V
  lost=$((V_LOST + V_BAD + V_UNREADABLE))
  [[ $lost == 0 ]] || fail=1
  result "tracker loss: $c client" "$S_OK" "$S_FAILED" "$S_MAX_WINDOW s (a client's longest wait across the kill $S_EVENT_GAP s; store p50 $S_P50_MS ms)" "$lost" "-"
done
log "tracker killed at $(date -u -d @$((KILL_MS / 1000)) +%H:%M:%S) UTC"
exit $fail
