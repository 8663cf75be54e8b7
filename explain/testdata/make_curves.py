"""Reference curves and confusion matrices from scikit-learn 1.2.1.

Run from this folder with Debian's python3:

    /usr/bin/python3 make_curves.py

Writes curves.json: for a binary and a three-class case, labels y, class
probabilities P (rows sum to 1, with ties), and what sklearn.metrics
returns: roc_curve (drop_intermediate=True), roc_auc_score,
precision_recall_curve, average_precision_score per class (one-vs-rest)
and confusion_matrix of the argmax prediction.
"""
import json

import numpy as np
from sklearn.metrics import (average_precision_score, confusion_matrix, precision_recall_curve,
                             roc_auc_score, roc_curve)


def case(rng, n, k):
    y = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k)) + 1.2 * np.eye(k)[y]
    logits = np.round(logits, 1)  # ties between scores
    P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    out = {"y": y.tolist(), "P": P.tolist(), "per_class": []}
    for c in range(k):
        yc = (y == c).astype(int)
        fpr, tpr, th = roc_curve(yc, P[:, c])
        prec, rec, pth = precision_recall_curve(yc, P[:, c])
        out["per_class"].append({
            "class": c, "fpr": fpr.tolist(), "tpr": tpr.tolist(), "roc_thresholds": th.tolist(),
            "auc": roc_auc_score(yc, P[:, c]), "precision": prec.tolist(), "recall": rec.tolist(),
            "pr_thresholds": pth.tolist(), "ap": average_precision_score(yc, P[:, c])})
    out["confusion"] = confusion_matrix(y, P.argmax(axis=1), labels=list(range(k))).tolist()
    return out


def main():
    rng = np.random.default_rng(7)
    ref = {"binary": case(rng, 300, 2), "multiclass": case(rng, 240, 3)}
    with open("curves.json", "w") as fh:
        json.dump(ref, fh)


if __name__ == "__main__":
    main()
