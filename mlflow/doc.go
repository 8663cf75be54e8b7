// Package mlflow exports experiments to an MLflow tracking server: a REST API 2.0 client with
// bounded retries, proxied artifact uploads, the model registry, and an MLflow Model directory writer.
//
// The client speaks the tracking server's documented JSON API (/api/2.0/mlflow/...) and its
// proxied artifact API (/api/2.0/mlflow-artifacts/artifacts/...), which MLflow 2.x serves by
// default. Facts it relies on, measured against MLflow 2.17 and a 3.x build:
//
//   - POST bodies must be sent with Content-Type: application/json.
//   - A run's artifact paths are derived from the artifact_uri that runs/create returns
//     (mlflow-artifacts:/<experiment>/<run>/artifacts), never assembled by hand.
//   - Artifact uploads always carry a Content-Length: one 3.x deployment answered 200 to a
//     chunked upload and stored an empty file.
//   - A model version's source is the run's artifact_uri plus the model directory; a
//     runs:/<run>/model source registers, but the registry's model view then fails.
//   - runs/log-batch accepts at most 1000 metrics, 100 params and 100 tags (1000 items in all)
//     per call, and param values longer than 6000 characters are cut silently by the server;
//     LogBatch splits and truncates so that what is stored is what the caller was told.
//
// # Retries and idempotency
//
// Every call is retried on HTTP 429, on 5xx answers and on connection errors and attempt
// timeouts, with exponential backoff and jitter drawn from a generator seeded by
// RetryPolicy.Seed, bounded by RetryPolicy.MaxAttempts and RetryPolicy.MaxElapsed, and
// waiting at least as long as a Retry-After header asks. This includes the calls that are
// not idempotent on the server: runs/create and model-versions/create. If such a call
// succeeded on the server but its answer was lost, the retry creates a second run or version.
// Callers that must not duplicate use GetOrCreateRun (which looks the run up by a tag with
// FindRunByTag before every creation attempt), GetOrCreateExperiment, EnsureRegisteredModel and
// GetOrCreateModelVersion. Everything else the client sends is safe to repeat: log-batch
// re-logs identical metrics, params and tags (MLflow keeps one copy), set-tag overwrites,
// runs/update and artifact PUTs replace.
//
// # Exporting an experiment
//
// Export (and Exporter, for logging trials as they finish) maps an automl experiment folder
// onto the server: one MLflow experiment (named after the automl experiment unless
// ExportOptions.ExperimentName says otherwise); a parent run carrying the data, split, search
// settings, guardrails and profile summary as params and tags (goautoml.guardrail.<code>[.<column>],
// goautoml.alert.<code>.<column>), the best trial's metrics, leaderboard.csv, experiment.json,
// trials.jsonl and every other file outside trials/ (exploration notebook, search-progress
// plots); and one child run per trial (tag mlflow.parentRunId) with the flattened preprocessing
// ("prep.*") and model ("model.*") params, the validation and test metrics under Databricks
// AutoML's names (MetricName: val_roc_auc_score, test_f1_score, val_log_loss; pr_auc, which is
// average precision, becomes average_precision_score), tags for family, seed, data sha256 and
// trial id, every file of the trial's folder (notebook, explain/ plots and SHAP files) and, when
// the trial kept a bundle, an MLflow Model directory under "model" (MLmodel with the goautoml
// flavor and a signature, input_example.json, the bundle under model/bundle). Registration uses
// the run's artifact_uri + "/model" as the version's source.
//
// Runs are found again by an identity tag (goautoml.parent = <experiment>, goautoml.trial =
// <experiment>/<trial id>) and carry goautoml.export_complete, set last, holding a fingerprint of
// what was sent (the record and the name and size of each file). An export skips runs whose tag
// matches, finishes runs without it (an interrupted export), and re-sends runs whose folder
// gained files since (plots made by a later automl explain).
//
// Exports of one experiment to one server are serialised (Exporter.All): the export creates a
// registered model named ExportLockName(experiment id, name) first, which succeeds for exactly
// one of two exports racing from two machines (the registry refuses a name that exists), keeps
// it fresh while it runs and deletes it at the end; the other waits. A lock left by a killed
// export is taken over once its last_updated_timestamp has not moved for two minutes. The
// registered version of the best model gets ExportOptions.Alias ("champion" from the CLI).
//
// # Serving the model
//
// Each MLflow Model also has the python_function flavor: code/goautoml_pyfunc.py (PyFuncLoader)
// is the loader module MLflow 2.x imports; its _load_pyfunc returns a model whose
// predict(DataFrame, params=None) answers "prediction" and "probability_<class>" columns
// ({"method": "predict"} or "predict_proba" keep one part) by driving an `automl serve` child
// process on a loopback port. The binary is $AUTOML_BINARY, bin/automl in the model
// (ExportOptions.Binary, `--include-binary`) or automl on PATH. With ExportOptions.ONNX the
// model also holds model.onnx (package onnx). A trial notebook logs through LogNotebook, into
// the trial's run, under the same names.
package mlflow
