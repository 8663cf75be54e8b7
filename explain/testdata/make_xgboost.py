"""Train small XGBoost models and save them with their SHAP values.

Run from this folder with Debian's python3 (xgboost 1.7.4, numpy):

    /usr/bin/python3 make_xgboost.py

For each case it writes xgb_<case>.json holding the model as XGBoost saves
it (save_model, JSON format), the rows (missing values as null), the
margins and pred_contribs (exact TreeSHAP, the last column being the bias).
"""
import json
import os
import tempfile

import numpy as np
import xgboost as xgb

CASES = [
    # name, classes, features, rounds, max_depth, rows
    ("binary", 2, 6, 40, 4, 300),
    ("multiclass", 3, 5, 15, 3, 300),
    ("deep", 2, 8, 10, 7, 400),
]


def data(rng, n, f, classes):
    X = rng.normal(size=(n, f)).astype(np.float32)
    X[:, 1] = np.round(X[:, 1] * 2).astype(np.float32)  # ties on a few values
    X[rng.random(size=(n, f)) < 0.08] = np.nan
    s = np.nan_to_num(X[:, 0]) + 0.7 * np.nan_to_num(X[:, 1]) * np.nan_to_num(X[:, 2]) - np.nan_to_num(X[:, 3]) ** 2
    s = s + rng.normal(scale=0.5, size=n)
    if classes == 2:
        y = (s > np.median(s)).astype(int)
    else:
        y = np.digitize(s, np.quantile(s, [1 / 3, 2 / 3]))
    return X, y


def main():
    rng = np.random.default_rng(20240611)
    for name, classes, f, rounds, depth, n in CASES:
        X, y = data(rng, n, f, classes)
        params = {"max_depth": depth, "eta": 0.3, "min_child_weight": 0.5, "lambda": 1.0,
                  "tree_method": "exact", "base_score": 0.5, "seed": 1}
        if classes == 2:
            params["objective"] = "binary:logistic"
        else:
            params.update(objective="multi:softprob", num_class=classes)
        dm = xgb.DMatrix(X, label=y, missing=np.nan)
        bst = xgb.train(params, dm, num_boost_round=rounds)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model.json")
            bst.save_model(path)
            with open(path) as fh:
                model = json.load(fh)
        contribs = bst.predict(dm, pred_contribs=True)
        margin = bst.predict(dm, output_margin=True)
        if classes == 2:
            contribs = contribs[:, None, :]
            margin = margin[:, None]
        rows = [[None if np.isnan(v) else float(v) for v in r] for r in X]
        out = {"classes": classes, "features": f, "rows": rows,
               "contribs": contribs.astype(float).tolist(), "margin": margin.astype(float).tolist(),
               "model": model}
        with open("xgb_%s.json" % name, "w") as fh:
            json.dump(out, fh)


if __name__ == "__main__":
    main()
