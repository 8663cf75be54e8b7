#!/usr/bin/python3
"""Reference numbers for the GBDT of package tree, from XGBoost 1.7.4.

Subcommands:
  prepare --datasets DIR --out TMP
      Reads adult.csv and credit_card_default_taiwan.csv, one-hot encodes the
      categorical columns (pandas get_dummies; '?' is a category of its own),
      makes a stratified 80/20 train/test split (seed 0), and writes
        TMP/<name>.gamx           the numeric matrix, labels and split flags
        TMP/adult_ordinal.gamx    adult with ordinal category codes (NaN for '?')
        TMP/synth200k.gamx        a synthetic 200,000 x 50 numeric problem
      plus, in this folder, <name>_split.json (the test rows) for the record.
  fit FILE [--threads N] [--rounds R] [--out JSON]
      Fits XGBoost (hist, lossguide, 31 leaves, eta 0.1, lambda 1,
      min_child_weight 1, max_bin 255, base_score = train mean) on the train
      rows of FILE and prints {"fit_seconds", "auc"} as JSON (test AUC).
  reference --out TMP
      Runs `fit` on adult and credit and writes xgb_reference.json here.
  cuts
      Writes xgb_cuts.json here: two sets of columns (500 and 20,000 rows;
      ties, a heavy value, few distinct values, spread values, all exact in
      float32), and for each max_bin tried, the split thresholds XGBoost's
      hist trees use on each column. Every such threshold is one of
      XGBoost's cut values, so package tree's quantile cuts must contain
      them all.

The .gamx format (little endian): b"GAMX", uint64 rows, uint64 cols,
rows*cols float64 (row-major X), rows float64 labels, rows uint8 split
flags (0 train, 1 test). Package tree's bench program reads the same file.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
PARAMS = dict(tree_method="hist", grow_policy="lossguide", max_leaves=31, max_depth=0,
              eta=0.1, reg_lambda=1.0, reg_alpha=0.0, min_child_weight=1.0, max_bin=255,
              objective="binary:logistic", eval_metric="auc")


def write_gamx(path, X, y, test):
    X = np.ascontiguousarray(X, dtype="<f8")
    with open(path, "wb") as f:
        f.write(b"GAMX")
        f.write(np.array([X.shape[0], X.shape[1]], dtype="<u8").tobytes())
        f.write(X.tobytes())
        f.write(np.asarray(y, dtype="<f8").tobytes())
        f.write(np.asarray(test, dtype="u1").tobytes())


def read_gamx(path):
    with open(path, "rb") as f:
        assert f.read(4) == b"GAMX", path
        rows, cols = np.frombuffer(f.read(16), dtype="<u8")
        rows, cols = int(rows), int(cols)
        X = np.frombuffer(f.read(rows * cols * 8), dtype="<f8").reshape(rows, cols)
        y = np.frombuffer(f.read(rows * 8), dtype="<f8")
        test = np.frombuffer(f.read(rows), dtype="u1")
    return X, y, test


def split(y, seed=0):
    from sklearn.model_selection import train_test_split
    idx = np.arange(len(y))
    _, te = train_test_split(idx, test_size=0.2, stratify=y, random_state=seed)
    test = np.zeros(len(y), dtype=np.uint8)
    test[te] = 1
    return test


def prepare(args):
    os.makedirs(args.out, exist_ok=True)
    adult = pd.read_csv(os.path.join(args.datasets, "adult.csv"), skipinitialspace=True)
    y = (adult.pop("class").str.strip() == ">50K").astype(int).values
    cats = [c for c in adult.columns if adult[c].dtype == object]
    test = split(y)
    onehot = pd.get_dummies(adult, columns=cats, dtype=float)
    write_gamx(os.path.join(args.out, "adult.gamx"), onehot.values.astype(float), y, test)
    ordinal = adult.copy()
    for c in cats:
        vals = ordinal[c].replace("?", np.nan)
        codes = {v: i for i, v in enumerate(sorted(vals.dropna().unique()))}
        ordinal[c] = vals.map(codes).astype(float)
    write_gamx(os.path.join(args.out, "adult_ordinal.gamx"), ordinal.values.astype(float), y, test)
    with open(os.path.join(args.out, "adult_ordinal.categorical.json"), "w") as f:
        json.dump([c in cats for c in ordinal.columns], f)
    json.dump({"test_rows": np.flatnonzero(test).tolist()}, open(os.path.join(HERE, "adult_split.json"), "w"))

    credit = pd.read_csv(os.path.join(args.datasets, "credit_card_default_taiwan.csv"))
    y = credit.pop("default payment next month").values
    credit = credit.drop(columns=["ID"])
    test = split(y)
    write_gamx(os.path.join(args.out, "credit.gamx"), credit.values.astype(float), y, test)
    json.dump({"test_rows": np.flatnonzero(test).tolist()}, open(os.path.join(HERE, "credit_split.json"), "w"))

    rng = np.random.default_rng(42)
    n, d = 200_000, 50
    X = rng.standard_normal((n, d))
    s = X[:, 0] + 0.5 * X[:, 1] * X[:, 2] - np.abs(X[:, 3]) + np.sin(2 * X[:, 4]) + 0.3 * X[:, 5:15].sum(axis=1)
    y = (s + rng.standard_normal(n) > 0).astype(int)
    test = (rng.random(n) < 0.2).astype(np.uint8)
    write_gamx(os.path.join(args.out, "synth200k.gamx"), X, y, test)


def fit(args):
    import xgboost as xgb
    from sklearn.metrics import roc_auc_score
    X, y, test = read_gamx(args.file)
    tr, te = test == 0, test == 1
    params = dict(PARAMS, nthread=args.threads, base_score=float(y[tr].mean()))
    params["max_bin"] = getattr(args, "max_bin", 255)
    t0 = time.perf_counter()
    dtrain = xgb.DMatrix(X[tr], label=y[tr], nthread=args.threads)
    booster = xgb.train(params, dtrain, num_boost_round=args.rounds)
    secs = time.perf_counter() - t0
    p = booster.predict(xgb.DMatrix(X[te], nthread=args.threads))
    out = {"fit_seconds": secs, "auc": float(roc_auc_score(y[te], p)), "rounds": args.rounds,
           "train_rows": int(tr.sum()), "test_rows": int(te.sum()), "columns": X.shape[1]}
    print(json.dumps(out))
    return out


def reference(args):
    res = {"xgboost": __import__("xgboost").__version__, "params": PARAMS, "rounds": 200, "threads": 2}
    for name in ["adult", "credit"]:
        a = argparse.Namespace(file=os.path.join(args.out, name + ".gamx"), threads=2, rounds=200)
        res[name] = fit(a)
        # how much one bin more or less moves XGBoost's own AUC
        res[name]["auc_by_max_bin"] = {b: fit(argparse.Namespace(file=a.file, threads=2, rounds=200, max_bin=b))["auc"]
                                       for b in (254, 256)}
    with open(os.path.join(HERE, "xgb_reference.json"), "w") as f:
        json.dump(res, f, indent=1)


def cuts(args):
    import xgboost as xgb
    rng = np.random.default_rng(7)

    def columns(n):
        return {
            "ties": rng.integers(0, 300, n).astype(float),
            "heavy_zero": np.where(rng.random(n) < 0.45, 0.0, np.round(rng.standard_normal(n) * 8) / 8),
            "few": rng.integers(0, 12, n).astype(float),
            "spread": np.round(rng.standard_normal(n) * 1024) / 64,
            "skewed": np.floor(rng.exponential(30.0, n)),
        }

    out = {"xgboost": xgb.__version__, "sets": []}
    # 500 rows fit in the sketch's first buffer (XGBoost summarises them
    # exactly); 20,000 rows go through its streaming merges and prunes.
    for n, bins in ((500, (16, 32, 64)), (20000, (16, 64, 255))):
        cols = columns(n)
        X = np.column_stack(list(cols.values()))
        assert np.array_equal(X, X.astype(np.float32).astype(float))
        # a target that wiggles along every column, so most cuts get used
        s = sum(np.sin(X[:, j] * (j + 1) * 0.37) for j in range(X.shape[1]))
        y = (s + 0.3 * rng.standard_normal(n) > 0).astype(int)
        entry = {"rows": n, "columns": list(cols), "X": X.T.tolist(), "splits": {}}
        for max_bin in bins:
            params = dict(tree_method="hist", grow_policy="lossguide", max_leaves=63, max_depth=0, eta=0.5,
                          reg_lambda=0.0, min_child_weight=0.0, max_bin=max_bin, objective="binary:logistic",
                          nthread=1, base_score=0.5)
            booster = xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=300)
            df = booster.trees_to_dataframe()
            df = df[df["Feature"] != "Leaf"]
            entry["splits"][str(max_bin)] = {str(j): sorted(set(float(v) for v in df[df["Feature"] == f"f{j}"]["Split"]))
                                             for j, _ in enumerate(cols)}
        out["sets"].append(entry)
    with open(os.path.join(HERE, "xgb_cuts.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--datasets", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "datasets"))
    p.add_argument("--out", required=True)
    p = sub.add_parser("fit")
    p.add_argument("file")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=200)
    p = sub.add_parser("reference")
    p.add_argument("--out", required=True)
    sub.add_parser("cuts")
    args = ap.parse_args()
    {"prepare": prepare, "fit": fit, "reference": reference, "cuts": cuts}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
