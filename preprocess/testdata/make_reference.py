#!/usr/bin/python3
"""Generate the scikit-learn reference outputs that reference_test.go compares with.

Run from this directory with /usr/bin/python3 (scikit-learn 1.2.1, pandas 1.5.3):

    /usr/bin/python3 make_reference.py [/path/to/shared/datasets]

For each case it writes case_<name>.json (data file, column kinds, the Go Spec,
train and test row indices, feature names in the Go naming) and
case_<name>_train.csv / case_<name>_test.csv (the transformed train and test
rows, header = feature names, values printed with 17 significant digits).
"""
import json
import os
import shutil
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

assert sklearn.__version__ == "1.2.1", sklearn.__version__

SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "datasets")
OTHER = "__other__"


def prepare_data():
    """Copy titanic as is; copy German Credit with injected cells (see README)."""
    shutil.copyfile(os.path.join(SHARED, "titanic.csv"), "titanic.csv")
    g = pd.read_csv(os.path.join(SHARED, "german_credit_uci_coded.csv"), dtype=str)
    rng = np.random.RandomState(7)
    perm = rng.permutation(len(g))
    train, test = np.sort(perm[:700]), np.sort(perm[700:])
    # Unseen categories in one test row: A47 is in the UCI code book but never
    # occurs in the data; A15 is not a code at all.
    assert "A47" not in set(g["Purpose"]) and "A15" not in set(g["Status of existing checking account"])
    g.loc[test[0], "Purpose"] = "A47"
    g.loc[test[0], "Status of existing checking account"] = "A15"
    # Missing cells, in train and test rows, so imputation is exercised.
    for r in train[[3, 10, 50, 51, 52]]:
        g.loc[r, "Savings account/bonds"] = ""
    for r in train[[5, 6, 7]]:
        g.loc[r, "Age in years"] = ""
    g.loc[test[1], "Savings account/bonds"] = ""
    g.loc[test[2], "Age in years"] = ""
    g.to_csv("german_credit_coded.csv", index=False, lineterminator="\n")
    return [int(r) for r in train], [int(r) for r in test]


def make_datetime_data():
    """A small synthetic frame with a datetime, a boolean and a numeric column."""
    rng = np.random.RandomState(11)
    n = 240
    t0 = pd.Timestamp("2015-01-01").value // 10**9
    secs = rng.randint(0, 10 * 365 * 86400, size=n) + t0
    when = pd.to_datetime(secs, unit="s").strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)
    when[rng.rand(n) < 0.1] = ""
    flag = np.where(rng.rand(n) < 0.4, "yes", "no").astype(object)
    flag[rng.rand(n) < 0.1] = ""
    x = np.round(rng.normal(3, 2, size=n), 3).astype(object)
    x[rng.rand(n) < 0.05] = ""
    df = pd.DataFrame({"when": when, "flag": flag, "x": x})
    df.to_csv("dates.csv", index=False, lineterminator="\n")


def load(path, kinds):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = pd.DataFrame(index=df.index)
    for col, kind in kinds.items():
        s = df[col].replace("", np.nan)
        if kind == "numeric":
            out[col] = s.astype(float)
        elif kind == "categorical":
            out[col] = s.astype(object)
        elif kind == "boolean":
            out[col] = s.map({"yes": 1.0, "no": 0.0})
        elif kind == "datetime":
            t = pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S")
            for part in ("year", "month", "day", "weekday", "hour"):
                out[col + "_" + part] = getattr(t.dt, part).astype(float)
    return out


def most_frequent(values):
    vc = pd.Series(values).value_counts()
    top = vc.max()
    return min(v for v, c in vc.items() if c == top)


def run_case(name, data, kinds, spec, train, test, max_categories=0):
    df = load(data, kinds)
    num_imp = spec["numeric_impute"]
    steps, order = [], []
    for col, kind in kinds.items():
        if kind in ("numeric", "datetime"):
            cols = [col] if kind == "numeric" else [col + "_" + p for p in ("year", "month", "day", "weekday", "hour")]
            pipe = [("impute", SimpleImputer(strategy=num_imp))]
            if spec["scale"]:
                pipe.append(("scale", StandardScaler()))
            steps.append((col, Pipeline(pipe), cols))
            order.append((col, kind, cols))
        elif kind == "boolean":
            steps.append((col, SimpleImputer(strategy="most_frequent"), [col]))
            order.append((col, kind, [col]))
        else:
            if spec["categorical_impute"] == "constant":
                imp = SimpleImputer(strategy="constant", fill_value=spec["fill_value"])
            else:
                imp = SimpleImputer(strategy="most_frequent")
            if spec["encoding"] == "onehot":
                kw = {"max_categories": max_categories + 1} if max_categories else {}
                enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False, **kw)
            else:
                enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
            steps.append((col, Pipeline([("impute", imp), ("encode", enc)]), [col]))
            order.append((col, kind, [col]))
    ct = ColumnTransformer(steps, remainder="drop", sparse_threshold=0)
    ct.fit(df.iloc[train])
    out_train = ct.transform(df.iloc[train])
    out_test = ct.transform(df.iloc[test])

    names = []
    for col, kind, cols in order:
        tr = ct.named_transformers_[col]
        if kind == "numeric" or kind == "boolean":
            names.append(col)
        elif kind == "datetime":
            names.extend(cols)
        elif spec["encoding"] == "ordinal":
            names.append(col)
            # Go maps an unknown category to the code of the most frequent
            # (imputed) training category instead of sklearn's -1.
            imputed = tr.named_steps["impute"].transform(df.iloc[train][[col]])[:, 0]
            cats = list(tr.named_steps["encode"].categories_[0])
            code = cats.index(most_frequent(imputed))
            j = len(names) - 1
            assert (out_train[:, j] != -1).all()
            out_test[out_test[:, j] == -1, j] = code
        else:
            enc = tr.named_steps["encode"]
            cats = list(enc.categories_[0])
            infreq = enc.infrequent_categories_[0] if max_categories else None
            if infreq is not None:
                # The cut must not fall inside a tie (sklearn and Go break ties differently).
                imputed = tr.named_steps["impute"].transform(df.iloc[train][[col]])[:, 0]
                counts = sorted(pd.Series(imputed).value_counts().tolist(), reverse=True)
                assert counts[max_categories - 1] > counts[max_categories], (col, counts)
                names.extend(col + "=" + c for c in cats if c not in set(infreq))
                names.append(col + "=" + OTHER)
            else:
                names.extend(col + "=" + c for c in cats)
    assert len(names) == out_train.shape[1] == len(set(names)), (len(names), out_train.shape)

    meta = {
        "name": name,
        "data": data,
        "generator": "scikit-learn " + sklearn.__version__ + ", pandas " + pd.__version__,
        "columns": [{"name": c, "kind": k} for c, k in kinds.items()],
        "spec": dict(spec, columns=[{"name": c, "kind": k} for c, k in kinds.items()], max_categories=max_categories),
        "train_rows": train,
        "test_rows": test,
        "features": names,
    }
    with open("case_%s.json" % name, "w") as fh:
        json.dump(meta, fh, indent=1)
        fh.write("\n")
    for part, m in (("train", out_train), ("test", out_test)):
        pd.DataFrame(m, columns=names).to_csv(
            "case_%s_%s.csv" % (name, part), index=False, float_format="%.17g", lineterminator="\n")
    print(name, out_train.shape, out_test.shape)


def main():
    g_train, g_test = prepare_data()
    make_datetime_data()

    t_kinds = {"Pclass": "numeric", "Sex": "categorical", "Age": "numeric", "SibSp": "numeric",
               "Parch": "numeric", "Fare": "numeric", "Embarked": "categorical"}
    rng = np.random.RandomState(3)
    perm = rng.permutation(891)
    t_train, t_test = sorted(int(r) for r in perm[:600]), sorted(int(r) for r in perm[600:])
    base = {"numeric_impute": "mean", "scale": True, "categorical_impute": "most_frequent",
            "fill_value": "missing", "encoding": "onehot"}
    run_case("titanic_mean_scale_onehot", "titanic.csv", t_kinds, base, t_train, t_test)
    run_case("titanic_median_constant_ordinal", "titanic.csv", t_kinds,
             dict(base, numeric_impute="median", scale=False, categorical_impute="constant", encoding="ordinal"),
             t_train, t_test)

    g = pd.read_csv("german_credit_coded.csv", dtype=str, nrows=1)
    g_kinds = {c: ("categorical" if g[c][0].startswith("A") else "numeric") for c in g.columns if c != "class"}
    run_case("german_mean_scale_onehot", "german_credit_coded.csv", g_kinds, base, g_train, g_test)
    run_case("german_median_scale_constant_ordinal", "german_credit_coded.csv", g_kinds,
             dict(base, numeric_impute="median", categorical_impute="constant", fill_value="absent",
                  encoding="ordinal"), g_train, g_test)
    few = {c: "categorical" for c in ("Purpose", "Credit history", "Savings account/bonds",
                                      "Present employment since", "Status of existing checking account")}
    few["Credit amount"] = "numeric"
    run_case("german_max_categories", "german_credit_coded.csv", few, base, g_train, g_test, max_categories=3)

    d_kinds = {"when": "datetime", "flag": "boolean", "x": "numeric"}
    rows = list(range(240))
    run_case("dates_median_scale", "dates.csv", d_kinds, dict(base, numeric_impute="median"), rows[:160], rows[160:])


if __name__ == "__main__":
    main()
