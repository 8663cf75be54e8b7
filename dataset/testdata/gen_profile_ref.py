"""Reference statistics for dataset.ProfileFrame, computed with pandas/numpy.

Run from this folder with /usr/bin/python3 gen_profile_ref.py; it rewrites
profile_ref.json. Quantiles use numpy.quantile's default (method="linear"),
std is the sample standard deviation (ddof=1) as pandas.Series.std.
"""
import json

import numpy as np
import pandas as pd

FILES = {
    "titanic.csv": ({}, ["Pclass", "Age", "SibSp", "Parch", "Fare"]),
    "iris.csv": ({}, ["sepallength", "sepalwidth", "petallength", "petalwidth"]),
    "adult_slice.csv": ({"na_values": ["?"]}, ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]),
    "telco_slice.csv": ({"na_values": [" "]}, ["tenure", "MonthlyCharges", "TotalCharges"]),
}

out = {}
for name, (kw, cols) in FILES.items():
    d = pd.read_csv(name, **kw)
    ref = {}
    for c in cols:
        x = d[c].dropna().to_numpy(dtype=float)
        ref[c] = {
            "count": int(len(d)),
            "missing": int(d[c].isna().sum()),
            "distinct": int(d[c].nunique()),
            "min": float(x.min()),
            "max": float(x.max()),
            "mean": float(x.mean()),
            "std": float(x.std(ddof=1)),
            "quantiles": [float(v) for v in np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95])],
        }
    out[name] = ref

with open("profile_ref.json", "w") as fh:
    json.dump(out, fh, indent=1, sort_keys=True)
    fh.write("\n")
