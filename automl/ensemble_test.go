package automl_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

// TestEnsembleTrial: with --ensemble auto the search ends with one more
// trial, family "ensemble", whose bundle blends its members with the
// recorded weights, scores the test rows to the recorded test metrics, and
// which two runs with the same seed record identically.
func TestEnsembleTrial(t *testing.T) {
	data, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var logs [2]string
	for i := range logs {
		cfg := automl.Config{Data: data, Target: "class", MaxTrials: 24, Seed: 4, Workers: 2, RunsDir: t.TempDir(), Name: "ens",
			Ensemble: automl.EnsembleAuto, Calibration: automl.CalibrationAuto, Search: automl.SearchAdaptive}
		cfg.Split.Seed, cfg.Split.TrainFrac, cfg.Split.ValFrac, cfg.Split.CV = 4, 0.6, 0.2, 3
		p, err := automl.Prepare(cfg)
		if err != nil {
			t.Fatal(err)
		}
		res, err := automl.RunPrepared(context.Background(), p, automl.Options{})
		if err != nil {
			t.Fatal(err)
		}
		last := res.Trials[len(res.Trials)-1]
		if last.Ensemble == nil || last.Model.Family != automl.EnsembleFamily || last.ID != 24 || len(last.Ensemble.Members) < 2 {
			t.Fatalf("last trial %d: family %s, ensemble %+v; want trial 24, an ensemble of two or more", last.ID, last.Model.Family, last.Ensemble)
		}
		sum := 0.0
		for _, m := range last.Ensemble.Members {
			sum += m.Weight
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Fatalf("weights sum to %v", sum)
		}
		m, err := bundle.Load(store.At(res.Dir).Trial(last.ID))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Members()) != len(last.Ensemble.Members) {
			t.Fatalf("bundle has %d members, the trial %d", len(m.Members()), len(last.Ensemble.Members))
		}
		test := p.Data.Split.Test
		P, err := m.PredictRows(p.Data.Frame, test)
		if err != nil {
			t.Fatal(err)
		}
		got := metrics.Evaluate(p.Data.Labels(test), P, p.Data.Target.Positive)
		if math.Abs(got["log_loss"]-last.Test["log_loss"]) > 1e-9 {
			t.Fatalf("ensemble bundle's test log loss %v, recorded %v", got["log_loss"], last.Test["log_loss"])
		}
		b, err := os.ReadFile(filepath.Join(res.Dir, store.TrialLogFile))
		if err != nil {
			t.Fatal(err)
		}
		logs[i] = stripTimingText(t, b)
		checkReplay(t, res.Dir, p.Data)
	}
	if logs[0] != logs[1] {
		t.Fatal("two runs with the same seed logged different trials")
	}
}

// stripTimingText is the log with each line's timing fields removed.
func stripTimingText(t *testing.T, b []byte) string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		d := json.NewDecoder(strings.NewReader(line))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		delete(m, "timing")
		e, _ := json.Marshal(m)
		out = append(out, string(e))
	}
	return strings.Join(out, "\n")
}

// checkReplay: automl.ReplayEnsemble recomputes the experiment's ensemble
// trial, as logged, from the members' kept predictions and its bundle:
// every metric bit for bit (the trial notebooks rely on it).
func checkReplay(t *testing.T, dir string, d *automl.Data) {
	t.Helper()
	st, err := automl.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	trials, err := st.Trials()
	if err != nil {
		t.Fatal(err)
	}
	last := trials[len(trials)-1]
	got, err := automl.ReplayEnsemble(dir, d, last)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal([]any{got.Val, got.Test, got.Folds})
	b, _ := json.Marshal([]any{last.Val, last.Test, last.Folds})
	if string(a) != string(b) {
		t.Errorf("replayed ensemble metrics differ from the log:\n%s\n%s", a, b)
	}
}

// TestReplayEnsembleSplit: the same with one validation split.
func TestReplayEnsembleSplit(t *testing.T) {
	data, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := automl.Config{Data: data, Target: "class", MaxTrials: 16, Seed: 9, Workers: 2, RunsDir: t.TempDir(), Name: "ens",
		Ensemble: automl.EnsembleAuto, Calibration: automl.CalibrationAuto, Search: automl.SearchAdaptive}
	cfg.Split.Seed, cfg.Split.TrainFrac, cfg.Split.ValFrac = 9, 0.6, 0.2
	p, err := automl.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := automl.RunPrepared(context.Background(), p, automl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if last := res.Trials[len(res.Trials)-1]; last.Ensemble == nil {
		t.Fatalf("no ensemble trial (last trial %d is %s)", last.ID, last.Model.Family)
	}
	checkReplay(t, res.Dir, p.Data)
}
