#!/usr/bin/env bash
# `make bench-budget`: does `automl run --timeout T` return within the
# README's grace, timeout + max(1 s, 2 % of it), on large inputs? For T = 5,
# 10 and 20 s and three files (300,000 × 30 and 1,000,000 × 20 from
# `make bench-data`'s generator, and 1,000 rows × 20,000 columns), it runs
# the command with the finishing step at its defaults (explanations of the
# 5 best, notebooks for all) and prints the wall time measured outside the
# process, the overrun, the grace, pass/fail, the exit status (3: the budget
# ended before a trial finished) and the trials made. Exit status 1 when a
# run failed its grace. BENCH_DATA_DIR keeps the files (default
# /tmp/automl-bench-data, shared with bench-data); BENCH_BUDGETS and
# BENCH_FILES pick a subset (e.g. BENCH_BUDGETS="5" BENCH_FILES="1000000x20").
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${BENCH_DATA_DIR:-/tmp/automl-bench-data}
BUDGETS=${BENCH_BUDGETS:-5 10 20}
FILES=${BENCH_FILES:-300000x30 1000000x20 1000x20000}
mkdir -p "$DIR" bin
go build -o bin/automl ./cmd/automl
go build -o bin/datagen ./bench/datagen
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows runs down and counts in the wall time)"
printf '%-7s %-11s %7s %8s %6s %-4s %4s %6s %s\n' budget file "wall s" "overrun" grace ok exit trials "finish s"
fail=0
for b in $BUDGETS; do
  for shape in $FILES; do
    rows=${shape%x*}; cols=${shape#*x}; base=$DIR/t$shape
    [ -f "$base.csv" ] || bin/datagen -rows "$rows" -cols "$cols" -seed 1 -out "$base" >/dev/null
    out=$runs/out.json
    start=$(date +%s.%N)
    set +e
    bin/automl run --data "$base.csv" --target y --timeout "${b}s" --runs "$runs" --json >"$out" 2>"$runs/err"
    code=$?
    set -e
    end=$(date +%s.%N)
    if [ "$code" != 0 ] && [ "$code" != 3 ]; then
      echo "automl run on $base.csv failed (exit $code):" >&2
      cat "$runs/err" >&2
      fail=1
    fi
    trials=$(sed -n 's/^  "trials": \([0-9]*\),*$/\1/p' "$out" | head -1)
    fin=$(sed -n 's/^    "seconds": \([0-9.e-]*\).*/\1/p' "$out" | tail -1)
    line=$(awk -v b="$b" -v s="$shape" -v t0="$start" -v t1="$end" -v c="$code" -v n="${trials:--}" -v f="${fin:--}" 'BEGIN{
      wall = t1 - t0; over = wall - b; g = (b * 0.02 > 1) ? b * 0.02 : 1
      ok = (over <= g) ? "pass" : "FAIL"
      printf "%-7s %-11s %7.2f %+8.2f %6.2f %-4s %4s %6s %s\n", b "s", s, wall, over, g, ok, c, n, f }')
    echo "$line"
    case $line in *FAIL*) fail=1 ;; esac
    rm -rf "${runs:?}"/t*
  done
done
exit $fail
