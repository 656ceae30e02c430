#!/usr/bin/env bash
# What the status port (Prometheus metrics, dashboard) costs the tracker's hot paths, as a
# statistic instead of one pair of runs: PAIRS pairs of bench/tracker/run.sh, metrics off and on,
# in the order off,on,on,off,off,on,... (so a drift of the machine over the series cancels out),
# each on a fresh cluster. Prints, per command, the mean ops/s off and on, the mean of the paired
# changes with a 95 % interval (t distribution over the pairs), and the same for the tracker's
# CPU time per operation. A change whose interval lies above -3 % meets issue 13's goal.
#
#   bench/metrics/cost.sh                              # 6 pairs, scraped every 15 s, dashboard every 10 s
#   PAIRS=4 SCRAPE_INTERVAL=1 DASHBOARD_POLL=5 bench/metrics/cost.sh   # a harder case
#   SIDE_BY_SIDE=1 PAIRS=8 bench/metrics/cost.sh        # off and on at the same time, for a busy machine
#
# Environment: PAIRS (6), COMMANDS (noop,get_paths,file_info), CONCURRENCY (64), DURATION (8),
#   SCRAPE_INTERVAL (15), DASHBOARD_POLL (10; empty = no dashboard polling), OUT
#   (artifacts/bench/metrics-cost-<time>), DB (SQLite). Needs a quiet machine: other work on the
#   same cores shows up as spread, not as cost. SIDE_BY_SIDE=1 runs the two sides of a pair at the same
#   time instead. OFF_ENV / ON_ENV: more VAR=value settings for one side (e.g. DOTNET_TieredPGO=0).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PAIRS=${PAIRS:-6}
export COMMANDS=${COMMANDS:-noop,get_paths,file_info}
export CONCURRENCY=${CONCURRENCY:-64}
export DURATION=${DURATION:-8}
export SCRAPE_INTERVAL=${SCRAPE_INTERVAL:-15}
POLL=${DASHBOARD_POLL-10}
OUT=${OUT:-$ROOT/artifacts/bench/metrics-cost-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

echo "# building Release once" >&2
for p in src/mogdbsetup src/mogstored src/mogilefsd bench/MogileFS.LoadTool; do
  dotnet build -c Release --nologo -v quiet "$ROOT/$p" >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
done
# An empty MOGILEFS_BIN directory: run.sh then uses the Release build without building again.
export MOGILEFS_BIN=$OUT/no-bin
mkdir -p "$MOGILEFS_BIN"

start_run() { # start_run PAIR METRICS RUN [extra env ...]: one bench/tracker/run.sh in the background
  local pair=$1 m=$2 run=$3; shift 3
  local dir=$OUT/run$run-metrics$m
  # OFF_ENV / ON_ENV (VAR=value ...) come last, so they may even override METRICS (an A/B of anything).
  if [[ $m == 1 ]]; then
    env "$@" METRICS=1 ${POLL:+DASHBOARD_POLL=$POLL} OUT="$dir" ${ON_ENV:-} "$ROOT/bench/tracker/run.sh" >"$dir.log" 2>&1 &
  else
    env -u DASHBOARD_POLL "$@" METRICS=0 OUT="$dir" ${OFF_ENV:-} "$ROOT/bench/tracker/run.sh" >"$dir.log" 2>&1 &
  fi
  RUN_PID=$!
}
record_run() { # record_run PAIR METRICS RUN: append the run's figures to series.csv
  local pair=$1 m=$2 dir=$OUT/run$3-metrics$2 cpu
  cpu=$(sed -n 's/^# tracker CPU: \([0-9.]*\) us per operation.*/\1/p' "$dir/results.txt")
  tail -n +2 "$dir/results.csv" | while IFS=, read -r cmd conc ops _; do
    echo "$pair,$m,$cmd,$ops,$cpu"
  done >>"$OUT/series.csv"
  echo "# pair $pair metrics=$m: $(tail -n +2 "$dir/results.csv" | cut -d, -f1,3 | tr '\n' ' ')cpu ${cpu} us/op" >&2
}

run=0
for ((pair = 1; pair <= PAIRS; pair++)); do
  if [[ "${SIDE_BY_SIDE:-0}" == 1 ]]; then
    # Both clusters at once, their measured load started together: whatever else the machine does
    # falls on both sides of the pair alike (each side gets about half the cores).
    sync=$OUT/sync$pair; mkdir -p "$sync"
    start_run "$pair" 0 $((run + 1)) READY_FILE="$sync/ready0" GO_FILE="$sync/go"; p0=$RUN_PID
    start_run "$pair" 1 $((run + 2)) READY_FILE="$sync/ready1" GO_FILE="$sync/go"; p1=$RUN_PID
    for _ in $(seq 6000); do [[ -e $sync/ready0 && -e $sync/ready1 ]] && break; sleep 0.05; done
    touch "$sync/go"
    wait "$p0" || { echo "run $((run + 1)) failed: $OUT/run$((run + 1))-metrics0.log" >&2; exit 1; }
    wait "$p1" || { echo "run $((run + 2)) failed: $OUT/run$((run + 2))-metrics1.log" >&2; exit 1; }
    record_run "$pair" 0 $((run + 1)); record_run "$pair" 1 $((run + 2))
    run=$((run + 2))
    continue
  fi
  if ((pair % 2 == 1)); then order="0 1"; else order="1 0"; fi
  for m in $order; do
    run=$((run + 1))
    start_run "$pair" "$m" "$run"
    wait "$RUN_PID" || { echo "run $run failed: $OUT/run$run-metrics$m.log" >&2; exit 1; }
    record_run "$pair" "$m" "$run"
  done
done

echo "# status port on: scraped every ${SCRAPE_INTERVAL} s${POLL:+, dashboard (3 pages) every $POLL s}; $PAIRS pairs$([[ "${SIDE_BY_SIDE:-0}" == 1 ]] && echo " side by side"), $CONCURRENCY connections, ${DURATION} s runs, $(nproc) cores"
# Per command: mean off/on, paired change (on/off - 1) mean and 95% interval; then CPU per op.
awk -F, '
  function tq(df) { # two-sided 95% t quantiles
    split("12.71 4.30 3.18 2.78 2.57 2.45 2.36 2.31 2.26 2.23 2.20 2.18 2.16 2.14 2.13", t, " ")
    return df <= 15 ? t[df] : 2.0 }
  function report(name, n, a, b, higherIsWorse,   i, d, s, ss, mean, sd, half, sa, sb) {
    s = 0; ss = 0; sa = 0; sb = 0
    for (i = 1; i <= n; i++) { d = b[i] / a[i] - 1; s += d; ss += d * d; sa += a[i]; sb += b[i] }
    mean = s / n; sd = n > 1 ? sqrt((ss - n * mean * mean) / (n - 1)) : 0; half = n > 1 ? tq(n - 1) * sd / sqrt(n) : 0
    printf "| %s | %.0f | %.0f | %+.1f %% | %+.1f %% .. %+.1f %% |\n", name, sa / n, sb / n, 100 * mean, 100 * (mean - half), 100 * (mean + half)
  }
  { key = $3; pair = $1; if ($2 == 0) { off[key, pair] = $4; cpuoff[pair] = $5 } else { on[key, pair] = $4; cpuon[pair] = $5 }
    cmds[key] = 1; if (pair > np) np = pair }
  END {
    print "| command | ops/s off | ops/s on | change (mean of pairs) | 95 % interval |"
    print "| --- | ---: | ---: | ---: | --- |"
    for (k in cmds) { n = 0; for (p = 1; p <= np; p++) if ((k, p) in off && (k, p) in on) { n++; a[n] = off[k, p]; b[n] = on[k, p] }
      report(k " ops/s", n, a, b) }
    n = 0; for (p = 1; p <= np; p++) if ((p in cpuoff) && (p in cpuon) && cpuoff[p] > 0) { n++; a[n] = cpuoff[p]; b[n] = cpuon[p] }
    report("tracker CPU us/op", n, a, b)
  }' "$OUT/series.csv" | tee "$OUT/summary.md"
echo "# every run: $OUT"
