#!/usr/bin/env bash
# Issue 14's table in one command: runs the end-to-end client bench (store and fetch of 1 KiB,
# 16 clients), the tracker load bench (list_keys, get_paths, file_info at 64 connections,
# create_open at 8), the replication bench (2,000 x 1 KiB to 2 copies), the fsck bench (10,000
# files x 2 copies) and the storage-node bench (mogstored vs nginx), on SQLite and PostgreSQL,
# and prints one table beside the MogileFS 2.73 figures measured on the 2-core development VM.
# It never passes or fails on speed. Everything runs on the normal disk under TMPDIR (/tmp).
#
#   bench/run-all.sh                      # everything, SQLite and PostgreSQL (about 10-15 minutes)
#   PARTS=client,tracker DBS=SQLite bench/run-all.sh
#
# Environment: PARTS (client,tracker,replication,fsck,storage), DBS (SQLite,Postgres),
#   SECONDS_PER_RUN (client and tracker runs, 8), TRACKER_WARMUP (s per tracker command before it is
#   measured, 10), FSCK_FILES (10000), OUT (artifacts/bench/all-<time>).
# Each part's own output stays in OUT; docs/performance.md explains the figures.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PARTS=${PARTS:-client,tracker,replication,fsck,storage}
DBS=${DBS:-SQLite,Postgres}
SECS=${SECONDS_PER_RUN:-8}
FSCK_FILES=${FSCK_FILES:-10000}
OUT=${OUT:-$ROOT/artifacts/bench/all-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
has() { [[ ",$1," == *",$2,"* ]]; }

echo "# building Release" >&2
for p in src/mogdbsetup src/mogstored src/mogilefsd bench/MogileFS.LoadTool bench/client bench/fsck bench/replication; do
  dotnet build -c Release --nologo -v quiet "$ROOT/$p" >>"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log" >&2; exit 1; }
done

declare -A R   # R[workload,db] = "ops/s (p99 ms)"
declare -A V   # V[workload,db] = number used for the ratio

for db in ${DBS//,/ }; do
  if has "$PARTS" client; then
    echo "# client bench ($db)" >&2
    flag=(); [[ $db == Postgres ]] && flag=(--postgres)
    dotnet "$ROOT/bench/client/bin/Release/net10.0/ClientBench.dll" --seconds="$SECS" "${flag[@]}" >"$OUT/client-$db.txt" 2>&1 || true
    line=$(grep '^#summary' "$OUT/client-$db.txt" || true)
    for w in store fetch; do
      v=$(sed -n "s/.* $w=\([0-9]*\):\([0-9.]*\).*/\1/p" <<<"$line"); p=$(sed -n "s/.* $w=\([0-9]*\):\([0-9.]*\).*/\2/p" <<<"$line")
      [[ -n $v ]] && { R[$w,$db]="$v/s, p99 $p ms"; V[$w,$db]=$v; }
    done
  fi
  if has "$PARTS" tracker; then
    echo "# tracker bench ($db)" >&2
    for spec in "list_keys,get_paths,file_info:64" "create_open:8"; do
      # Each command is warmed up for TRACKER_WARMUP s (10) before it is measured: the steady state of a
      # long-running tracker, as bench/client's 30 s warm-up (a 1 s warm-up measures the JIT's first tiers).
      OUT="$OUT/tracker-$db-${spec%%:*}" DB=$db DURATION=$SECS WARMUP=${TRACKER_WARMUP:-10} COMMANDS=${spec%%:*} CONCURRENCY=${spec##*:} \
        "$ROOT/bench/tracker/run.sh" >"$OUT/tracker-$db-${spec##*:}.txt" 2>&1 || true
      csv="$OUT/tracker-$db-${spec%%:*}/results.csv"
      [[ -f $csv ]] || continue
      while IFS=, read -r cmd conc ops p50 p99 max errs; do
        [[ $cmd == command ]] && continue
        R[$cmd,$db]="$ops/s, p99 $p99 ms"; V[$cmd,$db]=$ops
      done <"$csv"
    done
  fi
  if has "$PARTS" replication; then
    echo "# replication bench ($db)" >&2
    env=(); [[ $db == Postgres ]] && env=(PGBENCH_LOCAL=1)
    env "${env[@]}" OUT="$OUT/replication-$db" FILES=2000 MODES=paused "$ROOT/bench/replication/run.sh" >"$OUT/replication-$db.txt" 2>&1 || true
    s=$(sed -n 's/.*replication_s=\([0-9.]*\).*/\1/p' "$OUT/replication-$db.txt" | tail -n1)
    [[ -n $s ]] && { R[replicate,$db]="$s s"; V[replicate,$db]=$s; }
  fi
done

if has "$PARTS" fsck; then
  echo "# fsck bench (SQLite)" >&2
  dotnet "$ROOT/bench/fsck/bin/Release/net10.0/fsckbench.dll" --files "$FSCK_FILES" >"$OUT/fsck.txt" 2>&1 || true
  r=$(sed -n 's/^fsck (default mode) .* \([0-9]*\) fids\/s.*/\1/p' "$OUT/fsck.txt")
  [[ -n $r ]] && { R[fsck,SQLite]="$r fids/s"; V[fsck,SQLite]=$r; }
fi
if has "$PARTS" storage; then
  echo "# storage-node bench (mogstored vs nginx)" >&2
  DURATION=${SECS}s "$ROOT/bench/storage/run.sh" >"$OUT/storage.txt" 2>&1 || true
fi

# MogileFS 2.73 on the same 2-core VM, SQLite, 20 query workers (issue 14; two runs, other work running);
# fsck: 10,000 files x 2 copies through 2.73's default fsck, docs/performance.md.
declare -A OLD=([store]="41-62/s" [fetch]="835-1,343/s" [list_keys]="1,945-2,292/s" [get_paths]="3,319-3,407/s"
  [file_info]="2,354-5,484/s" [create_open]="310-479/s" [replicate]="148 s" [fsck]="18 fids/s")
declare -A OLDHI=([store]=62 [fetch]=1343 [list_keys]=2292 [get_paths]=3407 [file_info]=5484 [create_open]=479 [replicate]=148 [fsck]=18)
declare -A GOAL=([store]="≥ 2,000/s, p99 < 50 ms" [fetch]="≥ 10,000/s" [list_keys]="≥ 10× 2.73" [get_paths]="≥ 10×, p99 < 5 ms"
  [file_info]="≥ 10×" [create_open]="≥ 20×" [replicate]="≥ 10×" [fsck]="≥ 10×")
declare -A WHAT=([store]="store 1 KiB end to end, 16 clients" [fetch]="fetch 1 KiB end to end, 16 clients"
  [list_keys]="list_keys (100 keys), 64 conns" [get_paths]="get_paths noverify, 64 conns" [file_info]="file_info, 64 conns"
  [create_open]="create_open, 8 conns" [replicate]="replicate 2,000 x 1 KiB to 2 copies" [fsck]="fsck 10,000 files x 2 copies (default mode)")

{
  echo
  echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ); outputs in $OUT"
  printf '| %s | %s | %s | %s | %s | %s |\n' workload 2.73 "ours, SQLite" "ours, PostgreSQL" "ratio (SQLite vs best 2.73)" goal
  printf '|---|---|---|---|---|---|\n'
  for w in store fetch list_keys get_paths file_info create_open replicate fsck; do
    ratio="-"
    if [[ -n ${V[$w,SQLite]:-} && -n ${OLDHI[$w]:-} ]]; then
      if [[ $w == replicate ]]; then ratio=$(awk -v a="${OLDHI[$w]}" -v b="${V[$w,SQLite]}" 'BEGIN { if (b > 0) printf "%.1f×", a / b }')
      else ratio=$(awk -v a="${V[$w,SQLite]}" -v b="${OLDHI[$w]}" 'BEGIN { printf "%.1f×", a / b }'); fi
    fi
    printf '| %s | %s | %s | %s | %s | %s |\n' "${WHAT[$w]}" "${OLD[$w]}" "${R[$w,SQLite]:--}" "${R[$w,Postgres]:--}" "$ratio" "${GOAL[$w]}"
  done
  if [[ -f $OUT/storage.txt ]]; then
    echo
    echo "storage node vs nginx (ratio = mogstored / nginx requests/s):"
    sed -n '/^test /,$p' "$OUT/storage.txt"
  fi
  grep -h '^file system under' "$OUT"/client-*.txt 2>/dev/null | head -n1 || true
  grep -h '^SQLite group commit' "$OUT"/client-SQLite.txt 2>/dev/null || true
} | tee "$OUT/table.md"
