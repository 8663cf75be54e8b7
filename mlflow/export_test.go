package mlflow

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/mlflow/mlflowtest"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/knn"
	"github.com/goautoml/automl/models/logistic"
	"github.com/goautoml/automl/models/naivebayes"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

var (
	gcOnce sync.Once
	gcDir  string
	gcErr  error
)

// germanCredit runs a 30-trial German Credit experiment once per test binary, in its own
// temporary folder, and returns a fresh copy of the experiment folder for the caller.
func germanCredit(t *testing.T) string {
	t.Helper()
	gcOnce.Do(func() {
		root, err := os.MkdirTemp("", "mlflow-export-")
		if err != nil {
			gcErr = err
			return
		}
		data, err := samples.WriteGermanCredit(root)
		if err != nil {
			gcErr = err
			return
		}
		cfg := automl.Config{Data: data, Target: "class", MaxTrials: 30, Seed: 5, Workers: 2,
			Include: []models.Family{logistic.Name, naivebayes.Name, knn.Name},
			RunsDir: filepath.Join(root, "runs"), Name: "gc"}
		res, err := automl.Run(context.Background(), cfg, automl.Options{})
		if err != nil {
			gcErr = err
			return
		}
		gcDir = res.Dir
	})
	if gcErr != nil {
		t.Fatal(gcErr)
	}
	dst := filepath.Join(t.TempDir(), "gc")
	if err := copyTree(gcDir, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

func exportClient(s *mlflowtest.Server, seed uint64) *Client {
	return &Client{BaseURL: s.URL, Retry: RetryPolicy{MaxAttempts: 12, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond,
		MaxElapsed: 30 * time.Second, AttemptTimeout: 300 * time.Millisecond, Seed: seed}}
}

// checkExport checks the server holds exactly one parent and one child run per trial of dir,
// complete, with the params, metrics, tags and artifacts the mapping promises.
func checkExport(t *testing.T, s *mlflowtest.Server, dir string) {
	t.Helper()
	st, _ := automl.OpenStore(dir)
	e, _ := st.Experiment()
	trials, _ := st.Trials()
	if len(trials) != 30 {
		t.Fatalf("the experiment has %d trials, want 30", len(trials))
	}
	var parent *mlflowtest.RunRecord
	children := map[string]mlflowtest.RunRecord{}
	runs := s.Runs()
	for i, r := range runs {
		switch {
		case r.Tags[TagParent] != "":
			if parent != nil {
				t.Fatalf("two parent runs: %s and %s", parent.ID, r.ID)
			}
			parent = &runs[i]
		case r.Tags[TagTrial] != "":
			if _, dup := children[r.Tags[TagTrial]]; dup {
				t.Errorf("two runs for %s", r.Tags[TagTrial])
			}
			children[r.Tags[TagTrial]] = r
		default:
			t.Errorf("run %s has no identity tag", r.ID)
		}
	}
	if parent == nil || len(children) != 30 || len(runs) != 31 {
		t.Fatalf("%d runs (%d children, parent %v); want 1 parent and 30 children", len(runs), len(children), parent != nil)
	}
	if parent.Status != StatusFinished || parent.Tags[TagComplete] == "" || parent.Tags["goautoml.best_trial"] != strconv.Itoa(*e.Best) {
		t.Errorf("parent: status %s, tags %v", parent.Status, parent.Tags)
	}
	for _, k := range []string{"target", "data.rows", "split.train", "profile.columns", "metric"} {
		if parent.Params[k] == "" {
			t.Errorf("parent lacks param %s", k)
		}
	}
	art := func(r mlflowtest.RunRecord, rel string) ([]byte, bool) {
		return s.Artifact(strings.TrimPrefix(r.ArtifactURI, "mlflow-artifacts:/") + "/" + rel)
	}
	board, ok := art(*parent, "leaderboard.csv")
	if !ok || strings.Count(string(board), "\n") != 31 {
		t.Errorf("leaderboard.csv: %v, %d lines", ok, strings.Count(string(board), "\n"))
	}
	if _, ok := art(*parent, "experiment.json"); !ok {
		t.Error("parent lacks experiment.json")
	}
	bundles := 0
	for _, tr := range trials {
		r, ok := children[e.Name+"/"+strconv.Itoa(tr.ID)]
		if !ok {
			t.Errorf("trial %d has no run", tr.ID)
			continue
		}
		if r.Tags[TagParentRunID] != parent.ID || r.Tags[TagFamily] != string(tr.Model.Family) ||
			r.Tags[TagSeed] != strconv.FormatUint(tr.Seed, 10) || r.Tags[TagDataSHA256] != e.Data.SHA256 ||
			r.Tags[TagTrialID] != strconv.Itoa(tr.ID) || r.Tags[TagComplete] == "" {
			t.Errorf("trial %d: tags %v", tr.ID, r.Tags)
		}
		if r.Params["model.family"] != string(tr.Model.Family) || r.Params["prep.encoding"] == "" || r.Params["prep.columns"] == "" {
			t.Errorf("trial %d: params %v", tr.ID, r.Params)
		}
		want := map[string]float64{}
		for k, v := range tr.Val {
			want[MetricName("val", k)] = v
		}
		for k, v := range tr.Test {
			want[MetricName("test", k)] = v
		}
		got := map[string]float64{}
		for _, m := range r.Metrics {
			if _, dup := got[m.Key]; dup {
				t.Errorf("trial %d: metric %s stored twice", tr.ID, m.Key)
			}
			got[m.Key] = m.Value
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("trial %d: %s = %v, want %v", tr.ID, k, got[k], v)
			}
		}
		if tr.Status == "ok" {
			for _, k := range []string{"val_roc_auc_score", "test_f1_score", "val_log_loss", "val_average_precision_score", "test_balanced_accuracy_score"} {
				if _, ok := got[k]; !ok {
					t.Errorf("trial %d: no metric %s: %v", tr.ID, k, got)
				}
			}
		}
		if _, ok := art(r, "trial.json"); !ok {
			t.Errorf("trial %d: no trial.json artifact", tr.ID)
		}
		if _, err := os.Stat(st.Layout.Bundle(tr.ID)); err == nil {
			bundles++
			for _, f := range []string{"model/MLmodel", "model/input_example.json", "model/bundle/model.json"} {
				if _, ok := art(r, f); !ok {
					t.Errorf("trial %d: no %s", tr.ID, f)
				}
			}
		}
	}
	if bundles == 0 {
		t.Error("no trial kept a bundle; the model directory went untested")
	}
}

func TestExportGermanCredit(t *testing.T) {
	dir := germanCredit(t)
	// Files other engineers add (explanations, notebooks) are uploaded when present.
	best := bestTrial(t, dir)
	tdir := filepath.Join(dir, "trials", strconv.Itoa(best))
	os.MkdirAll(filepath.Join(tdir, "explain"), 0o755)
	os.WriteFile(filepath.Join(tdir, "explain", "roc.svg"), []byte("<svg/>"), 0o644)
	os.WriteFile(filepath.Join(tdir, "explain", "shap_values.csv"), []byte("a,b\n1,2\n"), 0o644)
	os.WriteFile(filepath.Join(tdir, "notebook.ipynb"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(dir, "exploration.ipynb"), []byte("{}"), 0o644)
	os.MkdirAll(filepath.Join(dir, "explain"), 0o755)
	os.WriteFile(filepath.Join(dir, "explain", "search_progress.png"), []byte("png"), 0o644)

	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 1})
	defer s.Close()
	ctx := context.Background()
	c := exportClient(s, 1)
	rep, err := Export(ctx, c, dir, ExportOptions{ExperimentName: "German credit", RegisterModel: "gc-model", Alias: "champion"})
	if err != nil {
		t.Fatal(err)
	}
	if mv, err := c.GetVersionByAlias(ctx, "gc-model", "champion"); err != nil || rep.ModelVersion == nil || mv.Version != rep.ModelVersion.Version {
		t.Errorf("alias champion: %+v, %v; registered %+v", mv, err, rep.ModelVersion)
	}
	if rep.Exported != 30 || rep.Skipped != 0 || !rep.ParentExported || rep.ModelVersion == nil {
		t.Fatalf("report %+v", rep)
	}
	checkExport(t, s, dir)
	t.Run("MLmodel", func(t *testing.T) { checkMLmodel(t, s, dir) })
	paths := s.ArtifactPaths()
	for _, suffix := range []string{"/explain/roc.svg", "/explain/shap_values.csv", "/notebook.ipynb", "/exploration.ipynb", "/explain/search_progress.png"} {
		if !slices.ContainsFunc(paths, func(p string) bool { return strings.HasSuffix(p, suffix) }) {
			t.Errorf("no artifact %s", suffix)
		}
	}
	vs := s.ModelVersions("gc-model")
	var bestRun mlflowtest.RunRecord
	for _, r := range s.Runs() {
		if r.Tags[TagTrialID] == strconv.Itoa(best) {
			bestRun = r
		}
	}
	if len(vs) != 1 || vs[0].RunID != bestRun.ID || vs[0].Source != bestRun.ArtifactURI+"/model" {
		t.Errorf("versions %+v, best run %s %s", vs, bestRun.ID, bestRun.ArtifactURI)
	}

	// Again: nothing is added, nothing rewritten.
	before, nArt := s.Stats().Requests, len(s.ArtifactPaths())
	rep, err = Export(ctx, c, dir, ExportOptions{ExperimentName: "German credit", RegisterModel: "gc-model"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Exported != 0 || rep.Skipped != 30 || rep.ParentExported || rep.ModelVersion.Version != "1" {
		t.Errorf("second export: %+v", rep)
	}
	if len(s.Runs()) != 31 || len(s.ModelVersions("gc-model")) != 1 || len(s.ArtifactPaths()) != nArt {
		t.Errorf("second export added: %d runs, %d versions, %d artifacts (were %d)", len(s.Runs()), len(s.ModelVersions("gc-model")), len(s.ArtifactPaths()), nArt)
	}
	t.Logf("first export: %d requests; second: %d", before, s.Stats().Requests-before)

	// A plot added later (automl explain after the export) is uploaded by the next export.
	os.WriteFile(filepath.Join(tdir, "explain", "pr.svg"), []byte("<svg/>"), 0o644)
	rep, err = Export(ctx, c, dir, ExportOptions{ExperimentName: "German credit"})
	if err != nil || rep.Exported != 1 || len(s.Runs()) != 31 {
		t.Errorf("export after a new plot: %+v %v, %d runs", rep, err, len(s.Runs()))
	}
	if !slices.ContainsFunc(s.ArtifactPaths(), func(p string) bool { return strings.HasSuffix(p, "/explain/pr.svg") }) {
		t.Error("the new plot was not uploaded")
	}
}

func bestTrial(t *testing.T, dir string) int {
	t.Helper()
	st, err := automl.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := st.Experiment()
	if err != nil || e.Best == nil {
		t.Fatalf("experiment: %v (best %v)", err, e)
	}
	return *e.Best
}

// TestExportUnderFaults exports with 20 % of requests failing in every way the double knows;
// the export must end with exactly one run per trial. An interrupted export (context cancelled
// part way) is finished by the next one.
func TestExportUnderFaults(t *testing.T) {
	dir := germanCredit(t)
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 2026, FailRate: 0.2, Stall: 2 * time.Second})
	defer s.Close()
	c := exportClient(s, 9)

	// Interrupt the first export after a few runs have been created.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for s.Stats().RunsCreated < 8 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	if _, err := Export(ctx, c, dir, ExportOptions{}); err == nil {
		t.Fatal("the interrupted export reported success")
	}
	incomplete := 0
	for _, r := range s.Runs() {
		if r.Tags[TagComplete] == "" {
			incomplete++
		}
	}
	t.Logf("after the interruption: %d runs, %d incomplete", len(s.Runs()), incomplete)

	rep, err := Export(context.Background(), c, dir, ExportOptions{RegisterModel: "m"})
	if err != nil {
		t.Fatal(err)
	}
	checkExport(t, s, dir)
	st := s.Stats()
	if st.Injected[mlflowtest.FaultResetAfter] == 0 || st.Injected[mlflowtest.FaultStall] == 0 {
		t.Errorf("faults injected: %v", st.Injected)
	}
	if len(s.ModelVersions("m")) != 1 {
		t.Errorf("%d model versions", len(s.ModelVersions("m")))
	}
	t.Logf("resumed export: %+v; %d requests, faults %v", rep, st.Requests, st.Injected)
}

// checkMLmodel parses the best trial's exported MLmodel file as YAML and checks MLflow's
// fields, the signature against the bundle, the input example and the bundle copy.
func checkMLmodel(t *testing.T, s *mlflowtest.Server, dir string) {
	best := bestTrial(t, dir)
	var run mlflowtest.RunRecord
	for _, r := range s.Runs() {
		if r.Tags[TagTrialID] == strconv.Itoa(best) {
			run = r
		}
	}
	root := strings.TrimPrefix(run.ArtifactURI, "mlflow-artifacts:/") + "/model/"
	raw, ok := s.Artifact(root + "MLmodel")
	if !ok {
		t.Fatal("no MLmodel")
	}
	var doc struct {
		ArtifactPath   string                    `yaml:"artifact_path"`
		Flavors        map[string]map[string]any `yaml:"flavors"`
		ModelUUID      string                    `yaml:"model_uuid"`
		RunID          string                    `yaml:"run_id"`
		UTCTimeCreated string                    `yaml:"utc_time_created"`
		Signature      map[string]string         `yaml:"signature"`
		Example        map[string]string         `yaml:"saved_input_example_info"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("MLmodel is not YAML: %v\n%s", err, raw)
	}
	fl := doc.Flavors[Flavor]
	if doc.ArtifactPath != "model" || fl == nil || fl["data"] != "bundle" || fl["model_family"] == "" || doc.RunID != run.ID ||
		len(doc.ModelUUID) != 32 || doc.Example["artifact_path"] != "input_example.json" {
		t.Errorf("MLmodel fields: %+v", doc)
	}
	if _, err := time.Parse("2006-01-02 15:04:05.000000", doc.UTCTimeCreated); err != nil {
		t.Errorf("utc_time_created %q: %v", doc.UTCTimeCreated, err)
	}
	var in, out []ColumnSpec
	if err := json.Unmarshal([]byte(doc.Signature["inputs"]), &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(doc.Signature["outputs"]), &out); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Load(filepath.Join(dir, "trials", strconv.Itoa(best)))
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != len(b.Inputs) || len(out) != 1+len(b.Classes) || out[0].Name != "prediction" {
		t.Fatalf("signature inputs %v outputs %v", in, out)
	}
	for i, c := range b.Inputs {
		if in[i].Name != c.Name || in[i].Type != KindType(c.Kind) || !in[i].Type.Valid() {
			t.Errorf("input %d: %+v for %+v", i, in[i], c)
		}
	}
	var ex struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}
	exRaw, _ := s.Artifact(root + "input_example.json")
	if err := json.Unmarshal(exRaw, &ex); err != nil || len(ex.Columns) != len(in) || len(ex.Data) != 1 {
		t.Errorf("input_example.json: %v %s", err, exRaw)
	}
	local, _ := os.ReadFile(filepath.Join(dir, "trials", strconv.Itoa(best), store.BundleFile))
	remote, _ := s.Artifact(root + "bundle/model.json")
	if string(local) != string(remote) {
		t.Error("the uploaded bundle differs from the local one")
	}
}

func TestMetricName(t *testing.T) {
	for _, c := range []struct{ split, name, want string }{
		{"val", "roc_auc", "val_roc_auc_score"},
		{"test", "f1", "test_f1_score"},
		{"val", "log_loss", "val_log_loss"},
		{"val", "pr_auc", "val_average_precision_score"},
		{"test", "balanced_accuracy", "test_balanced_accuracy_score"},
		{"test", "precision", "test_precision_score"},
		{"val", "recall", "val_recall_score"},
		{"val", "accuracy", "val_accuracy_score"},
		{"val", "brier", "val_brier_score_loss"},
		{"val", "mcc", "val_mcc"}, // a name without a mapping keeps its own
	} {
		if got := MetricName(c.split, c.name); got != c.want {
			t.Errorf("MetricName(%q, %q) = %q, want %q", c.split, c.name, got, c.want)
		}
	}
}

func TestIdentityValues(t *testing.T) {
	for _, name := range []string{"it's", "100%", "100%27"} {
		v := idValue(name)
		if _, err := TagFilter(TagParent, v); err != nil {
			t.Errorf("%q → %q: %v", name, v, err)
		}
	}
	if idValue("it's") == idValue("it%27s") {
		t.Error("two names share an identity value")
	}
}

func TestExperimentTags(t *testing.T) {
	best := 4
	e := &automl.Experiment{Name: "x", Status: "done", Best: &best, Config: automl.Config{Metric: "roc_auc"},
		Plan: automl.Plan{Guardrails: []automl.Guardrail{
			{Code: "imbalance", Level: "warning", Message: "classes 1:9", Action: "class weights"},
			{Code: "id_like", Level: "info", Column: "id", Message: "first"},
			{Code: "id_like", Level: "info", Column: "id", Message: "second"},
		}}}
	tags := map[string]string{}
	for _, tg := range experimentTags(e) {
		tags[tg.Key] = tg.Value
	}
	want := map[string]string{
		"goautoml.guardrail.imbalance":    "warning: classes 1:9 (class weights)",
		"goautoml.guardrail.id_like.id":   "info: first",
		"goautoml.guardrail.id_like.id.2": "info: second",
		"goautoml.best_trial":             "4",
		TagStatus:                         "done",
	}
	for k, v := range want {
		if tags[k] != v {
			t.Errorf("tag %s = %q, want %q", k, tags[k], v)
		}
	}
}

func TestNewClient(t *testing.T) {
	t.Setenv("MLFLOW_TRACKING_URI", "http://env:5000")
	t.Setenv("MLFLOW_TRACKING_TOKEN", "tok")
	c, err := NewClient("http://flag:5000/")
	if err != nil || c.BaseURL != "http://flag:5000" || c.Auth != BearerToken("tok") {
		t.Errorf("flag URI: %+v %v", c, err)
	}
	if c, err := NewClient(""); err != nil || c.BaseURL != "http://env:5000" {
		t.Errorf("env URI: %+v %v", c, err)
	}
	if _, err := NewClient("file:///tmp"); err == nil || strings.Contains(err.Error(), "MLFLOW_TRACKING_URI") {
		t.Errorf("file URI: %v", err)
	}
}
