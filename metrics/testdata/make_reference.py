#!/usr/bin/python3
"""Write reference.json: metric inputs and scikit-learn 1.2.1 outputs.

Run with the system Python that has scikit-learn 1.2.1 and numpy:

    /usr/bin/python3 metrics/testdata/make_reference.py

The Go test (reference_test.go) reads reference.json and compares.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    log_loss,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)
from sklearn.preprocessing import label_binarize

warnings.simplefilter("ignore")  # zero_division and absent-class warnings
rng = np.random.RandomState(20240611)
MACHINE_EPS = float(np.finfo(np.float64).eps)


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64)]


def ints(a):
    return [int(v) for v in np.asarray(a)]


def common(y, P, k):
    """Metrics defined for any number of classes."""
    pred = P.argmax(axis=1)  # ties -> lowest index, as Argmax
    p, r, f, _ = precision_recall_fscore_support(
        y, pred, average="macro", zero_division=0
    )
    return {
        "pred": ints(pred),
        "log_loss": float(log_loss(y, P, eps=1e-15, labels=list(range(k)))),
        "log_loss_machine_eps": float(log_loss(y, P, eps="auto", labels=list(range(k)))),
        "accuracy": float(accuracy_score(y, pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "macro_precision": float(p),
        "macro_recall": float(r),
        "macro_f1": float(f),
        "confusion": confusion_matrix(y, pred, labels=list(range(k))).tolist(),
    }


def binary_case(name, y, score, pos=1, P=None):
    y = np.asarray(y)
    score = np.asarray(score, dtype=np.float64)
    if P is None:
        P = np.empty((len(y), 2))
        P[:, pos] = score
        P[:, 1 - pos] = 1 - score
    yb = (y == pos).astype(int)
    pred = P.argmax(axis=1)
    fpr, tpr, thr = roc_curve(yb, score, drop_intermediate=True)
    prec, rec, pthr = precision_recall_curve(yb, score)
    p, r, f, _ = precision_recall_fscore_support(
        y, pred, average="binary", pos_label=pos, zero_division=0
    )
    out = {
        "name": name,
        "k": 2,
        "pos": pos,
        "y": ints(y),
        "score": floats(score),
        "P": [floats(row) for row in P],
        "roc_auc": float(roc_auc_score(yb, score)),
        "roc_fpr": floats(fpr),
        "roc_tpr": floats(tpr),
        "roc_thresholds": floats(thr),
        "average_precision": float(average_precision_score(yb, score)),
        "pr_precision": floats(prec),
        "pr_recall": floats(rec),
        "pr_thresholds": floats(pthr),
        "precision": float(p),
        "recall": float(r),
        "f1": float(f),
        "brier": float(brier_score_loss(yb, score)),
        "calibration": {},
    }
    out.update(common(y, P, 2))
    if score.min() >= 0 and score.max() <= 1:
        for bins in (5, 10):
            frac, mean_pred = calibration_curve(yb, score, n_bins=bins, strategy="uniform")
            out["calibration"][str(bins)] = {"frac_pos": floats(frac), "mean_pred": floats(mean_pred)}
    return out


def multiclass_case(name, y, P, k):
    y = np.asarray(y)
    P = np.asarray(P, dtype=np.float64)
    present = [c for c in range(k) if 0 < (y == c).sum() < len(y)]
    per_auc = [float(roc_auc_score((y == c).astype(int), P[:, c])) for c in range(k) if c in present]
    per_ap = [float(average_precision_score((y == c).astype(int), P[:, c])) for c in range(k) if c in present]
    out = {
        "name": name,
        "k": k,
        "pos": -1,
        "y": ints(y),
        "P": [floats(row) for row in P],
        "per_class_roc_auc": per_auc,
        "per_class_ap": per_ap,
        "present": present,
        # Brier's multi-category score (scikit-learn 1.2 scores binary
        # targets only; 1.6 computes this for multiclass ones).
        "brier": float(np.mean(np.sum((P - np.eye(k)[y]) ** 2, axis=1))),
    }
    if len(present) == k:
        # The library's own multiclass entry points; they refuse absent classes.
        out["macro_roc_auc"] = float(roc_auc_score(y, P, multi_class="ovr", average="macro"))
        out["macro_ap"] = float(
            average_precision_score(label_binarize(y, classes=list(range(k))), P, average="macro")
        )
    else:
        # Documented deviation: average over the classes present in y.
        out["macro_roc_auc"] = float(np.mean(per_auc))
        out["macro_ap"] = float(np.mean(per_ap))
    out.update(common(y, P, k))
    return out


def dirichlet(n, k, conc=1.0):
    return rng.dirichlet(np.full(k, conc), size=n)


def informative(y, k, strength):
    """Probabilities that lean towards the true class."""
    logits = rng.normal(size=(len(y), k))
    logits[np.arange(len(y)), y] += strength
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


cases = []

# Random binary scores with ties (rounded to 0.05).
y = rng.randint(0, 2, size=300)
s = np.clip(np.round((rng.rand(300) * 0.6 + 0.4 * y) / 0.05) * 0.05, 0, 1)
cases.append(binary_case("binary_ties", y, s))

# Heavily tied: three distinct scores only.
y = rng.randint(0, 2, size=200)
s = rng.choice([0.1, 0.5, 0.9], size=200, p=[0.3, 0.4, 0.3])
s[y == 1] = np.where(rng.rand((y == 1).sum()) < 0.5, 0.9, s[y == 1])
cases.append(binary_case("binary_heavy_ties", y, s))

# Scores on calibration bin edges (0.2, 0.3, 0.5, ...) and at exact 0 and 1,
# which also makes log loss clip.
y = rng.randint(0, 2, size=120)
s = rng.choice([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], size=120)
cases.append(binary_case("binary_edges_and_extremes", y, s))

# Continuous scores, no ties, more than 128 points (pairwise summation).
y = rng.randint(0, 2, size=2000)
s = 1 / (1 + np.exp(-(rng.normal(size=2000) + 1.2 * (2 * y - 1))))
cases.append(binary_case("binary_continuous_2000", y, s))

# Perfect and inverted rankings.
y = np.array([0] * 40 + [1] * 25)
rng.shuffle(y)
s = np.where(y == 1, 0.6 + 0.4 * rng.rand(65), 0.5 * rng.rand(65))
cases.append(binary_case("binary_perfect", y, s))
cases.append(binary_case("binary_inverted", y, 1 - s))

# Imbalanced labels: 3% positives.
y = (rng.rand(1000) < 0.03).astype(int)
s = np.round(np.clip(rng.beta(2, 5, size=1000) + 0.25 * y, 0, 1), 3)
cases.append(binary_case("binary_imbalanced", y, s))

# Positive class is index 0.
y = rng.randint(0, 2, size=150)
s = np.round(np.clip(rng.rand(150) * 0.7 + 0.3 * (y == 0), 0, 1), 2)
cases.append(binary_case("binary_pos0", y, s, pos=0))

# Rows not summing to one (log loss renormalises) and a never-predicted class.
y = rng.randint(0, 2, size=80)
P = rng.rand(80, 2) * np.array([1.0, 0.3])
cases.append(binary_case("binary_unnormalised_never_positive", y, P[:, 1], pos=1, P=P))

# Multiclass.
y = rng.randint(0, 3, size=300)
cases.append(multiclass_case("multi3", y, informative(y, 3, 1.5), 3))

y = rng.randint(0, 7, size=700)
P = np.round(informative(y, 7, 1.0), 2)  # rounding creates ties
P = P / P.sum(axis=1, keepdims=True)
cases.append(multiclass_case("multi7_ties", y, P, 7))

# A class that is never predicted.
y = rng.randint(0, 4, size=250)
P = informative(y, 4, 2.0)
P[:, 2] *= 0.001
P = P / P.sum(axis=1, keepdims=True)
case = multiclass_case("multi4_class_never_predicted", y, P, 4)
assert 2 not in case["pred"]
cases.append(case)

# A class absent from y (macro averages over present classes).
y = rng.randint(0, 4, size=200)
P = informative(y, 5, 1.0)
cases.append(multiclass_case("multi5_class_absent", y, P, 5))

# Probabilities at exactly 0 and 1 (log loss clipping) in a multiclass case.
y = rng.randint(0, 3, size=60)
P = np.zeros((60, 3))
P[np.arange(60), np.where(rng.rand(60) < 0.8, y, (y + 1) % 3)] = 1.0
cases.append(multiclass_case("multi3_hard", y, P, 3))

out = {
    "generator": "make_reference.py",
    "sklearn": sklearn.__version__,
    "numpy": np.__version__,
    "cases": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes")
