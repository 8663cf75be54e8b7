#!/usr/bin/python3
"""Reference outputs for the models package tests (scikit-learn 1.2.1).

Run from this folder with /usr/bin/python3 make_reference.py. It prepares the
numeric matrices (so Go reads exactly the same numbers), fits scikit-learn
estimators and writes predict_proba outputs plus ref/manifest.json.
"""
import json
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.naive_bayes import CategoricalNB, GaussianNB
from sklearn.neighbors import KNeighborsClassifier

OUT = "ref"


def save(name, a):
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    np.savetxt(f"{OUT}/{name}.csv", a, delimiter=",", fmt="%.17g")


def split(n, seed, frac):
    rng = np.random.RandomState(seed)
    idx = rng.permutation(n)
    k = int(round(n * frac))
    return np.sort(idx[:k]), np.sort(idx[k:])


def standardize(tr, te):
    mu = tr.mean(axis=0)
    sd = tr.std(axis=0)  # population std, as StandardScaler
    sd[sd == 0] = 1
    return (tr - mu) / sd, (te - mu) / sd


def weights(y, k):
    # Deterministic, uneven sample weights times a class weight.
    i = np.arange(len(y))
    return (0.5 + 0.5 * (i % 4)) * (1.0 + 0.5 * (y % k))


datasets = {}

# German Credit (Weka decoding): numeric standardized + one-hot categoricals
# for logistic / kNN / Gaussian NB; numeric + ordinal codes for mixed NB.
g = pd.read_csv("german_credit_g_weka_decoded.csv")
yg = (g["class"] == "bad").astype(int).to_numpy()  # classes [good, bad]
feat = g.drop(columns=["class"])
num = [c for c in feat.columns if feat[c].dtype != object]
cat = [c for c in feat.columns if feat[c].dtype == object]
tr, te = split(len(g), 0, 0.8)
ntr, nte = standardize(feat[num].to_numpy(float)[tr], feat[num].to_numpy(float)[te])
oh = pd.get_dummies(feat[cat].astype("category"), dtype=float).to_numpy()
codes = np.column_stack([feat[c].astype("category").cat.codes.to_numpy() for c in cat]).astype(float)
card = [len(feat[c].astype("category").cat.categories) for c in cat]
# Append three training rows to the test set: exact matches for kNN.
extra = tr[:3]
Xtr = np.hstack([ntr, oh[tr]])
Xte = np.vstack([np.hstack([nte, oh[te]]), Xtr[:3]])
Mtr = np.hstack([ntr, codes[tr]])
Mte = np.vstack([np.hstack([nte, codes[te]]), Mtr[:3]])
yte = np.concatenate([yg[te], yg[extra]])
datasets["german"] = (Xtr, yg[tr], Xte, yte, 2)
datasets["german_mixed"] = (Mtr, yg[tr], Mte, yte, 2)
mixed_meta = {"numeric": len(num), "cardinality": card}

for name, file, target in [("iris", "iris.csv", "class"), ("wine", "wine.csv", "target")]:
    d = pd.read_csv(file)
    labels = sorted(d[target].unique())
    y = d[target].map({v: i for i, v in enumerate(labels)}).to_numpy()
    X = d.drop(columns=[target]).to_numpy(float)
    tr, te = split(len(d), 1, 0.7)
    a, b = standardize(X[tr], X[te])
    b = np.vstack([b, a[:3]])
    datasets[name] = (a, y[tr], b, np.concatenate([y[te], y[tr][:3]]), len(labels))

for name, (Xtr, ytr, Xte, yte, k) in datasets.items():
    save(f"{name}_X_train", Xtr)
    save(f"{name}_y_train", ytr)
    save(f"{name}_X_test", Xte)
    save(f"{name}_y_test", yte)
    save(f"{name}_w_train", weights(ytr, k))


def auc(y, p, k):
    if k == 2:
        return roc_auc_score(y, p[:, 1])
    return roc_auc_score(y, p, multi_class="ovr", average="macro")


cases = []


def add(case, model, dname, weighted, params, extra_jll=None):
    Xtr, ytr, Xte, yte, k = datasets[dname]
    sw = weights(ytr, k) if weighted else None
    t = time.time()
    if weighted:
        model.fit(Xtr, ytr, sample_weight=sw)
    else:
        model.fit(Xtr, ytr)
    fit_s = time.time() - t
    p = model.predict_proba(Xte)
    save(f"{case}_proba", p)
    cases.append({"name": case, "data": dname, "weighted": weighted, "classes": k,
                  "params": params, "proba": f"{case}_proba.csv",
                  "test_auc": auc(yte, p, k), "fit_seconds": fit_s})
    return model


for dname in ["german", "iris", "wine"]:
    for weighted in [False, True]:
        wtag = "w" if weighted else "u"
        for C in [0.1, 1.0]:
            # lbfgs stops on scipy's ftol (64 eps relative change) with a
            # gradient of up to ~1e-5; newton-cg reaches the optimum.
            add(f"{dname}_logistic_l2_C{C}_{wtag}",
                LogisticRegression(C=C, solver="lbfgs", tol=1e-10, max_iter=100000),
                dname, weighted, {"family": "logistic", "c": C, "penalty": "l2", "solver": "lbfgs"})
            add(f"{dname}_logistic_l2ncg_C{C}_{wtag}",
                LogisticRegression(C=C, solver="newton-cg", tol=1e-8, max_iter=1000),
                dname, weighted, {"family": "logistic", "c": C, "penalty": "l2", "solver": "newton-cg"})
            add(f"{dname}_logistic_l1_C{C}_{wtag}",
                LogisticRegression(C=C, penalty="l1", solver="saga", tol=1e-10, max_iter=1000000),
                dname, weighted, {"family": "logistic", "c": C, "penalty": "l1", "solver": "saga"})
        add(f"{dname}_gnb_{wtag}", GaussianNB(), dname, weighted,
            {"family": "naive_bayes", "kind": "gaussian", "var_smoothing": 1e-9})
    for kk in [5, 15]:
        for wts in ["uniform", "distance"]:
            # kd_tree computes sqrt(sum of squared differences) directly.
            add(f"{dname}_knn_{kk}_{wts}",
                KNeighborsClassifier(n_neighbors=kk, weights=wts, algorithm="kd_tree"),
                dname, False, {"family": "knn", "k": kk, "weights": wts})
add("wine_gnb_vs1e-2_u", GaussianNB(var_smoothing=1e-2), "wine", False,
    {"family": "naive_bayes", "kind": "gaussian", "var_smoothing": 1e-2})

# Mixed naive Bayes on German Credit: Gaussian on the numeric columns,
# categorical on the ordinal codes; the class prior is counted once.
Mtr, ytr, Mte, yte, _ = datasets["german_mixed"]
nn = mixed_meta["numeric"]
for weighted in [False, True]:
    for alpha in [1.0, 0.5]:
        sw = weights(ytr, 2) if weighted else None
        gnb = GaussianNB().fit(Mtr[:, :nn], ytr, sample_weight=sw)
        cnb = CategoricalNB(alpha=alpha, min_categories=mixed_meta["cardinality"]).fit(
            Mtr[:, nn:].astype(int), ytr, sample_weight=sw)
        jll = (gnb.predict_joint_log_proba(Mte[:, :nn])
               + cnb.predict_joint_log_proba(Mte[:, nn:].astype(int))
               - cnb.class_log_prior_)
        jll -= jll.max(axis=1, keepdims=True)
        p = np.exp(jll)
        p /= p.sum(axis=1, keepdims=True)
        case = f"german_mixednb_a{alpha}_{'w' if weighted else 'u'}"
        save(f"{case}_proba", p)
        cases.append({"name": case, "data": "german_mixed", "weighted": weighted, "classes": 2,
                      "params": {"family": "naive_bayes", "kind": "categorical", "alpha": alpha,
                                 "var_smoothing": 1e-9},
                      "proba": f"{case}_proba.csv", "test_auc": auc(yte, p, 2)})
        # Pure categorical NB on the codes alone.
        case = f"german_catnb_a{alpha}_{'w' if weighted else 'u'}"
        save(f"{case}_proba", cnb.predict_proba(Mte[:, nn:].astype(int)))
        cases.append({"name": case, "data": "german_codes", "weighted": weighted, "classes": 2,
                      "params": {"family": "naive_bayes", "kind": "categorical", "alpha": alpha},
                      "proba": f"{case}_proba.csv",
                      "test_auc": auc(yte, cnb.predict_proba(Mte[:, nn:].astype(int)), 2)})

with open(f"{OUT}/manifest.json", "w") as f:
    json.dump({"sklearn": sklearn.__version__, "german_mixed": mixed_meta, "cases": cases}, f, indent=1)
    f.write("\n")
