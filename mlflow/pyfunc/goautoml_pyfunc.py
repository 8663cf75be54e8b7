"""MLflow python_function loader for goautoml model bundles.

MLflow 2.x calls _load_pyfunc(path) with the model directory's data entry
(the bundle folder) and then predict(model_input, params=None) on the object
it returns. The object drives the Go scorer: one `automl serve` child process
per loaded model, on a loopback port with a random token, started on the
first call. The binary is $AUTOML_BINARY, else bin/automl inside the model
directory (written by `automl export mlflow --include-binary`), else `automl`
on PATH.

predict returns a pandas DataFrame with the column "prediction" (the class
the bundle decides: for a binary target with a decision threshold in
model.json, the positive class when its probability reaches the threshold;
otherwise the most probable class) and one column "probability_<class>" per
class. params
{"method": "predict"} keeps only the prediction, {"method": "predict_proba"}
only the probabilities.
"""

import atexit
import json
import math
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request

import pandas as pd

_MAX_ROWS = 5000  # rows per request; automl serve accepts 10,000


def _load_pyfunc(path):
    return GoAutoMLModel(path)


def _find_binary(bundle):
    env = os.environ.get("AUTOML_BINARY")
    if env:
        return env
    bundled = os.path.join(os.path.dirname(os.path.abspath(bundle)), "bin", "automl")
    if os.path.isfile(bundled):
        return _executable(bundled)
    found = shutil.which("automl")
    if found:
        return found
    raise RuntimeError(
        "goautoml: no automl binary: set AUTOML_BINARY, put automl on PATH, "
        "or export the model with --include-binary"
    )


def _executable(path):
    """path itself when it can be run, else a runnable copy: artifact stores do not keep the
    executable bit, so a downloaded bin/automl is a plain file."""
    if os.access(path, os.X_OK):
        return path
    try:
        os.chmod(path, os.stat(path).st_mode | 0o755)
        return path
    except OSError:
        pass
    fd, copy = tempfile.mkstemp(prefix="goautoml-")
    with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
        shutil.copyfileobj(src, out)
    os.chmod(copy, 0o755)
    atexit.register(os.remove, copy)
    return copy


class GoAutoMLModel:
    def __init__(self, bundle):
        self.bundle = os.path.abspath(bundle)
        with open(os.path.join(self.bundle, "model.json"), encoding="utf-8") as f:
            meta = json.load(f)
        self.classes = list(meta["classes"])
        self.inputs = [c["name"] for c in meta["inputs"]]
        # The decision threshold of a binary target (bundle.Model.Label).
        self.threshold = None
        t, pos = meta.get("threshold"), meta.get("positive", -1)
        if t is not None and len(self.classes) == 2 and pos in (0, 1):
            self.threshold = (float(t["value"]), pos)
        self.binary = _find_binary(self.bundle)
        self._proc = None
        self._url = None
        self._token = None
        self._lock = threading.Lock()

    # The child process.

    def _start(self):
        if self._proc is not None and self._proc.poll() is None:
            return
        self._token = secrets.token_hex(16)
        env = dict(os.environ, AUTOML_SERVE_TOKEN=self._token)
        proc = subprocess.Popen(
            [self.binary, "serve", "--model", self.bundle, "--addr", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        first = proc.stderr.readline()
        m = re.search(r" on (http://[^\s]+?): POST /score", first)
        if m is None:
            proc.kill()
            rest = proc.stderr.read()
            raise RuntimeError("goautoml: automl serve did not start: " + (first + rest).strip())
        self._url = m.group(1) + "/score"
        # Keep reading the log so the child never blocks on a full pipe.
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        self._proc = proc
        atexit.register(self.close)

    def close(self):
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # Scoring.

    def predict(self, model_input, params=None):
        method = (params or {}).get("method", "predict_full")
        if method not in ("predict", "predict_proba", "predict_full"):
            raise ValueError(
                'goautoml: params method %r: want "predict", "predict_proba" or "predict_full"' % (method,)
            )
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        missing = [c for c in self.inputs if c not in frame.columns]
        if missing:
            raise ValueError("goautoml: input has no column %s" % ", ".join(repr(c) for c in missing))
        probs = []
        with self._lock:
            self._start()
            for lo in range(0, len(frame), _MAX_ROWS):
                probs.extend(self._score(frame.iloc[lo : lo + _MAX_ROWS]))
        out = pd.DataFrame(
            probs, columns=["probability_" + c for c in self.classes], index=frame.index, dtype="float64"
        )
        labels = []
        for row in probs:
            if self.threshold is not None:
                value, pos = self.threshold
                labels.append(self.classes[pos if row[pos] >= value else 1 - pos])
                continue
            best = 0
            for j in range(1, len(row)):
                if row[j] > row[best]:
                    best = j
            labels.append(self.classes[best])
        if method == "predict_proba":
            return out
        pred = pd.DataFrame({"prediction": labels}, index=frame.index)
        if method == "predict":
            return pred
        return pd.concat([pred, out], axis=1)

    def _score(self, part):
        data = [[_cell(v) for v in row] for row in part[self.inputs].itertuples(index=False, name=None)]
        body = json.dumps({"columns": self.inputs, "data": data, "method": "predict_proba"}).encode()
        req = urllib.request.Request(
            self._url,
            data=body,
            headers={"Content-Type": "application/json", "Authorization": "Bearer " + self._token},
        )
        try:
            with urllib.request.urlopen(req, timeout=300) as resp:
                answer = json.load(resp)
        except urllib.error.HTTPError as e:
            raise ValueError("goautoml: " + e.read().decode("utf-8", "replace").strip()) from None
        return answer["probabilities"]


def _cell(v):
    """A JSON value for one cell: missing values (None, NaN, NaT) are null."""
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):  # numpy scalars
        v = v.item()
    if isinstance(v, (bool, int, float, str)):
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)
