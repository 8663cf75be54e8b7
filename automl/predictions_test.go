package automl

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/calibrate"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/store"
)

func TestPredictionsRoundTrip(t *testing.T) {
	p := &Predictions{Rows: []int{2, 5, 9}, Classes: 3, Prob: []float64{0.25, 0.5, 0.25, 1, 0, 0, 0.1, 0.2, 0.7}}
	path := filepath.Join(t.TempDir(), store.PredictionsFile)
	if err := WritePredictions(path, p); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPredictions(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Rows, p.Rows) || got.Classes != 3 {
		t.Fatalf("read %+v", got)
	}
	for i, v := range p.Prob {
		if got.Prob[i] != float64(float32(v)) {
			t.Errorf("prob %d: %v, want %v", i, got.Prob[i], float32(v))
		}
	}
	if err := WritePredictions(path, &Predictions{Rows: []int{3, 1}, Classes: 1, Prob: []float64{1, 1}}); err == nil {
		t.Error("rows out of order were written")
	}
}

// TestTrialPredictions: every kept trial's predictions file holds its
// validation probabilities (out-of-fold on every non-test row with
// cross-validation), and they give back the recorded validation metrics
// (with calibration off: calibrated metrics come from cross-fitted
// calibrated rows, while the file keeps the models' own probabilities).
func TestTrialPredictions(t *testing.T) {
	data := germanCredit(t)
	for _, cv := range []int{0, 3} {
		cfg := Config{Data: data, Target: "class", MaxTrials: 4, Seed: 5, Include: fastFamilies, RunsDir: t.TempDir(), Name: "p", Calibration: CalibrationNone, Ensemble: EnsembleNone}
		cfg.Split.CV = cv
		res, p := runPrepared(t, cfg)
		sp := p.Data.Split
		want := slices.Clone(sp.Val)
		if cv > 0 {
			want = append(slices.Clone(sp.Train), sp.Val...)
		}
		slices.Sort(want)
		for _, tr := range res.Trials {
			pr, err := ReadPredictions(store.At(res.Dir).Predictions(tr.ID))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pr.Rows, want) || pr.Classes != 2 {
				t.Fatalf("cv %d, trial %d: %d rows of %d classes, want the %d rows that rank it", cv, tr.ID, len(pr.Rows), pr.Classes, len(want))
			}
			// The validation metric again, from the stored probabilities.
			sets := [][]int{sp.Val}
			if cv > 0 {
				sets = sp.Folds
			}
			var auc float64
			for _, rows := range sets {
				auc += rocAUCOf(p.Data, pr, rows) / float64(len(sets))
			}
			if math.Abs(auc-tr.Val["roc_auc"]) > 1e-5 {
				t.Errorf("cv %d, trial %d: roc_auc from the predictions %.7f, recorded %.7f", cv, tr.ID, auc, tr.Val["roc_auc"])
			}
		}
	}
}

func rocAUCOf(d *Data, pr *Predictions, rows []int) float64 {
	m := mat.NewDense(len(rows), pr.Classes, nil)
	for i, r := range rows {
		k, _ := slices.BinarySearch(pr.Rows, r)
		m.SetRow(i, pr.Row(k))
	}
	return metrics.Evaluate(d.labels(rows), m, d.Target.Positive)["roc_auc"]
}

// runPrepared runs cfg and prepares its experiment's data again, to
// recompute what the run recorded.
func runPrepared(t *testing.T, cfg Config) (*Result, *Prepared) {
	t.Helper()
	res := runFor(t, cfg)
	p, err := Prepare(res.Experiment.Config)
	if err != nil {
		t.Fatal(err)
	}
	return res, p
}

// TestCalibratedRankMetrics: a binary trial calibrated by an increasing
// map (Platt's sigmoid here) records the ROC AUC of its raw held-out
// probabilities, fold by fold with cross-validation: the kept calibrator
// does not change their order, while the cross-fitted rows, which went
// through five calibrators, would have.
func TestCalibratedRankMetrics(t *testing.T) {
	data := germanCredit(t)
	for _, cv := range []int{0, 3} {
		cfg := Config{Data: data, Target: "class", MaxTrials: 8, Seed: 5, Include: fastFamilies, RunsDir: t.TempDir(), Name: "p", Calibration: CalibrationAuto, Ensemble: EnsembleNone}
		cfg.Split.CV = cv
		res, p := runPrepared(t, cfg)
		sp := p.Data.Split
		sets := [][]int{sp.Val}
		if cv > 0 {
			sets = sp.Folds
		}
		platt := 0
		for _, tr := range res.Trials {
			if tr.Calibration != calibrate.Platt {
				continue
			}
			platt++
			pr, err := ReadPredictions(store.At(res.Dir).Predictions(tr.ID))
			if err != nil {
				t.Fatal(err)
			}
			var auc float64
			for j, rows := range sets {
				a := rocAUCOf(p.Data, pr, rows)
				auc += a / float64(len(sets))
				if cv > 0 && math.Abs(a-tr.Folds[j]["roc_auc"]) > 1e-5 {
					t.Errorf("cv %d, trial %d, fold %d: raw roc_auc %.7f, recorded %.7f", cv, tr.ID, j+1, a, tr.Folds[j]["roc_auc"])
				}
			}
			if math.Abs(auc-tr.Val["roc_auc"]) > 1e-5 {
				t.Errorf("cv %d, trial %d: raw roc_auc %.7f, recorded %.7f", cv, tr.ID, auc, tr.Val["roc_auc"])
			}
		}
		if platt == 0 {
			t.Fatalf("cv %d: no trial was calibrated with Platt's sigmoid; the test needs one", cv)
		}
	}
}
