#!/usr/bin/env bash
# GBDT benchmark of package models/tree against XGBoost 1.7.4 (hist).
#
# Prints, in one run: our GBDT fit time and XGBoost's (tree_method=hist,
# lossguide, 31 leaves, eta 0.1, 200 rounds, 255 bins, 2 threads) on
# adult.csv (one-hot, 39k x 108) and a synthetic 200,000 x 50 numeric set,
# their ratio, test AUCs (adult and credit_card_default_taiwan), peak RSS of
# the 200k fits, leaves' batch scoring throughput on 100,000 rows, and the
# fit time of a 100-tree random forest on adult, and our GBDT on adult with
# native categorical splits on ordinal codes instead of one-hot columns.
#
# The matrices come from models/tree/testdata/xgb_reference.py (prepare),
# written to $BENCH_DATA (default: a temporary directory, removed at exit).
# Both sides read the same matrix. CPU seconds are printed beside wall
# seconds because a shared machine can starve either process.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
REF=models/tree/testdata/xgb_reference.py
if [ -z "${BENCH_DATA:-}" ]; then
	BENCH_DATA=$(mktemp -d)
	trap 'rm -rf "$BENCH_DATA"' EXIT
fi
export OMP_WAIT_POLICY=PASSIVE # XGBoost's threads sleep instead of spinning when idle
[ -f "$BENCH_DATA/synth200k.gamx" ] || $PY $REF prepare --out "$BENCH_DATA" >/dev/null
go build -o "$BENCH_DATA/gbdtfit" ./bench/gbdtfit

# run NAME CMD...: runs CMD under /usr/bin/time, keeps its JSON output and
# appends wall/cpu/rss to it, in $BENCH_DATA/NAME.json
run() {
	local name=$1
	shift
	/usr/bin/time -f '{"wall": %e, "cpu": %U, "sys": %S, "rss_kb": %M}' -o "$BENCH_DATA/$name.time" "$@" >"$BENCH_DATA/$name.out"
	$PY - "$BENCH_DATA/$name" <<'PYEOF'
import json, sys
p = sys.argv[1]
out = json.loads(open(p + ".out").read().strip().splitlines()[-1])
out.update(json.loads(open(p + ".time").read().strip().splitlines()[-1]))
json.dump(out, open(p + ".json", "w"))
PYEOF
}

for ds in adult credit synth200k; do
	run "go_$ds" "$BENCH_DATA/gbdtfit" -workers 2 "$BENCH_DATA/$ds.gamx"
	run "xgb_$ds" $PY $REF fit --threads 2 "$BENCH_DATA/$ds.gamx"
done
run go_score "$BENCH_DATA/gbdtfit" -workers 2 -score 100000 "$BENCH_DATA/adult.gamx"
run go_rf "$BENCH_DATA/gbdtfit" -workers 2 -family rf -trees 100 "$BENCH_DATA/adult.gamx"
run go_adult_cat "$BENCH_DATA/gbdtfit" -workers 2 -categorical "$BENCH_DATA/adult_ordinal.categorical.json" "$BENCH_DATA/adult_ordinal.gamx"

$PY - "$BENCH_DATA" <<'PYEOF'
import json, os, sys
d = sys.argv[1]
r = lambda n: json.load(open(os.path.join(d, n + ".json")))
print("GBDT, 200 rounds, lr 0.1, 31 leaves, 255 bins, 2 threads (ours: models/tree, binning=quantile as XGBoost hist cuts; XGBoost 1.7.4 hist lossguide)")
print(f"{'data':10} {'ours fit s':>10} {'xgb fit s':>10} {'ratio':>6} {'ours cpu s':>10} {'xgb cpu s':>10} {'ours AUC':>9} {'xgb AUC':>9} {'dAUC':>8} {'ours RSS MB':>11} {'xgb RSS MB':>10}")
for ds in ["adult", "credit", "synth200k"]:
    g, x = r("go_" + ds), r("xgb_" + ds)
    print(f"{ds:10} {g['fit_seconds']:10.2f} {x['fit_seconds']:10.2f} {g['fit_seconds']/x['fit_seconds']:6.2f} "
          f"{g['cpu']+g['sys']:10.2f} {x['cpu']+x['sys']:10.2f} {g['auc']:9.5f} {x['auc']:9.5f} {g['auc']-x['auc']:+8.5f} "
          f"{g['rss_kb']/1024:11.0f} {x['rss_kb']/1024:10.0f}")
g, x = r("go_synth200k"), r("xgb_synth200k")
print(f"peak RSS ratio on synth200k (ours / xgb, whole process): {g['rss_kb']/x['rss_kb']:.2f}")
print(f"leaves batch scoring, 200-tree adult model, 100,000 rows, 2 threads: {r('go_score')['score_rows_per_second']:,.0f} rows/s")
rf = r("go_rf")
print(f"random forest, 100 trees, adult: fit {rf['fit_seconds']:.2f} s (cpu {rf['cpu']+rf['sys']:.2f} s), AUC {rf['auc']:.5f}")
c = r("go_adult_cat")
print(f"GBDT on adult with native categorical splits (ordinal codes, 14 columns): fit {c['fit_seconds']:.2f} s, AUC {c['auc']:.5f}")
PYEOF
