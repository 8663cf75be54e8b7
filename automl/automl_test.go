package automl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/knn"
	"github.com/goautoml/automl/models/logistic"
	"github.com/goautoml/automl/models/naivebayes"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

func germanCredit(t testing.TB) string {
	t.Helper()
	path, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return path
}

var fastFamilies = []models.Family{logistic.Name, naivebayes.Name, knn.Name}

func runFor(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// stripTiming removes the fields allowed to differ between runs.
func stripTiming(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		delete(m, "timing")
		line, _ := json.Marshal(m)
		out = append(out, string(line))
	}
	return out
}

func TestSameSeedSameTrials(t *testing.T) {
	data := germanCredit(t)
	var logs [2][]string
	for i := range logs {
		cfg := Config{Data: data, Target: "class", MaxTrials: 20, Seed: 7, Include: fastFamilies,
			RunsDir: t.TempDir(), Name: "same", Workers: 2, Ensemble: EnsembleNone}
		res := runFor(t, cfg)
		if res.Experiment.Trials != 20 || res.Experiment.StopReason != StopMaxTrials {
			t.Fatalf("run %d: %d trials, stop %s; want 20, max_trials", i, res.Experiment.Trials, res.Experiment.StopReason)
		}
		logs[i] = stripTiming(t, filepath.Join(res.Dir, store.TrialLogFile))
	}
	if len(logs[0]) != 20 {
		t.Fatalf("trials.jsonl has %d lines, want 20", len(logs[0]))
	}
	for i := range logs[0] {
		if logs[0][i] != logs[1][i] {
			t.Fatalf("line %d differs between two runs with the same seed:\n%s\n%s", i+1, logs[0][i], logs[1][i])
		}
	}
	// And another seed gives other trials.
	cfg := Config{Data: data, Target: "class", MaxTrials: 20, Seed: 8, Include: fastFamilies, RunsDir: t.TempDir(), Name: "other"}
	other := stripTiming(t, filepath.Join(runFor(t, cfg).Dir, store.TrialLogFile))
	if strings.Join(other, "\n") == strings.Join(logs[0], "\n") {
		t.Fatal("seeds 7 and 8 wrote the same trials")
	}
}

func TestTimeoutIsHonoured(t *testing.T) {
	cfg := Config{Data: germanCredit(t), Target: "class", Timeout: 3 * time.Second, Seed: 1, RunsDir: t.TempDir()}
	start := time.Now()
	res := runFor(t, cfg)
	wall := time.Since(start)
	// Budget plus grace (max(1 s, 2 %)), plus the data preparation before the search.
	if wall > 3*time.Second+time.Second+500*time.Millisecond {
		t.Fatalf("a 3 s budget took %v", wall)
	}
	if res.Experiment.StopReason != StopTimeout {
		t.Fatalf("stop reason %s, want timeout", res.Experiment.StopReason)
	}
	if res.Experiment.Trials < 5 {
		t.Fatalf("only %d trials in 3 s", res.Experiment.Trials)
	}
}

func TestResumeKeepsFinishedTrials(t *testing.T) {
	runs := t.TempDir()
	cfg := Config{Data: germanCredit(t), Target: "class", MaxTrials: 6, Seed: 3, Include: fastFamilies, RunsDir: runs, Name: "r", Ensemble: EnsembleNone}
	res := runFor(t, cfg)
	dir := res.Dir
	// Simulate a kill after trial 6 was written to its folder but not to the log:
	// take the last log line out and leave its trial.json.
	log := filepath.Join(dir, store.TrialLogFile)
	b, _ := os.ReadFile(log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if err := os.WriteFile(log, []byte(strings.Join(lines[:5], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Raise the trial budget and resume.
	st, _ := OpenStore(dir)
	e, _ := st.Experiment()
	e.Config.MaxTrials = 10
	if err := st.WriteExperiment(e); err != nil {
		t.Fatal(err)
	}
	res2, err := Resume(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Experiment.Trials != 10 {
		t.Fatalf("after resume: %d trials, want 10", res2.Experiment.Trials)
	}
	got := stripTiming(t, log)
	if len(got) != 10 {
		t.Fatalf("trials.jsonl has %d lines after resume, want 10", len(got))
	}
	ids := map[float64]bool{}
	for _, l := range got {
		var m map[string]any
		json.Unmarshal([]byte(l), &m)
		id := m["id"].(float64)
		if ids[id] {
			t.Fatalf("trial %v logged twice", id)
		}
		ids[id] = true
	}
	// The resumed run proposes the same specs a single 10-trial run would.
	one := runFor(t, Config{Data: cfg.Data, Target: "class", MaxTrials: 10, Seed: 3, Include: fastFamilies, RunsDir: runs, Name: "single", Ensemble: EnsembleNone})
	want := stripTiming(t, filepath.Join(one.Dir, store.TrialLogFile))
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("resumed trial line %d differs from an uninterrupted run:\n%s\n%s", i+1, got[i], want[i])
		}
	}
}

func TestBundleScoresLikeTheTrial(t *testing.T) {
	data := germanCredit(t)
	cfg := Config{Data: data, Target: "class", MaxTrials: 6, Seed: 2, Include: fastFamilies, RunsDir: t.TempDir(), Name: "b", KeepBundles: -1}
	res := runFor(t, cfg)
	p, err := Prepare(res.Experiment.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Trials {
		if tr.Status != "ok" {
			t.Fatalf("trial %d failed: %s", tr.ID, tr.Error)
		}
		m, err := bundle.Load(store.At(res.Dir).Trial(tr.ID))
		if err != nil {
			t.Fatal(err)
		}
		// Read the file again the way `automl predict` does: with the bundle's kinds.
		f, err := dataset.Read(data, dataset.Options{Kinds: m.Kinds()})
		if err != nil {
			t.Fatal(err)
		}
		prob, err := m.PredictProba(f)
		if err != nil {
			t.Fatal(err)
		}
		test := p.Data.Split.Test
		sub := make([]float64, 0, len(test)*2)
		for _, r := range test {
			sub = append(sub, prob.RawRowView(r)...)
		}
		y := p.Data.labels(test)
		got := metrics.Evaluate(y, denseOf(len(test), 2, sub), p.Data.Target.Positive)
		for name, want := range tr.Test {
			if _, plain := got[name]; !plain {
				continue // the metrics at the decision threshold: TestCalibratedBundlesScoreAsRecorded
			}
			if math.Abs(got[name]-want) > 1e-12 {
				t.Errorf("trial %d (%s): test %s from the bundle %.15g, recorded %.15g", tr.ID, tr.Model.Family, name, got[name], want)
			}
		}
	}
	// "best" resolves to the best trial.
	m, err := bundle.Load(filepath.Join(res.Dir, "best"))
	if err != nil {
		t.Fatal(err)
	}
	if m.TrialID != res.Best.ID {
		t.Fatalf("best resolved to trial %d, want %d", m.TrialID, res.Best.ID)
	}
}

func TestFailedTrialIsRecordedAndSearchGoesOn(t *testing.T) {
	p, err := Prepare(Config{Data: germanCredit(t), Target: "class", Seed: 1, RunsDir: t.TempDir(), Name: "f", MaxTrials: 3})
	if err != nil {
		t.Fatal(err)
	}
	good := DefaultTrial(p, logistic.Name)
	bad := good
	bad.Model = models.Spec{Family: knn.Name, Params: &knn.Params{K: -4, Weights: "uniform", Metric: "euclidean"}}
	panicky := good
	panicky.Prep.Columns = append(panicky.Prep.Columns[:0:0], panicky.Prep.Columns...)
	panicky.Prep.Columns[0].Name = "no such column"
	res, err := RunPrepared(context.Background(), p, Options{Searcher: Fixed(bad, panicky, good)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Experiment.Trials != 3 || res.Experiment.Failed != 2 {
		t.Fatalf("%d trials, %d failed; want 3, 2", res.Experiment.Trials, res.Experiment.Failed)
	}
	for _, tr := range res.Trials[:2] {
		if tr.Status != "failed" || tr.Error == "" {
			t.Fatalf("trial %d: status %s, error %q", tr.ID, tr.Status, tr.Error)
		}
	}
	if res.Best == nil || res.Best.ID != 2 {
		t.Fatalf("best should be the good trial 2, got %+v", res.Best)
	}
}
