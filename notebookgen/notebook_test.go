package notebookgen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/logistic"
)

// TestProgramReproducesTrials runs the best trial's notebook (every family's
// with AUTOML_NB_FAMILIES=all) as a plain
// Go program (no Jupyter) and checks its printed metrics against trials.jsonl.
func TestProgramReproducesTrials(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs one program per model family")
	}
	dir, e, trials := germanExperiment(t)
	seen := map[string]bool{}
	for _, tr := range trials {
		if tr.Status != "ok" || seen[string(tr.Model.Family)] {
			continue
		}
		if os.Getenv("AUTOML_NB_FAMILIES") != "all" && (e.Best == nil || tr.ID != *e.Best) {
			continue
		}
		seen[string(tr.Model.Family)] = true
		t.Run(string(tr.Model.Family), func(t *testing.T) {
			nb, err := Trial(e, tr, Options{ModuleDir: repoRoot(t), StoreDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			checkPrinted(t, runProgram(t, goProgram(nb)), tr)
		})
	}
	if os.Getenv("AUTOML_NB_FAMILIES") == "all" && len(seen) < 7 {
		t.Errorf("only %d families finished: %v", len(seen), seen)
	}
}

// TestProgramReproducesCVTrials: with cross-validation (the default of
// `automl run` on small data) a trial's notebook fits every fold and the
// refit, and still prints trials.jsonl's metrics to the last digit. GBDT
// is there for the rounds chosen from the folds' early stopping.
func TestProgramReproducesCVTrials(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs one program per model family")
	}
	data, _ := filepath.Abs("testdata/german_credit.csv")
	cfg := automl.Config{Data: data, Target: "class", Seed: 3, RunsDir: t.TempDir(), Name: "german-cv", Workers: 1,
		AutoCV: true, KeepBundles: -1}
	p, err := automl.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p.Experiment.Config.Split.CV != 5 {
		t.Fatalf("auto cross-validation chose %d folds for German Credit, want 5", p.Experiment.Config.Split.CV)
	}
	specs := []automl.TrialSpec{automl.DefaultTrial(p, gbdt.Name), automl.DefaultTrial(p, logistic.Name)}
	res, err := automl.RunPrepared(context.Background(), p, automl.Options{Searcher: automl.Fixed(specs...)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Trials) != 2 {
		t.Fatalf("%d trials, want 2", len(res.Trials))
	}
	for _, tr := range res.Trials {
		if tr.Status != "ok" || len(tr.Folds) != 5 {
			t.Fatalf("trial %d: status %s, %d folds", tr.ID, tr.Status, len(tr.Folds))
		}
		t.Run(string(tr.Model.Family), func(t *testing.T) {
			nb, err := Trial(res.Experiment, tr, Options{ModuleDir: repoRoot(t), StoreDir: res.Dir})
			if err != nil {
				t.Fatal(err)
			}
			checkPrinted(t, runProgram(t, goProgram(nb)), tr)
		})
	}
}

// TestProgramReproducesCalibratedTrials: with --calibration auto a trial
// records calibrated metrics, a decision threshold and the metrics at it;
// its notebook calibrates the same way (one validation split and
// cross-validation) and prints every one of them to the last digit.
func TestProgramReproducesCalibratedTrials(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs one program per trial")
	}
	data, _ := filepath.Abs("testdata/german_credit.csv")
	for _, cv := range []bool{false, true} {
		cfg := automl.Config{Data: data, Target: "class", Seed: 5, RunsDir: t.TempDir(), Name: "german-cal", Workers: 1,
			Calibration: automl.CalibrationAuto, KeepBundles: -1}
		if cv {
			cfg.Split.CV = 3
		}
		p, err := automl.Prepare(cfg)
		if err != nil {
			t.Fatal(err)
		}
		specs := []automl.TrialSpec{automl.DefaultTrial(p, gbdt.Name), automl.DefaultTrial(p, logistic.Name)}
		res, err := automl.RunPrepared(context.Background(), p, automl.Options{Searcher: automl.Fixed(specs...)})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range res.Trials {
			if tr.Status != "ok" {
				t.Fatalf("trial %d: %s %s", tr.ID, tr.Status, tr.Error)
			}
			if _, ok := tr.Val["f1_at_threshold"]; !ok {
				t.Fatalf("trial %d records no threshold metrics: %v", tr.ID, tr.Val)
			}
			t.Run(fmt.Sprintf("cv=%v/%s", cv, tr.Model.Family), func(t *testing.T) {
				nb, err := Trial(res.Experiment, tr, Options{ModuleDir: repoRoot(t), StoreDir: res.Dir})
				if err != nil {
					t.Fatal(err)
				}
				out := runProgram(t, goProgram(nb))
				checkPrinted(t, out, tr)
				if !strings.Contains(out, "decision threshold: ") {
					t.Errorf("the notebook does not print the decision threshold")
				}
			})
		}
	}
}

// TestProgramReplaysEnsembleTrial: an ensemble trial's notebook replays
// the blend from the experiment folder and prints every recorded metric to
// the last digit (one split, and cross-validation).
func TestProgramReplaysEnsembleTrial(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs one program per experiment")
	}
	data, _ := filepath.Abs("testdata/german_credit.csv")
	for _, cv := range []int{0, 3} {
		t.Run(fmt.Sprintf("cv=%d", cv), func(t *testing.T) {
			cfg := automl.Config{Data: data, Target: "class", Seed: 6, RunsDir: t.TempDir(), Name: "german-ens", Workers: 2, MaxTrials: 14,
				Calibration: automl.CalibrationAuto, Ensemble: automl.EnsembleAuto, Search: automl.SearchAdaptive}
			cfg.Split.CV = cv
			p, err := automl.Prepare(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := automl.RunPrepared(context.Background(), p, automl.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ens := res.Trials[len(res.Trials)-1]
			if ens.Ensemble == nil {
				t.Fatalf("no ensemble trial: the last is %s", ens.Model.Family)
			}
			nb, err := Trial(res.Experiment, ens, Options{ModuleDir: repoRoot(t), StoreDir: res.Dir})
			if err != nil {
				t.Fatal(err)
			}
			out := runProgram(t, goProgram(nb))
			checkPrinted(t, out, ens)
			if !strings.Contains(out, "confusion (rows = true") {
				t.Errorf("the notebook did not draw the test plots:\n%s", out)
			}
		})
	}
}
