package automl

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/calibrate"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/preprocess"
)

// Trial is the record of one finished trial, as kept in trials.jsonl.
// Everything but Timing is the same on every run of the same spec and data.
type Trial struct {
	TrialSpec
	Status string `json:"status"` // "ok" or "failed"
	Error  string `json:"error,omitempty"`
	// Val holds the validation metrics (with cross-validation: the mean over
	// folds); Test the test metrics of the model kept in the bundle.
	Val   map[string]float64   `json:"val,omitempty"`
	Test  map[string]float64   `json:"test,omitempty"`
	Folds []map[string]float64 `json:"folds,omitempty"`
	// Features is the width of the numeric matrix the model saw.
	Features int `json:"features,omitempty"`
	// BestIteration is the boosting round kept by early stopping (0 = none).
	BestIteration int `json:"best_iteration,omitempty"`
	// Calibration is the calibration chosen on held-out rows, applied to
	// the reported metrics and kept in the bundle ("" = none).
	Calibration string `json:"calibration,omitempty"`
	// Worker names the remote worker that ran the trial ("" when it ran in
	// this process).
	Worker string `json:"worker,omitempty"`
	Timing Timing `json:"timing"`
}

// Timing holds the fields that differ between runs of the same trial.
type Timing struct {
	Started     time.Time `json:"started"`
	FitSeconds  float64   `json:"fit_seconds"`
	WallSeconds float64   `json:"wall_seconds"`
	// Offset is the time since the experiment started, when the trial ended.
	OffsetSeconds float64 `json:"offset_seconds"`
}

// Score is the trial's primary validation metric (NaN when failed).
func (t Trial) Score(metric string) float64 {
	if v, ok := t.Val[metric]; ok && t.Status == "ok" {
		return v
	}
	return math.NaN()
}

// Data is an experiment's prepared data: what every trial reads and none
// changes.
type Data struct {
	Frame  *dataset.Frame
	Target *dataset.Target
	Split  *dataset.Split
	Plan   Plan
	Metric string
	// Calibration is Config.Calibration: CalibrationNone leaves the models'
	// probabilities as they are.
	Calibration string
	classOf     []int
	// Sampling, when set, has trials fitted on samples of the training
	// rows (TrialSpec.Rows) and scored on samples of the others.
	Sampling *Sampling
	samples  *rowSamples

	mu          sync.Mutex
	cache       map[string]*prepared
	cachedBytes int

	// inputs caches the bundles' descriptions of the input columns, which
	// every trial's bundle repeats (they depend on the training rows only).
	inputsMu sync.Mutex
	inputs   map[inputKey]bundle.Input
}

type inputKey struct {
	name string
	kind dataset.Kind
}

// Labels are the class indices of the given frame rows.
func (d *Data) Labels(rows []int) []int { return d.labels(rows) }

func (d *Data) labels(rows []int) []int {
	y := make([]int, len(rows))
	for i, r := range rows {
		y[i] = d.classOf[r]
	}
	return y
}

func (d *Data) weights(rows []int) []float64 {
	if d.Plan.ClassWeights == nil {
		return nil
	}
	w := make([]float64, len(rows))
	for i, r := range rows {
		w[i] = d.Plan.ClassWeights[d.classOf[r]]
	}
	return w
}

// Fitted is what a trial leaves behind for its bundle.
type Fitted struct {
	Pipeline *preprocess.Pipeline
	Model    models.Classifier
	Spec     models.Spec // the spec actually fitted (rounds fixed after CV)
	Setup    models.Setup
	// Predictions are the validation probabilities (with cross-validation:
	// out-of-fold on every non-test row).
	Predictions *Predictions

	// Calibration maps the model's probabilities (nil: none); Threshold is
	// a binary target's decision threshold on the calibrated positive
	// probability (nil: multiclass, or calibration off).
	Calibration *calibrate.Calibrator
	Threshold   *float64

	// The probabilities of this fit on its validation and test rows.
	valRows, testRows []int
	valProb, testProb *mat.Dense
	// valX is a cross-validation fold's validation matrix (nil otherwise).
	valX *mat.Dense
}

// bestRound is the number of boosting rounds the model kept (after early
// stopping, when it had a validation set); 0 when it is not boosted.
func bestRound(c models.Classifier) int {
	if b, ok := c.(models.BestIterationer); ok {
		return b.BestIteration()
	}
	return 0
}

// RunTrial fits and evaluates one trial. A failure or a panic in the trial is
// recorded in the returned Trial; the error is non-nil only when ctx ended
// the trial before it finished.
func RunTrial(ctx context.Context, d *Data, spec TrialSpec, workers int) (t Trial, fit *Fitted, err error) {
	t = Trial{TrialSpec: spec, Timing: Timing{Started: time.Now().UTC()}}
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			t.Status, t.Error = "failed", fmt.Sprintf("panic: %v\n%s", r, debug.Stack())
			fit, err = nil, nil
		}
		t.Timing.WallSeconds = time.Since(start).Seconds()
	}()
	fit, err = runTrial(ctx, d, &t, workers)
	if ctx.Err() != nil {
		return t, nil, context.Cause(ctx)
	}
	if err != nil {
		t.Status, t.Error = "failed", err.Error()
		return t, nil, nil
	}
	t.Status = "ok"
	return t, fit, nil
}

func runTrial(ctx context.Context, d *Data, t *Trial, workers int) (*Fitted, error) {
	sp := d.Split
	nonTest := append(append([]int(nil), sp.Train...), sp.Val...)
	if len(sp.Folds) == 0 {
		val, test := d.scoreRows(t.Rows)
		f, vm, tm, err := fitEval(ctx, d, t, t.Model, 0, d.trainRows(t.Rows), val, test, workers)
		if err != nil {
			return nil, err
		}
		t.Val, t.Test = vm, tm
		var oof collectPredictions
		if f.valProb != nil {
			oof.add(f.valRows, f.valProb)
		}
		f.Predictions = oof.predictions(len(d.Target.Classes))
		return f, d.calibrateTrial(t, f, nil)
	}
	// Cross-validation: the folds rank the trial; the kept model is refit on
	// every non-test row and measured on test.
	var iters []int
	folds := make([]*Fitted, len(sp.Folds))
	for k, fold := range sp.Folds {
		train := without(append([]int(nil), nonTest...), fold)
		f, val, _, err := fitEval(ctx, d, t, t.Model, k+1, train, fold, nil, workers)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", k+1, err)
		}
		folds[k] = f
		t.Folds = append(t.Folds, val)
		if b := bestRound(f.Model); b > 0 {
			iters = append(iters, b)
		}
	}
	final := t.Model
	if d, ok := models.Lookup(final.Family); ok && d.Refit != nil && len(iters) > 0 {
		final.Params, t.BestIteration = d.Refit(final.Params, iters)
	}
	if len(iters) == len(folds) && t.BestIteration > 0 {
		if err := d.atRefitRounds(t, folds, iters, t.BestIteration); err != nil {
			return nil, err
		}
	}
	var oof collectPredictions
	for _, f := range folds {
		oof.add(f.valRows, f.valProb)
	}
	t.Val = meanMetrics(t.Folds)
	f, _, test, err := fitEval(ctx, d, t, final, -1, nonTest, nil, sp.Test, workers)
	if err != nil {
		return nil, fmt.Errorf("refit on all non-test rows: %w", err)
	}
	t.Test = test
	f.Predictions = oof.predictions(len(d.Target.Classes))
	return f, d.calibrateTrial(t, f, sp.Folds)
}

// atRefitRounds scores every fold's model at the rounds of the refit on
// every non-test row (rounds, the folds' mean best round), rather than at
// the round each fold's early stopping chose on the very rows it is scored
// on: those scores flattered boosting by up to a third of its out-of-fold
// log loss on small data (car evaluation), against families that choose
// nothing on their validation rows. A fold that grew fewer rounds is scored
// with all it grew. The fold metrics and the out-of-fold probabilities
// become those of the models at these rounds; nothing changes for a model
// that is not a models.RoundsKeeper or whose folds all chose the same round.
func (d *Data) atRefitRounds(t *Trial, folds []*Fitted, best []int, rounds int) error {
	same := true
	for k, f := range folds {
		_, ok := f.Model.(models.RoundsKeeper)
		if !ok || f.valX == nil {
			return nil
		}
		same = same && best[k] == rounds
	}
	if same {
		return nil
	}
	for k, f := range folds {
		if best[k] == rounds {
			continue
		}
		f.Model.(models.RoundsKeeper).KeepRounds(rounds)
		p, err := f.Model.PredictProba(f.valX)
		if err != nil {
			return fmt.Errorf("fold %d at %d rounds: predict %s: %w", k+1, rounds, f.Spec.Family, err)
		}
		if r, c := p.Dims(); r != len(f.valRows) || c != len(d.Target.Classes) {
			return fmt.Errorf("fold %d at %d rounds: predict %s: got a %d×%d probability matrix, want %d×%d",
				k+1, rounds, f.Spec.Family, r, c, len(f.valRows), len(d.Target.Classes))
		}
		f.valProb = p
		t.Folds[k] = finite(metrics.Evaluate(d.labels(f.valRows), p, d.Target.Positive))
		if _, ok := t.Folds[k][d.Metric]; !ok {
			return fmt.Errorf("fold %d: validation %s is undefined (is one class absent from the validation rows?)", k+1, d.Metric)
		}
	}
	return nil
}

// fitEval fits spec on the train rows and scores it on the val and test
// rows. The pipeline is fitted on the fold's training rows (in a sampled
// search, on every training row: the sample only limits what the model
// sees).
func fitEval(ctx context.Context, d *Data, t *Trial, spec models.Spec, fold int, train, val, test []int, workers int) (*Fitted, map[string]float64, map[string]float64, error) {
	if err := t.Prep.Validate(); err != nil {
		return nil, nil, nil, fmt.Errorf("preprocessing: %w", err)
	}
	// The refit of a sampled search on every training row scores the whole
	// test set in chunks rather than holding its matrix.
	chunked := d.Sampling != nil && len(train) == len(d.Split.Train) && len(test) > d.Sampling.TestRows
	matTest := test
	if chunked {
		matTest = nil
	}
	pipe, xs, release, err := d.matrices(ctx, t.Prep, fold, train, rowsOf("train", train), rowsOf("val", val), rowsOf("test", matTest))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("preprocessing: %w", err)
	}
	defer release()
	pr := struct {
		pipe                *preprocess.Pipeline
		xTrain, xVal, xTest *mat.Dense
	}{pipe, xs[0], xs[1], xs[2]}
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	feats := pr.pipe.Features()
	setup := models.Setup{Classes: len(d.Target.Classes), Seed: t.Seed, Workers: workers,
		Categorical: make([]bool, len(feats)), Cardinality: make([]int, len(feats))}
	for j, f := range feats {
		setup.Categorical[j], setup.Cardinality[j] = f.Categorical, f.Cardinality
	}
	t.Features = len(feats)
	clf, err := spec.New(setup)
	if err != nil {
		return nil, nil, nil, err
	}
	yTrain := d.labels(train)
	if vs, ok := clf.(models.ValidationSetter); ok && pr.xVal != nil {
		vs.SetValidation(pr.xVal, d.labels(val))
	}
	fitStart := time.Now()
	if err := clf.Fit(ctx, pr.xTrain, yTrain, d.weights(train)); err != nil {
		return nil, nil, nil, fmt.Errorf("fit %s: %w", spec.Family, err)
	}
	t.Timing.FitSeconds += time.Since(fitStart).Seconds()
	if fold == 0 {
		t.BestIteration = bestRound(clf)
	}
	score := func(x *mat.Dense, n int) (*mat.Dense, error) {
		p, err := clf.PredictProba(x)
		if err != nil {
			return nil, fmt.Errorf("predict %s: %w", spec.Family, err)
		}
		if r, c := p.Dims(); r != n || c != setup.Classes {
			return nil, fmt.Errorf("predict %s: got a %d×%d probability matrix, want %d×%d", spec.Family, r, c, n, setup.Classes)
		}
		return p, nil
	}
	// Held-out rows are scored chunkRows at a time, with the context
	// checked in between: 50,000 rows through 300 deep trees take seconds,
	// and a trial cut at the deadline must stop rather than keep a core
	// from the refit. Every row's probabilities are the same either way.
	predict := func(x *mat.Dense, rows []int) (*mat.Dense, error) {
		n, cols := x.Dims()
		if n != len(rows) {
			return nil, fmt.Errorf("predict %s: %d rows in the matrix, %d expected", spec.Family, n, len(rows))
		}
		if n <= chunkRows {
			return score(x, n)
		}
		out := mat.NewDense(n, setup.Classes, nil)
		for lo := 0; lo < n; lo += chunkRows {
			if err := ctx.Err(); err != nil {
				return nil, context.Cause(ctx)
			}
			hi := min(n, lo+chunkRows)
			p, err := score(x.Slice(lo, hi, 0, cols).(*mat.Dense), hi-lo)
			if err != nil {
				return nil, err
			}
			out.Slice(lo, hi, 0, setup.Classes).(*mat.Dense).Copy(p)
		}
		return out, nil
	}
	var valProb, testProb *mat.Dense
	if pr.xVal != nil {
		if valProb, err = predict(pr.xVal, val); err != nil {
			return nil, nil, nil, err
		}
	}
	switch {
	case pr.xTest != nil:
		testProb, err = predict(pr.xTest, test)
	case chunked:
		testProb, err = predictChunks(ctx, d, pr.pipe, test, setup.Classes, predict)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	eval := func(p *mat.Dense, rows []int) map[string]float64 {
		if p == nil {
			return nil
		}
		return finite(metrics.Evaluate(d.labels(rows), p, d.Target.Positive))
	}
	vm, tm := eval(valProb, val), eval(testProb, test)
	if vm != nil {
		if _, ok := vm[d.Metric]; !ok {
			return nil, nil, nil, fmt.Errorf("validation %s is undefined (is one class absent from the validation rows?)", d.Metric)
		}
	}
	f := &Fitted{Pipeline: pr.pipe, Model: clf, Spec: spec, Setup: setup, valRows: val, valProb: valProb, testRows: test, testProb: testProb}
	if fold > 0 {
		f.valX = pr.xVal // a cross-validation fold's rows, scored again by atRefitRounds
	}
	return f, vm, tm, nil
}

// finite drops NaN and infinite values (JSON cannot hold them).
func finite(m map[string]float64) map[string]float64 {
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(m, k)
		}
	}
	return m
}

func meanMetrics(folds []map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, name := range metrics.Names {
		var s float64
		n := 0
		for _, f := range folds {
			if v, ok := f[name]; ok {
				s += v
				n++
			}
		}
		if n == len(folds) && n > 0 {
			out[name] = s / float64(n)
		}
	}
	return out
}
