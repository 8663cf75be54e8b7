#!/usr/bin/env bash
# `make bench-data`: reading + profiling speed and peak memory of `automl profile`
# against pandas (read_csv + describe, Debian's python3-pandas) on the same files,
# and Parquet against CSV. Tables: 300,000 × 30 and 1,000,000 × 20 from a seeded
# generator (bench/datagen: numeric + categorical, ~2% missing), CSV and Parquet.
# Peak RSS from GNU time -v. Set BENCH_DATA_DIR to keep the files elsewhere,
# GOMAXPROCS to pin our threads (the report says how many were used).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${BENCH_DATA_DIR:-/tmp/automl-bench-data}
mkdir -p "$DIR" bin
if [ ! -x /usr/bin/time ]; then apt-get install -y time >/dev/null; fi
if ! /usr/bin/python3 -c 'import pandas' 2>/dev/null; then apt-get install -y python3-pandas >/dev/null; fi
go build -o bin/automl ./cmd/automl
go build -o bin/datagen ./bench/datagen
go test -c -o bin/dataset.test ./dataset

# measure CMD...: prints "seconds peak_kib cpu_seconds" of one run (output discarded).
measure() {
  local log; log=$(mktemp)
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log" >&2; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$log")
  rm -f "$log"
  echo "$wall $rss $cpu"
}
# best of N runs (the machine may be shared): the lowest time, and that run's RSS.
best() {
  local n=$1; shift; local out="" t
  for _ in $(seq "$n"); do
    t=$(measure "$@")
    if [ -z "$out" ] || awk -v a="${t%% *}" -v b="${out%% *}" 'BEGIN{exit !(a<b)}'; then out=$t; fi
  done
  echo "$out"
}
PANDAS='import sys, pandas as pd
df = pd.read_csv(sys.argv[1]); df.describe(include="all")'
RUNS=${BENCH_RUNS:-3}

# readonly FILE: seconds per read of FILE alone (no profile), from the Go benchmark.
readonly_s() {
  AUTOML_BENCH_FILE=$1 bin/dataset.test -test.run '^$' -test.bench ReadFile -test.benchtime 3x |
    awk '/^BenchmarkReadFile/ {print $3/1e9}'
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); GOMAXPROCS=${GOMAXPROCS:-all}; best of $RUNS runs"
echo "read + profile (automl profile) vs pandas read_csv + describe; wall seconds, and CPU seconds (user+sys) in brackets"
printf '%-11s %15s %7s | %15s %7s | %11s %8s | %9s %9s %7s\n' table "ours s [cpu]" "RSS MB" "pandas s [cpu]" "RSS MB" "x wall[cpu]" "RSS/file" "read csv" "read pq" speedup
for shape in 300000x30 1000000x20; do
  rows=${shape%x*}; cols=${shape#*x}; base=$DIR/signal-$shape
  [ -f "$base.csv" ] && [ -f "$base.parquet" ] || bin/datagen -rows "$rows" -cols "$cols" -seed 1 -out "$base"
  size=$(stat -c %s "$base.csv")
  read -r ot orss oc < <(best "$RUNS" bin/automl profile "$base.csv")
  read -r pt prss pc < <(best "$RUNS" /usr/bin/python3 -c "$PANDAS" "$base.csv")
  rc=$(readonly_s "$base.csv"); rq=$(readonly_s "$base.parquet")
  awk -v s="$shape" -v ot="$ot" -v oc="$oc" -v orss="$orss" -v pt="$pt" -v pc="$pc" -v prss="$prss" -v rc="$rc" -v rq="$rq" -v size="$size" 'BEGIN{
    printf "%-11s %7.2f [%5.2f] %7.0f | %7.2f [%5.2f] %7.0f | %5.2f [%4.2f] %8.2f | %9.2f %9.2f %7.2f\n", s, ot, oc, orss/1024, pt, pc, prss/1024, ot/pt, oc/pc, orss*1024/size, rc, rq, rc/rq }'
  ch=$(bin/automl profile "$base.csv" | sed -n 's/.*typed data hash //p')
  qh=$(bin/automl profile "$base.parquet" | sed -n 's/.*typed data hash //p')
  [ "$ch" = "$qh" ] && echo "  $shape: CSV $(($size>>20)) MB, Parquet $(($(stat -c %s "$base.parquet")>>20)) MB, same typed data hash" || echo "  $shape: typed data hash differs (CSV $ch, Parquet $qh)"
done
echo "targets: x (ours / pandas) <= 0.5, RSS/file <= 1.5, speedup (read CSV / read Parquet, Go benchmark, seconds per read) >= 2"
