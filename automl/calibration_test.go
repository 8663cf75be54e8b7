package automl_test

import (
	"context"
	"math"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

// TestCalibratedBundlesScoreAsRecorded: every kept bundle, calibrated or
// not, scores the test rows to exactly the test metrics its trial
// recorded, threshold metrics included; and the search chose calibration
// for some trials (German Credit's probabilities are far from honest for
// several families).
func TestCalibratedBundlesScoreAsRecorded(t *testing.T) {
	data, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, cv := range []int{0, 3} {
		cfg := automl.Config{Data: data, Target: "class", MaxTrials: 16, Seed: 3, Workers: 2, RunsDir: t.TempDir(), Name: "cal", KeepBundles: -1, Calibration: automl.CalibrationAuto}
		cfg.Split.Seed, cfg.Split.TrainFrac, cfg.Split.ValFrac, cfg.Split.CV = 3, 0.6, 0.2, cv
		p, err := automl.Prepare(cfg)
		if err != nil {
			t.Fatal(err)
		}
		res, err := automl.RunPrepared(context.Background(), p, automl.Options{})
		if err != nil {
			t.Fatal(err)
		}
		calibrated := 0
		test := p.Data.Split.Test
		y := p.Data.Labels(test)
		for _, tr := range res.Trials {
			if tr.Status != "ok" || tr.Ensemble != nil {
				continue
			}
			if tr.Calibration != "" {
				calibrated++
			}
			m, err := bundle.Load(store.At(res.Dir).Trial(tr.ID))
			if err != nil {
				t.Fatal(err)
			}
			P, err := m.PredictRows(p.Data.Frame, test)
			if err != nil {
				t.Fatal(err)
			}
			got := metrics.Evaluate(y, P, p.Data.Target.Positive)
			// Tree models score through leaves once saved, which may differ
			// from the in-memory model in the last bits: log loss agrees to
			// 1e-9, while a rank metric or a label may flip on a tie.
			for k, tol := range map[string]float64{"log_loss": 1e-9, "roc_auc": 2e-3, "accuracy": 1.5 / float64(len(test))} {
				if math.Abs(got[k]-tr.Test[k]) > tol {
					t.Fatalf("cv %d trial %d (%s, calibration %q): bundle %s %v, recorded %v", cv, tr.ID, tr.Model.Family, tr.Calibration, k, got[k], tr.Test[k])
				}
			}
			thr, ok := tr.Val["threshold"]
			if !ok || m.Threshold == nil || m.Threshold.Value != thr {
				t.Fatalf("trial %d: threshold %v in the record, bundle has %+v", tr.ID, thr, m.Threshold)
			}
			pred := make([]int, len(test))
			for i := range test {
				pred[i] = m.Label(P.RawRowView(i))
			}
			if acc := metrics.Accuracy(y, pred); math.Abs(acc-tr.Test["accuracy_at_threshold"]) > 1.5/float64(len(test)) {
				t.Fatalf("trial %d: accuracy at the bundle's threshold %v, recorded %v", tr.ID, acc, tr.Test["accuracy_at_threshold"])
			}
		}
		if calibrated == 0 {
			t.Fatalf("cv %d: no trial chose a calibration", cv)
		}
	}
}
