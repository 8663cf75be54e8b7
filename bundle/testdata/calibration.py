"""Reference outputs for bundle.Calibration, from scikit-learn.

Fits CalibratedClassifierCV(cv="prefit") with method "sigmoid" (Platt) and
"isotonic" on a random forest (a model without decision_function, so that,
as in a bundle, the calibrators map predict_proba), for a binary and a 3-class problem, and
writes, per case, the fitted calibrators, the uncalibrated probabilities of
held-out rows and scikit-learn's calibrated probabilities to
calibration.json. A fifth case is temperature scaling of the 3-class forest
(scikit-learn 1.2 has none): T minimises the log loss of
softmax(log(max(p, 1e-15)) / T) on the calibration rows (scipy's bounded
search over 1/T), and numpy applies it to the held-out rows. Run with Debian's /usr/bin/python3 (sklearn 1.2.1):

    /usr/bin/python3 bundle/testdata/calibration.py
"""
import json
import os

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax

cases = []
for classes in (2, 3):
    X, y = make_classification(n_samples=750, n_features=6, n_informative=4, n_classes=classes,
                               n_clusters_per_class=1, flip_y=0.1, random_state=7)
    fit, cal, test = slice(0, 300), slice(300, 600), slice(600, 750)
    est = RandomForestClassifier(n_estimators=50, min_samples_leaf=5, random_state=0).fit(X[fit], y[fit])
    for method in ("sigmoid", "isotonic"):
        cc = CalibratedClassifierCV(est, method=method, cv="prefit").fit(X[cal], y[cal])
        cals = cc.calibrated_classifiers_[0].calibrators
        maps = []
        for k, c in enumerate(cals):
            cls = 1 if classes == 2 else k
            if method == "sigmoid":
                maps.append({"class": cls, "a": float(c.a_), "b": float(c.b_)})
            else:
                maps.append({"class": cls, "x": c.X_thresholds_.tolist(), "y": c.y_thresholds_.tolist()})
        cases.append({
            "name": f"{classes} classes, {method}",
            "calibration": {"version": 1, "method": "platt" if method == "sigmoid" else "isotonic", "maps": maps},
            "proba": est.predict_proba(X[test]).tolist(),
            "calibrated": cc.predict_proba(X[test]).tolist(),
        })

    if classes == 3:
        logp = np.log(np.maximum(est.predict_proba(X[cal]), 1e-15))
        yc = y[cal]
        r = minimize_scalar(lambda b: -log_softmax(b * logp, axis=1)[np.arange(len(yc)), yc].sum(),
                            bounds=(0.01, 100), method="bounded", options={"xatol": 1e-12})
        T = 1.0 / float(r.x)
        proba = est.predict_proba(X[test])
        cases.append({
            "name": "3 classes, temperature",
            "calibration": {"version": 1, "method": "temperature", "temperature": T},
            "proba": proba.tolist(),
            "calibrated": softmax(np.log(np.maximum(proba, 1e-15)) / T, axis=1).tolist(),
        })

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "calibration.json")
with open(out, "w") as f:
    json.dump(cases, f)
print("wrote", out)
