"""Loads an MLflow Model directory as mlflow.pyfunc.load_model does in MLflow 2.x and scores a CSV.

usage: /usr/bin/python3 pyfunc_harness.py MODEL_DIR DATA.csv [METHOD]

MLflow is not installed where the tests run, so this follows its loader contract step by step:
read MLmodel, take flavors.python_function, put its `code` folder on sys.path, import
`loader_module`, call `_load_pyfunc(<model dir>/<data>)`, enforce the column signature on the
input DataFrame (missing required columns are an error, extra columns are dropped, columns are
cast to the signature's types), and call `predict(model_input, params=...)` when the predict
method takes params, `predict(model_input)` otherwise, as PyFuncModel.predict does. The answer
is printed as JSON: {"columns": [...], "data": [[...], ...]} with floats written exactly.
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
        sys.path.insert(0, os.path.join(model_dir, conf["code"]))
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


def main():
    model_dir, data = sys.argv[1], sys.argv[2]
    params = {"method": sys.argv[3]} if len(sys.argv) > 3 else None
    meta, impl = load_model(model_dir)
    inputs = json.loads(meta["signature"]["inputs"])
    dtypes = {c["name"]: str for c in inputs if c["type"] == "string"}
    frame = enforce(meta, pd.read_csv(data, dtype=dtypes))
    if "params" in inspect.signature(impl.predict).parameters:
        out = impl.predict(frame, params=params)
    else:
        out = impl.predict(frame)
    if not isinstance(out, pd.DataFrame):
        raise SystemExit("predict returned %s, not a DataFrame" % type(out).__name__)
    rows = [[v.item() if hasattr(v, "item") else v for v in row] for row in out.itertuples(index=False, name=None)]
    json.dump({"columns": list(out.columns), "data": rows}, sys.stdout)


if __name__ == "__main__":
    main()
