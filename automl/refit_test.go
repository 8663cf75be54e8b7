package automl_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

// TestRefitAll: with Refit "all" the experiment's best folder holds the
// best trial refit on every row (each member, for an ensemble), with the
// searched trial's calibration, threshold and scores, and "best" resolves
// to it. Having seen the test rows, it fits them better than the searched
// bundle does.
func TestRefitAll(t *testing.T) {
	data, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, ens := range []string{automl.EnsembleNone, automl.EnsembleAuto} {
		t.Run("ensemble="+ens, func(t *testing.T) {
			cfg := automl.Config{Data: data, Target: "class", MaxTrials: 16, Seed: 4, Workers: 2, RunsDir: t.TempDir(), Name: "refit",
				Include: []models.Family{"logistic", "gbdt", "naive_bayes"}, Refit: automl.RefitAll, Ensemble: ens,
				Calibration: automl.CalibrationAuto, Search: automl.SearchAdaptive}
			cfg.Split.TrainFrac, cfg.Split.ValFrac = 0.6, 0.2
			p, err := automl.Prepare(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := automl.RunPrepared(context.Background(), p, automl.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if ens == automl.EnsembleAuto && res.Best.Ensemble == nil {
				t.Fatalf("the ensemble did not win (best is trial %d, %s): this test needs it to refit members", res.Best.ID, res.Best.Model.Family)
			}
			bestDir := filepath.Join(res.Dir, store.BestAlias)
			if dir, err := bundle.Resolve(bestDir); err != nil || dir != bestDir {
				t.Fatalf("best resolves to %s (%v), want the refit folder", dir, err)
			}
			refit, err := bundle.Load(bestDir)
			if err != nil {
				t.Fatal(err)
			}
			searched, err := bundle.Load(store.At(res.Dir).Trial(res.Best.ID))
			if err != nil {
				t.Fatal(err)
			}
			if refit.Refit != automl.RefitAll || refit.TrialID != res.Best.ID || len(refit.Members()) != len(searched.Members()) {
				t.Fatalf("refit bundle: refit %q, trial %d, %d members; want all, %d, %d", refit.Refit, refit.TrialID, len(refit.Members()), res.Best.ID, len(searched.Members()))
			}
			if (refit.Threshold == nil) != (searched.Threshold == nil) || (refit.Threshold != nil && refit.Threshold.Value != searched.Threshold.Value) {
				t.Errorf("the refit bundle does not keep the searched threshold")
			}
			test := p.Data.Split.Test
			y := p.Data.Labels(test)
			loss := func(m *bundle.Model) float64 {
				P, err := m.PredictRows(p.Data.Frame, test)
				if err != nil {
					t.Fatal(err)
				}
				return metrics.LogLoss(y, P)
			}
			lr, ls := loss(refit), loss(searched)
			if !(lr < ls) {
				t.Errorf("test log loss %v after the refit on every row, %v before: the refit did not see the test rows", lr, ls)
			}
			t.Logf("trial %d (%s): test log loss %.4f searched, %.4f refit on every row", res.Best.ID, res.Best.Model.Family, ls, lr)
		})
	}
}

// TestRefitAllWithinBudget: in a timed run the refit on every row is part
// of the budget: the search leaves time for it, and the run, refit
// included, returns within the budget and its grace.
func TestRefitAllWithinBudget(t *testing.T) {
	data, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cfg := automl.Config{Data: data, Target: "class", Timeout: 4 * time.Second, Seed: 4, Workers: 2, RunsDir: t.TempDir(), Name: "refit",
		Include: []models.Family{"logistic", "gbdt", "naive_bayes"}, Refit: automl.RefitAll,
		Calibration: automl.CalibrationAuto, Search: automl.SearchAdaptive}
	p, err := automl.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	// The CLI keeps a tenth of the budget for its finishing step, which the
	// refit may use.
	opt := automl.Options{Started: start, Reserve: cfg.Timeout / 10, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	res, err := automl.RunPrepared(context.Background(), p, opt)
	wall := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if limit := cfg.Timeout + p.Experiment.Config.Grace; wall > limit {
		t.Errorf("the run returned after %v, more than the budget and its grace (%v)", wall, limit)
	}
	b, err := bundle.Read(filepath.Join(res.Dir, store.BestAlias))
	if err != nil || b.Refit != automl.RefitAll || b.TrialID != res.Best.ID {
		t.Fatalf("no refit of trial %d in best (%v, %+v); the run's warnings:\n%s", res.Best.ID, err, b, log.String())
	}
	t.Logf("%d trials, best %d (%s) refit on every row; returned after %v", len(res.Trials), res.Best.ID, res.Best.Model.Family, wall)
}
