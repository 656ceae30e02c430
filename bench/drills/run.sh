#!/usr/bin/env bash
# Runs every failure drill present in bench/drills and prints one table:
#   scenario | stores ok | failed | error window | acknowledged lost | recovery
# Each drill's own output goes to $LOGDIR/<drill>.log (default: a temp dir, printed at the end).
# A drill whose tools are missing (db-failover.sh needs etcd-server and patroni) is reported as
# skipped. Environment is passed on to the drills (KEEP=1, CLIENTS, ...); DRILLS="a b" picks some.
# Exit status: 0 when every drill that ran passed (0 acknowledged files lost, everything readable).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source ./lib.sh
set +e
drill_build || exit 1
export NO_BUILD=1
LOGDIR="${LOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/drills.XXXXXX")}"
mkdir -p "$LOGDIR"
export RESULTS="$LOGDIR/results.tsv"
: > "$RESULTS"

drills="${DRILLS:-tracker-loss storage-loss db-failover}"
status=0
declare -A outcome
for d in $drills; do
  [[ -x "./$d.sh" ]] || { outcome[$d]="not present"; continue; }
  log "running $d (log: $LOGDIR/$d.log) ..."
  start=$(date +%s)
  ./"$d.sh" > "$LOGDIR/$d.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [[ $rc == 0 ]]; then outcome[$d]="passed in ${secs} s"
  elif grep -q "not found (Debian" "$LOGDIR/$d.log"; then outcome[$d]="skipped: $(grep -m1 'not found' "$LOGDIR/$d.log" | sed 's/.*FAILED: //')"
  else outcome[$d]="FAILED (exit $rc, see $LOGDIR/$d.log)"; status=1
  fi
done

echo
printf '| %s | %s | %s | %s | %s | %s |\n' "Scenario" "Stores ok" "Failed" "Error window" "Acknowledged lost" "Recovery"
printf '| --- | --- | --- | --- | --- | --- |\n'
while IFS=$'\t' read -r scenario ok failed window lost recovery; do
  printf '| %s | %s | %s | %s | %s | %s |\n' "$scenario" "$ok" "$failed" "$window" "$lost" "$recovery"
done < "$RESULTS"
echo
for d in $drills; do echo "$d: ${outcome[$d]}"; done
echo "logs: $LOGDIR"
exit $status
