package automl

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/calibrate"
	"github.com/goautoml/automl/metrics"
)

// Calibration settings of Config.Calibration.
const (
	CalibrationAuto = "auto" // choose on held-out rows
	CalibrationNone = "none" // report the models' own probabilities (also "", for now the default)
)

// calibrationFolds is how many folds choose and cross-fit a calibrator over
// a trial's held-out rows.
const calibrationFolds = 5

// thresholdMetric is the metric a binary decision threshold maximises: the
// ranking metric when it depends on the threshold, F1 otherwise.
func thresholdMetric(metric string) string {
	switch metric {
	case "f1", "accuracy", "balanced_accuracy":
		return metric
	}
	return "f1"
}

// calibrateTrial makes a fitted trial's probabilities honest and picks its
// decision threshold, from its held-out predictions (f.Predictions: the
// validation rows, or out-of-fold on every non-test row) and nothing else:
//
//   - the calibrator (none, the prior correction when class weights were
//     used, temperature scaling for a multiclass target, Platt or
//     isotonic) is the one with the lowest cross-validated
//     log loss on those rows;
//   - the validation metrics are recomputed from the held-out rows
//     calibrated without seeing themselves (calibrate.CrossFit), fold by
//     fold with cross-validation, so the ranking metric and the log loss
//     are those of calibrated outputs (the kept predictions stay the raw
//     ones: an ensemble blends raw probabilities and calibrates the blend);
//     a binary target's ROC and PR AUC under an increasing calibrator
//     (calibrate.Calibrator.KeepsRanking) stay the raw rows' own, which
//     are exactly those of the kept calibrator's outputs;
//   - the test metrics are those of the test rows through the calibrator
//     fitted on every held-out row, the one the bundle keeps;
//   - for a binary target, the threshold that maximises thresholdMetric on
//     the calibrated held-out rows; the metrics at it are reported beside
//     the 0.5 ones ("threshold", "f1_at_threshold", ...).
//
// When no calibration is chosen, the metrics are left as they were.
func (d *Data) calibrateTrial(t *Trial, f *Fitted, cvFolds [][]int) error {
	p := f.Predictions
	if p == nil || d.Calibration != CalibrationAuto {
		return nil
	}
	k := len(d.Target.Classes)
	pos := d.Target.Positive
	y := d.labels(p.Rows)
	ch, err := calibrate.Choose(p.Prob, y, k, pos, d.Plan.ClassWeights, calibrationFolds, t.Seed)
	if err != nil {
		return fmt.Errorf("calibration: %w", err)
	}
	c := ch.Calibrator
	q, err := calibrate.CrossFit(c.Method, p.Prob, y, k, pos, d.Plan.ClassWeights, calibrationFolds, t.Seed)
	if err != nil {
		return fmt.Errorf("calibration: %w", err)
	}
	if c.Method != calibrate.None {
		t.Calibration = c.Method
		f.Calibration = &c
		// The cross-fitted rows went through five calibrators, which shuffle
		// the ranking across their folds' boundaries; the kept calibrator is
		// one map, and when it is increasing the ranking of the calibrated
		// rows is the raw one: so are their rank metrics.
		ranks := func(m, raw map[string]float64) map[string]float64 {
			if c.KeepsRanking() {
				for _, name := range rankMetrics {
					if v, ok := raw[name]; ok {
						m[name] = v
					}
				}
			}
			return m
		}
		if len(cvFolds) == 0 {
			t.Val = ranks(finite(metrics.Evaluate(y, mat.NewDense(len(y), k, q), pos)), t.Val)
		} else {
			at := make(map[int]int, len(p.Rows))
			for i, r := range p.Rows {
				at[r] = i
			}
			for j, fold := range cvFolds {
				sub := make([]float64, 0, len(fold)*k)
				for _, r := range fold {
					i := at[r]
					sub = append(sub, q[i*k:(i+1)*k]...)
				}
				t.Folds[j] = ranks(finite(metrics.Evaluate(d.labels(fold), mat.NewDense(len(fold), k, sub), pos)), t.Folds[j])
			}
			t.Val = meanMetrics(t.Folds)
		}
		if f.testProb != nil {
			raw := f.testProb.RawMatrix()
			n, _ := f.testProb.Dims()
			t.Test = finite(metrics.Evaluate(d.labels(f.testRows), mat.NewDense(n, k, c.Apply(raw.Data)), pos))
		}
	}
	if _, ok := t.Val[d.Metric]; !ok {
		return fmt.Errorf("validation %s is undefined after calibration", d.Metric)
	}
	if k != 2 {
		return nil
	}
	score := make([]float64, len(y))
	positive := make([]bool, len(y))
	for i := range y {
		score[i], positive[i] = q[i*k+pos], y[i] == pos
	}
	thr, _ := calibrate.Threshold(score, positive, thresholdMetric(d.Metric))
	f.Threshold = &thr
	t.Val["threshold"] = thr
	addAtThreshold(t.Val, y, score, pos, thr)
	if f.testProb != nil {
		tp := mat.DenseCopyOf(f.testProb)
		if f.Calibration != nil {
			raw := tp.RawMatrix()
			copy(raw.Data, f.Calibration.Apply(raw.Data))
		}
		ts := make([]float64, len(f.testRows))
		mat.Col(ts, pos, tp)
		addAtThreshold(t.Test, d.labels(f.testRows), ts, pos, thr)
	}
	return nil
}

// rankMetrics depend on the order of the positive class's probabilities
// only.
var rankMetrics = []string{"roc_auc", "pr_auc"}

// AtThresholdNames are the metrics a binary trial with a decision
// threshold records beside the 0.5 ones: the threshold and the label
// metrics at it.
var AtThresholdNames = []string{"threshold", "accuracy_at_threshold", "balanced_accuracy_at_threshold",
	"precision_at_threshold", "recall_at_threshold", "f1_at_threshold"}

// addAtThreshold adds the label metrics of predicting the positive class
// when its probability is at least thr, as "<metric>_at_threshold".
func addAtThreshold(m map[string]float64, y []int, score []float64, pos int, thr float64) {
	pred := make([]int, len(y))
	for i, s := range score {
		if s >= thr {
			pred[i] = pos
		} else {
			pred[i] = 1 - pos
		}
	}
	precision, recall, f1 := metrics.PRF(y, pred, pos)
	m["accuracy_at_threshold"] = metrics.Accuracy(y, pred)
	m["balanced_accuracy_at_threshold"] = metrics.BalancedAccuracy(y, pred, 2)
	m["precision_at_threshold"] = precision
	m["recall_at_threshold"] = recall
	m["f1_at_threshold"] = f1
	finite(m)
}

// Calibrate calibrates a trial its caller fitted itself on the train rows
// of a single validation split (the trial notebooks do), exactly as
// RunTrial does: on entry t.Seed is the trial's seed (the calibration
// folds depend on it) and t.Val and t.Test hold the metrics of the model's
// own probabilities val (of d.Split.Val, in that order) and test (of
// d.Split.Test); on return they hold what RunTrial records, and
// f.Calibration and f.Threshold what the bundle keeps. Without
// Config.Calibration "auto" it changes nothing. With cross-validation
// RunTrial itself calibrates: call it instead.
func (d *Data) Calibrate(t *Trial, f *Fitted, val, test *mat.Dense) error {
	if len(d.Split.Folds) > 0 {
		return fmt.Errorf("calibrate: the experiment uses cross-validation: automl.RunTrial calibrates its trials")
	}
	if val == nil {
		return fmt.Errorf("calibrate: no validation probabilities")
	}
	if r, _ := val.Dims(); r != len(d.Split.Val) {
		return fmt.Errorf("calibrate: %d validation probabilities for %d validation rows", r, len(d.Split.Val))
	}
	var oof collectPredictions
	oof.add(d.Split.Val, val)
	f.Predictions = oof.predictions(len(d.Target.Classes))
	f.valRows, f.valProb = d.Split.Val, val
	if test != nil {
		f.testRows, f.testProb = d.Split.Test, test
	}
	return d.calibrateTrial(t, f, nil)
}
