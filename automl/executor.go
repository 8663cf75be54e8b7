package automl

import "context"

// Executor runs trials somewhere: the local goroutine pool, workers pulling
// from NATS JetStream, or a scripted double in tests. The search loop asks
// its Searcher for TrialSpecs, hands them to an Executor, and commits what
// comes back in trial-ID order; it never fits a model itself.
type Executor interface {
	// Slots is how many trials the search keeps in flight at once.
	Slots() int
	// Run runs one trial to its end. The error is non-nil only when ctx
	// ended the trial before it finished (then it is not a finished trial
	// and is not logged). A trial that fails or panics is a finished trial
	// with Status "failed" and a nil error.
	Run(ctx context.Context, spec TrialSpec) (Outcome, error)
}

// Outcome is a finished trial and what it leaves behind.
type Outcome struct {
	Trial Trial
	// Predictions are the trial's class probabilities on the rows that
	// rank it; nil when the trial failed.
	Predictions *Predictions
	// Bundle writes the trial's model bundle; nil when the trial failed.
	// The search calls it only for the trials that keep a bundle.
	Bundle BundleWriter
}

// BundleWriter writes a model bundle into a folder (model.json and the
// members' model files).
type BundleWriter interface {
	WriteBundle(dir string) error
}

// Predictions are a trial's predicted class probabilities on the rows that
// rank it: the validation rows, or with cross-validation every non-test row
// (each predicted by the fold model that did not see it). Ensemble selection,
// calibration and decision thresholds choose from them without a refit.
type Predictions struct {
	Rows    []int     // frame row indices, in increasing order
	Classes int       // columns of Prob
	Prob    []float64 // len(Rows)*Classes values, row-major
}
