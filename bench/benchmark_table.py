#!/usr/bin/python3
"""The benchmark's table for one budget: mean test metric per data set and system over seeds
(ROC AUC for binary sets, log loss for multiclass ones; log loss for every binary set too), our
gap to FLAML and to the best of the four defaults, and whether the issue's bars hold.
    /usr/bin/python3 bench/benchmark_table.py RESULTS_DIR BUDGET"""
import collections, glob, json, os, sys

d, budget = sys.argv[1], sys.argv[2]
runs = collections.defaultdict(lambda: collections.defaultdict(dict))  # ds -> system -> seed -> result
for p in glob.glob(os.path.join(d, "*.json")):
    r = json.load(open(p))
    if r.get("status") != "ok":
        continue
    ds = os.path.basename(r["csv"]).removesuffix(".csv")
    runs[ds][r["system"]][r["seed"]] = r
DEFAULTS = ["lr_default", "rf_default", "hgb_default", "xgb_default"]


def mean(ds, sysname, metric):
    seeds = set.intersection(*[set(v) for v in runs[ds].values()]) if runs[ds] else set()
    v = [runs[ds][sysname][s]["metrics"].get(metric) for s in seeds if s in runs[ds].get(sysname, {})]
    v = [x for x in v if x is not None]
    return (sum(v) / len(v), len(v)) if v else (None, 0)


def fmt(x):
    return "-" if x is None else f"{x:.4f}"


print(f"\n## Budget {budget} s\n")
print("| data set | metric | automl | flaml | lr | rf | hgb | xgb | seeds | vs FLAML | vs best default | bar (≥ best − 0.002) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
gaps_flaml, ok_all = [], True
ll_rows = []
for ds in sorted(runs):
    any_run = next(iter(next(iter(runs[ds].values())).values()))
    multiclass = any_run.get("data", {}).get("task") == "multiclass"
    metric = "log_loss" if multiclass else "roc_auc"
    sign = -1 if metric == "log_loss" else 1
    m = {s: mean(ds, s, metric)[0] for s in ["automl", "flaml"] + DEFAULTS}
    n = mean(ds, "automl", metric)[1]
    peers = [m[s] for s in ["flaml"] + DEFAULTS if m[s] is not None]
    best = (max if sign > 0 else min)(peers) if peers else None
    bestdef = [m[s] for s in DEFAULTS if m[s] is not None]
    bestdef = (max if sign > 0 else min)(bestdef) if bestdef else None
    gf = None if m["automl"] is None or m["flaml"] is None else sign * (m["automl"] - m["flaml"])
    gd = None if m["automl"] is None or bestdef is None else sign * (m["automl"] - bestdef)
    ok = m["automl"] is not None and best is not None and sign * (m["automl"] - best) >= -0.002
    ok_all &= ok
    if gf is not None:
        gaps_flaml.append(gf)
    print(f"| {ds} | {metric} | {fmt(m['automl'])} | {fmt(m['flaml'])} | {fmt(m['lr_default'])} | {fmt(m['rf_default'])} | "
          f"{fmt(m['hgb_default'])} | {fmt(m['xgb_default'])} | {n} | {'-' if gf is None else f'{gf:+.4f}'} | "
          f"{'-' if gd is None else f'{gd:+.4f}'} | {'yes' if ok else 'NO'} |")
    if not multiclass:
        ll = {s: mean(ds, s, "log_loss")[0] for s in ["automl", "flaml"] + DEFAULTS}
        others = [v for s, v in ll.items() if s != "automl" and v is not None]
        ll_rows.append((ds, ll["automl"], min(others) if others else None))
avg = sum(gaps_flaml) / len(gaps_flaml) if gaps_flaml else float("nan")
print(f"\nMean gain over FLAML {budget} s (higher is better, log loss sign-flipped): {avg:+.4f} (bar: ≥ +0.01). "
      f"Every set within 0.002 of the best peer: {'yes' if ok_all else 'NO'}.")
print("\n| binary set | automl log loss | best peer log loss | bar (≤ best + 0.01) |\n|---|---|---|---|")
for ds, a, b in ll_rows:
    ok = a is not None and b is not None and a <= b + 0.01
    print(f"| {ds} | {fmt(a)} | {fmt(b)} | {'yes' if ok else 'NO'} |")
