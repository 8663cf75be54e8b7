#!/usr/bin/python3
"""Write reference.json: calibration inputs and scikit-learn 1.2.1 outputs.

    /usr/bin/python3 calibrate/testdata/make_reference.py

Cases: scores and labels drawn from a seeded numpy generator; for each,
scikit-learn's Platt fit (calibration._sigmoid_calibration, the function
CalibratedClassifierCV(method="sigmoid") calls), the same objective minimised
to a tight tolerance with scipy (fmin_bfgs stops at gtol 1e-5), and
IsotonicRegression(out_of_bounds="clip") fitted and evaluated at query points.
Multiclass cases (temperature_cases): probabilities from seeded logits, the
temperature T minimising the log loss of softmax(log(max(p, 1e-15)) / T),
found by scipy's bounded scalar search over 1/T in [0.01, 100] to 1e-12, and
the tempered probabilities. The Go test (reference_test.go) compares.
"""
import json
import os

import numpy as np
import sklearn
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit, log_softmax, softmax, xlogy
from sklearn.calibration import _sigmoid_calibration
from sklearn.isotonic import IsotonicRegression


def tight_platt(F, y):
    prior0 = float(np.sum(y <= 0))
    prior1 = y.shape[0] - prior0
    T = np.where(y > 0, (prior1 + 1.0) / (prior1 + 2.0), 1.0 / (prior0 + 2.0))

    def obj(AB):
        P = expit(-(AB[0] * F + AB[1]))
        return -(xlogy(T, P) + xlogy(1 - T, 1.0 - P)).sum()

    def grad(AB):
        P = expit(-(AB[0] * F + AB[1]))
        d = T - P
        return np.array([np.dot(d, F), d.sum()])

    AB0 = np.array([0.0, np.log((prior0 + 1.0) / (prior1 + 1.0))])
    r = minimize(obj, AB0, jac=grad, method="BFGS", options={"gtol": 1e-12, "maxiter": 10000})
    return float(r.x[0]), float(r.x[1])


rng = np.random.default_rng(20261202)
cases = []
for n, pos_rate, shift, ties in [(200, 0.3, 0.0, False), (500, 0.05, 0.3, False), (300, 0.5, -0.2, True), (60, 0.2, 0.1, True)]:
    y = (rng.random(n) < pos_rate).astype(int)
    z = 1.5 * (2 * y - 1) + rng.normal(size=n)
    F = expit(z + 3 * shift)
    if ties:
        F = np.round(F, 1)
    a, b = _sigmoid_calibration(F, y)
    ta, tb = tight_platt(F, y)
    iso = IsotonicRegression(out_of_bounds="clip").fit(F, y)
    q = np.concatenate([np.linspace(-0.1, 1.1, 41), F[:10]])
    cases.append({
        "f": F.tolist(), "y": y.tolist(),
        "platt_sklearn": [float(a), float(b)], "platt_tight": [ta, tb],
        "iso_x": iso.X_thresholds_.tolist(), "iso_y": iso.y_thresholds_.tolist(),
        "query": q.tolist(), "iso_pred": iso.predict(q).tolist(),
    })

def tight_temperature(P, y):
    logp = np.log(np.maximum(P, 1e-15))

    def obj(beta):
        return -log_softmax(beta * logp, axis=1)[np.arange(len(y)), y].sum()

    r = minimize_scalar(obj, bounds=(0.01, 100), method="bounded", options={"xatol": 1e-12, "maxiter": 10000})
    return 1.0 / float(r.x)


trng = np.random.default_rng(20261203)
temperature_cases = []
# (rows, classes, how sharp the model is against the truth, zeros in the rows)
for n, k, sharp, zeros in [(300, 3, 3.0, False), (500, 4, 0.4, False), (200, 5, 1.0, True), (40, 3, 50.0, False)]:
    y = trng.integers(0, k, size=n)
    z = trng.normal(size=(n, k))
    z[np.arange(n), y] += 1.5
    P = softmax(sharp * z, axis=1)
    if zeros:
        P[P < 0.02] = 0.0
        P /= P.sum(axis=1, keepdims=True)
    T = tight_temperature(P, y)
    Q = softmax(np.log(np.maximum(P, 1e-15)) / T, axis=1)
    temperature_cases.append({"p": P.ravel().tolist(), "y": y.tolist(), "classes": k,
                              "temperature": T, "tempered": Q.ravel().tolist()})

out = {"sklearn": sklearn.__version__, "cases": cases, "temperature_cases": temperature_cases}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json"), "w") as fh:
    json.dump(out, fh)
