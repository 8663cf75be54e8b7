#!/usr/bin/env bash
# `make bench-large`: the search on samples against the search on every row, on the
# 1,000,000 × 20 table of `make bench-data` (seeded generator, CSV). It runs
#   automl run --timeout 60s                      (samples, successive halving, refit on all rows)
#   automl run --timeout 10m --sample off          (the reference: every trial on every row)
# with the same seed, each with the finishing step at its defaults, and prints, for each: seconds from the command's start to its first
# finished trial, trials, peak RSS (GNU time), the best trial (its training rows) and its test
# AUC on the 200,000 test rows; then the targets of the large-data issue: first trial within
# 10 s, at least 30 trials, peak RSS at most 1.5 GB, test AUC within 0.005 of the reference's.
# Env: BENCH_DATA_DIR (default /tmp/automl-bench-data), SEED (default 1), BUDGET (default 60s),
# REFERENCE (default 10m; "none" skips the reference run).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${BENCH_DATA_DIR:-/tmp/automl-bench-data}
SEED=${SEED:-1}
BUDGET=${BUDGET:-60s}
REFERENCE=${REFERENCE:-10m}
mkdir -p "$DIR" bin
if [ ! -x /usr/bin/time ]; then apt-get install -y time >/dev/null; fi
go build -o bin/automl ./cmd/automl
go build -o bin/datagen ./bench/datagen
base=$DIR/r1000000_c20
[ -f "$base.csv" ] || bin/datagen -rows 1000000 -cols 20 -seed 1 -out "$base" >/dev/null
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT

# one NAME ARGS...: runs automl on the table into $runs/NAME and prints one result line.
one() {
  local name=$1; shift
  local start; start=$(date +%s.%N)
  /usr/bin/time -v bin/automl run --data "$base.csv" --target y --seed "$SEED" --runs "$runs" --name "$name" \
    "$@" >"$runs/$name.out" 2>"$runs/$name.err" || {
    echo "automl run $name failed:" >&2; tail -20 "$runs/$name.err" >&2; exit 1; }
  local rss; rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$runs/$name.err")
  /usr/bin/python3 - "$runs/$name" "$start" "$rss" "$name" <<'EOF'
import json, sys, datetime
d, start, rss, name = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
e = json.load(open(d + "/experiment.json"))
trials = [json.loads(l) for l in open(d + "/trials.jsonl")]
def end(t):
    s = datetime.datetime.fromisoformat(t["timing"]["started"].replace("Z", "+00:00")).timestamp()
    return s + t["timing"]["wall_seconds"]
first = min(end(t) for t in trials) - start
best = next(t for t in trials if t["id"] == e["best"])
print(f"{name:<10} {first:8.1f} {len(trials):7d} {rss*1024/1e9:8.2f} {best['id']:5d} {best.get('rows', 0) or 'all':>8} {best['model']['family']:<14} {best['test']['roc_auc']:.4f}")
EOF
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); 1,000,000 x 20 CSV ($(du -h "$base.csv" | cut -f1)), seed $SEED"
printf '%-10s %8s %7s %8s %5s %8s %-14s %s\n' run "first s" trials "RSS GB" best rows family "test AUC"
line=$(one sampled --timeout "$BUDGET")
echo "$line"
ref=""
if [ "$REFERENCE" != none ]; then
  ref=$(one reference --timeout "$REFERENCE" --sample off)
  echo "$ref"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v s="$line" -v r="$ref" 'BEGIN {
  split(s, a, " "); fail = 0
  printf "first trial %.1f s (target <= 10): %s\n", a[2], (a[2] <= 10 ? "pass" : "FAIL"); if (a[2] > 10) fail = 1
  printf "trials %d (target >= 30): %s\n", a[3], (a[3] >= 30 ? "pass" : "FAIL"); if (a[3] < 30) fail = 1
  printf "peak RSS %.2f GB (target <= 1.5): %s\n", a[4], (a[4] <= 1.5 ? "pass" : "FAIL"); if (a[4] > 1.5) fail = 1
  if (r != "") { split(r, b, " "); d = a[8] - b[8]
    printf "test AUC %.4f against the reference %.4f: %+.4f (target >= -0.005): %s\n", a[8], b[8], d, (d >= -0.005 ? "pass" : "FAIL"); if (d < -0.005) fail = 1 }
  exit fail }'
