package mlflow

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goautoml/automl/mlflow/mlflowtest"
)

const trialTag = "goautoml.trial"

func TestLostCreateAnswerMakesNoDuplicate(t *testing.T) {
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 31, Stall: 3 * time.Second})
	defer s.Close()
	ctx := context.Background()
	pol := fastRetry(31)
	pol.AttemptTimeout = 150 * time.Millisecond
	c := &Client{BaseURL: s.URL, Retry: pol}
	for i, f := range []mlflowtest.Fault{mlflowtest.FaultResetAfter, mlflowtest.FaultStall} {
		before := len(s.Runs())
		s.FailNext("/runs/create", f, 1)
		run, created, err := c.GetOrCreateRun(ctx, CreateRunRequest{ExperimentID: "0", RunName: "t"}, trialTag, fmt.Sprint("e/", i))
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		// The first create succeeded on the server; the client found it instead of making another.
		if created || len(s.Runs()) != before+1 || s.Runs()[before].ID != run.Info.RunID {
			t.Errorf("%v: created=%v, %d runs now (were %d)", f, created, len(s.Runs()), before)
		}
		again, created, err := c.GetOrCreateRun(ctx, CreateRunRequest{ExperimentID: "0"}, trialTag, fmt.Sprint("e/", i))
		if err != nil || created || again.Info.RunID != run.Info.RunID {
			t.Errorf("%v: second call: %v created=%v", f, err, created)
		}
	}
	// Plain CreateRun retries blindly: the same lost answer makes a duplicate (documented).
	before := len(s.Runs())
	s.FailNext("/runs/create", mlflowtest.FaultResetAfter, 1)
	if _, err := c.CreateRun(ctx, CreateRunRequest{ExperimentID: "0"}); err != nil {
		t.Fatal(err)
	}
	if got := len(s.Runs()) - before; got != 2 {
		t.Errorf("plain CreateRun after a lost answer made %d runs; the documentation says 2", got)
	}
	// Same for model versions.
	if err := c.EnsureRegisteredModel(ctx, "m", "", nil); err != nil {
		t.Fatal(err)
	}
	s.FailNext("/model-versions/create", mlflowtest.FaultResetAfter, 1)
	req := CreateModelVersionRequest{Name: "m", Source: "mlflow-artifacts:/0/r/artifacts/model", RunID: "r"}
	mv, created, err := c.GetOrCreateModelVersion(ctx, req)
	if err != nil || created || mv.Version != "1" || len(s.ModelVersions("m")) != 1 {
		t.Errorf("model version: %+v created=%v err=%v, %d versions", mv, created, err, len(s.ModelVersions("m")))
	}
}

// TestExportSurvivesFaults runs the export sequence an experiment needs (experiment, one run
// per trial with params, metrics, tags and artifacts, the model directory, registration and
// alias) against a server failing 20 % of requests in every way it can, and checks the
// server's state afterwards: everything arrived, exactly once.
func TestExportSurvivesFaults(t *testing.T) {
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 2026, FailRate: 0.2, Stall: 3 * time.Second})
	defer s.Close()
	ctx := context.Background()
	pol := RetryPolicy{MaxAttempts: 12, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond,
		MaxElapsed: 20 * time.Second, AttemptTimeout: 150 * time.Millisecond, Seed: 7}
	c := &Client{BaseURL: s.URL, Retry: pol}

	expID, err := c.GetOrCreateExperiment(ctx, "german-credit", []Tag{{Key: "goautoml.data_sha256", Value: "abc"}})
	if err != nil {
		t.Fatal(err)
	}
	const trials = 12
	art := t.TempDir()
	os.WriteFile(filepath.Join(art, "roc.svg"), []byte("<svg>roc</svg>"), 0o644)
	os.WriteFile(filepath.Join(art, "shap.csv"), bytes.Repeat([]byte("feature,0.1\n"), 500), 0o644)
	runs := map[string]string{}
	var bestURI, bestRun string
	for i := range trials {
		key := fmt.Sprintf("german-credit/%d", i)
		run, _, err := c.GetOrCreateRun(ctx, CreateRunRequest{ExperimentID: expID, RunName: fmt.Sprintf("trial-%d", i)}, trialTag, key)
		if err != nil {
			t.Fatalf("trial %d: %v", i, err)
		}
		runs[key] = run.Info.RunID
		params, err := FlattenParams("", map[string]any{"model": map[string]any{"family": "gbdt", "rounds": 100 + i}, "seed": i})
		if err != nil {
			t.Fatal(err)
		}
		b := Batch{Params: params, Tags: []Tag{{Key: "goautoml.family", Value: "gbdt"}}}
		for step := range 150 {
			b.Metrics = append(b.Metrics, Metric{Key: "val_logloss", Value: 1 / float64(step+1), Timestamp: int64(1000 + step), Step: int64(step)})
		}
		b.Metrics = append(b.Metrics, Metric{Key: "roc_auc", Value: 0.7 + float64(i)/100, Timestamp: 5000})
		if err := c.LogBatch(ctx, run.Info.RunID, b); err != nil {
			t.Fatalf("trial %d: %v", i, err)
		}
		up, err := c.Artifacts(run.Info.ArtifactURI)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := up.UploadDir(ctx, "plots", art); err != nil {
			t.Fatalf("trial %d: %v", i, err)
		}
		if i == trials-1 {
			model := germanCreditModel(t)
			model.RunID = run.Info.RunID
			dir := filepath.Join(t.TempDir(), "model")
			if err := WriteModelDir(dir, model); err != nil {
				t.Fatal(err)
			}
			if _, err := up.UploadDir(ctx, "model", dir); err != nil {
				t.Fatal(err)
			}
			bestURI, bestRun = up.URI("model"), run.Info.RunID
		}
		if _, err := c.UpdateRun(ctx, UpdateRunRequest{RunID: run.Info.RunID, Status: StatusFinished, EndTime: 9000}); err != nil {
			t.Fatalf("trial %d: %v", i, err)
		}
	}
	if err := c.EnsureRegisteredModel(ctx, "german-credit", "best model", nil); err != nil {
		t.Fatal(err)
	}
	mv, _, err := c.GetOrCreateModelVersion(ctx, CreateModelVersionRequest{Name: "german-credit", Source: bestURI, RunID: bestRun})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetAlias(ctx, "german-credit", "champion", mv.Version); err != nil {
		t.Fatal(err)
	}

	s.SetFailRate(0)
	st := s.Stats()
	t.Logf("%d requests, injected %v", st.Requests, st.Injected)
	for _, f := range mlflowtest.AllFaults {
		if st.Injected[f] == 0 {
			t.Errorf("no %v fault was injected; the test does not cover it", f)
		}
	}
	all := s.Runs()
	if len(all) != trials || st.RunsCreated != trials {
		t.Fatalf("%d runs on the server (%d creates) for %d trials", len(all), st.RunsCreated, trials)
	}
	for _, r := range all {
		key := r.Tags[trialTag]
		if runs[key] != r.ID {
			t.Errorf("run %s tagged %q is not the one the client used (%s)", r.ID, key, runs[key])
		}
		if r.Status != StatusFinished || len(r.Params) != 3 || len(r.Metrics) != 151 || r.Tags["goautoml.family"] != "gbdt" {
			t.Errorf("run %s: status %s, %d params, %d metrics", key, r.Status, len(r.Params), len(r.Metrics))
		}
		root := strings.TrimPrefix(r.ArtifactURI, "mlflow-artifacts:/")
		if b, ok := s.Artifact(root + "/plots/shap.csv"); !ok || len(b) != 6000 {
			t.Errorf("run %s: shap.csv has %d bytes", key, len(b))
		}
	}
	if st.ChunkedUploads != 0 {
		t.Errorf("%d chunked uploads", st.ChunkedUploads)
	}
	vs := s.ModelVersions("german-credit")
	if len(vs) != 1 || vs[0].Source != bestURI || vs[0].RunID != bestRun || len(vs[0].Aliases) != 1 || vs[0].Aliases[0] != "champion" {
		t.Errorf("model versions = %+v", vs)
	}
	// The registered source holds the MLmodel, as the registry's model view needs.
	mlmodel, ok := s.Artifact(strings.TrimPrefix(bestURI, "mlflow-artifacts:/") + "/MLmodel")
	if !ok || !bytes.Contains(mlmodel, []byte("goautoml:")) {
		t.Errorf("no MLmodel under the version's source %s", bestURI)
	}
	got, err := c.GetVersionByAlias(ctx, "german-credit", "champion")
	if err != nil || got.Version != mv.Version {
		t.Errorf("alias lookup: %+v, %v", got, err)
	}
}
