"""Loads an MLflow Model directory as mlflow.pyfunc.load_model does in MLflow 2.x and scores a CSV.

usage: /usr/bin/python3 pyfunc_harness.py JOBS.json

JOBS.json lists jobs {"model": MODEL_DIR, "data": DATA.csv, "methods": [METHOD...],
"env": {NAME: VALUE}}; each job sets its environment variables, loads its model and scores its
data. One process serves every job, so pandas is imported once.

MLflow is not installed where the tests run, so this follows its loader contract step by step:
read MLmodel, take flavors.python_function, put its `code` folder on sys.path, import
`loader_module`, call `_load_pyfunc(<model dir>/<data>)`, enforce the column signature on the
input DataFrame (missing required columns are an error, extra columns are dropped, columns are
cast to the signature's types), and call `predict(model_input, params=...)` when the predict
method takes params, `predict(model_input)` otherwise, as PyFuncModel.predict does: once
without params, then once per METHOD with params {"method": METHOD}. The answers are printed as
a JSON list (one per job) of lists of {"columns": [...], "data": [[...], ...]}, floats written
exactly.
"""

import importlib
import inspect
import json
import os
import sys

import pandas as pd
import yaml

_PANDAS = {"double": "float64", "float": "float32", "long": "int64", "integer": "int32"}


def load_model(model_dir):
    with open(os.path.join(model_dir, "MLmodel"), encoding="utf-8") as f:
        meta = yaml.safe_load(f)
    if "python_function" not in meta["flavors"]:
        raise SystemExit("Model does not have the python_function flavor")
    conf = meta["flavors"]["python_function"]
    if conf.get("code"):
        # MLflow puts the code folder first on sys.path and forgets modules it shadows.
        sys.path.insert(0, os.path.join(model_dir, conf["code"]))
        sys.modules.pop(conf["loader_module"], None)
    data_path = os.path.join(model_dir, conf["data"]) if conf.get("data") else model_dir
    impl = importlib.import_module(conf["loader_module"])._load_pyfunc(data_path)
    return meta, impl


def enforce(meta, frame):
    inputs = json.loads(meta["signature"]["inputs"])
    names = [c["name"] for c in inputs]
    missing = [c["name"] for c in inputs if c.get("required", True) and c["name"] not in frame.columns]
    if missing:
        raise SystemExit("Model is missing inputs %s" % missing)
    frame = frame[[n for n in names if n in frame.columns]].copy()
    for c in inputs:
        t = c["type"]
        if t in _PANDAS:
            frame[c["name"]] = frame[c["name"]].astype(_PANDAS[t])
        elif t == "string":
            frame[c["name"]] = frame[c["name"]].astype(object)
    return frame


def run(job):
    for k, v in (job.get("env") or {}).items():
        os.environ[k] = v
    meta, impl = load_model(job["model"])
    inputs = json.loads(meta["signature"]["inputs"])
    dtypes = {c["name"]: str for c in inputs if c["type"] == "string"}
    frame = enforce(meta, pd.read_csv(job["data"], dtype=dtypes))
    takes_params = "params" in inspect.signature(impl.predict).parameters
    answers = []
    for params in [None] + [{"method": m} for m in job.get("methods") or []]:
        out = impl.predict(frame, params=params) if takes_params else impl.predict(frame)
        if not isinstance(out, pd.DataFrame):
            raise SystemExit("predict returned %s, not a DataFrame" % type(out).__name__)
        rows = [[v.item() if hasattr(v, "item") else v for v in row] for row in out.itertuples(index=False, name=None)]
        answers.append({"columns": list(out.columns), "data": rows})
    if hasattr(impl, "close"):
        impl.close()
    return answers


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        jobs = json.load(f)
    json.dump([run(job) for job in jobs], sys.stdout)


if __name__ == "__main__":
    main()
