#!/usr/bin/env bash
# Drill: a storage node is SIGKILLed for good in the middle of a store storm.
# One tracker (SQLite by default), three storage nodes with one device each, a class with 2 copies,
# server setting auto_mark_dead_after=DEAD_AFTER (ours, off by default; docs/configuration.md).
# mogstorm stores with CLIENTS clients (a store counts once 2 copies are recorded, see MIN_COPIES) and READERS clients read random acknowledged keys the whole
# time. Node 3 is killed after WARM seconds; the storm goes on for AFTER seconds. Then every
# acknowledged key is checked (known, right bytes) and the drill waits until every file has its
# class's copy count on the surviving nodes, reporting how long after the kill that was.
#   bench/drills/storage-loss.sh     WARM=10 AFTER=20 DEAD_AFTER=10 CLIENTS=8 READERS=4 KEEP=1 NO_BUILD=1
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WARM="${WARM:-10}"; AFTER="${AFTER:-20}"; DEAD_AFTER="${DEAD_AFTER:-10}"
CLIENTS="${CLIENTS:-8}"; READERS="${READERS:-4}"; SIZE="${SIZE:-1024}"; RECOVERY_LIMIT="${RECOVERY_LIMIT:-600}"
# A store is acknowledged once the tracker records 2 copies (StoreOptions.MinCopies): MogileFS
# acknowledges create_close with one copy and replicates afterwards, so a file whose only copy
# was on the killed node is gone with it. MIN_COPIES=0 measures that (2.73-style acknowledgement).
MIN_COPIES="${MIN_COPIES:-2}"

drill_build
drill_init storage-loss
db_setup
for n in 1 2 3; do start_node "$n"; done
start_tracker 1
register 3 2
T1="$NET.0.1:7001"
"$BIN/mogadm" --trackers="$T1" settings set auto_mark_dead_after "$DEAD_AFTER"
STOP="$WORK/stop"

log "storm: $CLIENTS writers, $READERS readers through $T1"
spawn storm "$BIN/mogstorm" --trackers="$T1" --domain=drill --class=drill --clients="$CLIENTS" --readers="$READERS" \
  --size="$SIZE" --duration=0 --stop-file="$STOP" --out="$WORK/storm" --prefix=storage --min-copies="$MIN_COPIES"
sleep "$WARM"
KILL_MS=$(now_ms)
kill -KILL "$(pid_of node3)"
log "SIGKILLed storage node 3 ($NET.1.3), for good"
sleep "$AFTER"
touch "$STOP"
wait "$(pid_of storm)" || true
log "storm stopped; checking every acknowledged key, then waiting for every file to have 2 copies on nodes 1 and 2"

"$BIN/mogstorm" report --out="$WORK/storm" --label=storm --since-ms="$KILL_MS" | sed "s/^/  /"
read_env "$WORK/storm/summary.env" S
fail=0
"$BIN/mogstorm" verify --trackers="$T1" --domain=drill --out="$WORK/storm" --check-count --exclude-hosts=node3 \
  --wait="$RECOVERY_LIMIT" --since-ms="$KILL_MS" | sed "s/^/  /" || fail=1
read_env "$WORK/storm/verify.env" V
dead_at=$(grep -m1 -h "marked dead" "$WORK/logs/tracker1.log" | cut -c1-40 || true)
[[ -n "$dead_at" ]] && log "tracker log: $dead_at ..."
read_errors=$(wc -l < "$WORK/storm/read-errors.tsv" 2>/dev/null || echo 0)
log "reads during the storm: ${S_READS:-?} ok, $read_errors failed"
lost=$((V_LOST + V_BAD + V_UNREADABLE))
[[ $lost == 0 && $read_errors == 0 && $V_BELOW_COUNT == 0 ]] || fail=1
recovery="$V_RECOVERY_SECONDS s after the kill"
[[ $V_BELOW_COUNT == 0 ]] || recovery="$V_BELOW_COUNT files below count after ${RECOVERY_LIMIT} s"
result "storage node loss (auto_mark_dead_after=$DEAD_AFTER, ack at $MIN_COPIES copies)" "$S_OK" "$S_FAILED" \
  "$S_MAX_WINDOW s, not_replicated stores are not acknowledged (a client's longest wait across the kill $S_EVENT_GAP s; reads failed: $read_errors of $((${S_READS:-0} + read_errors)))" "$lost" "$recovery"
exit $fail
