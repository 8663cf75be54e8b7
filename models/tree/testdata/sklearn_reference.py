#!/usr/bin/python3
"""Reference outputs of scikit-learn 1.2.1 decision trees for package tree.

Writes wine.csv (a copy of ../shared/datasets (beside the repository)/wine.csv with the class
as an index 0..2 in the last column) and sklearn_dt.json: for each setting,
the predict_proba output on every row. Wine has fewer than 255 distinct
values per column, so binning is exact and thresholds coincide.

Run: /usr/bin/python3 sklearn_reference.py [../shared/datasets (beside the repository)]
"""
import json
import os
import sys

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "datasets")
df = pd.read_csv(os.path.join(src, "wine.csv"))
y = df.pop("target")
classes = sorted(y.unique())
yi = y.map({c: i for i, c in enumerate(classes)}).values
X = df.values.astype(float)
out = pd.DataFrame(X, columns=df.columns)
out["class"] = yi
out.to_csv(os.path.join(HERE, "wine.csv"), index=False, float_format="%.17g")

# scikit-learn breaks ties between equally good splits by a random feature
# order; keep only the settings whose tree is the same for ten seeds.
res = {"sklearn": __import__("sklearn").__version__, "settings": []}
for crit in ["gini", "entropy"]:
    for depth, leaf in [(2, 1), (3, 1), (3, 5), (4, 2), (5, 3), (0, 10)]:
        fits = [DecisionTreeClassifier(criterion=crit, max_depth=depth or None, min_samples_leaf=leaf,
                                       random_state=s).fit(X, yi) for s in range(10)]
        probas = [m.predict_proba(X) for m in fits]
        if any(not np.array_equal(p, probas[0]) for p in probas):
            print("skipped (ties):", crit, depth, leaf)
            continue
        res["settings"].append({"criterion": crit, "max_depth": depth, "min_samples_leaf": leaf,
                                "leaves": int(fits[0].get_n_leaves()), "proba": probas[0].tolist()})
with open(os.path.join(HERE, "sklearn_dt.json"), "w") as f:
    json.dump(res, f)
