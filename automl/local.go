package automl

import (
	"context"
	"runtime"
)

// Local is the executor that runs trials in this process, one goroutine per
// slot, each trial fitting on one core. A worker on another machine runs
// trials the same way: it prepares the experiment's data with
// PrepareExperiment and calls Run on a Local of its own.
type Local struct {
	data       *Data
	experiment string
	slots      int
}

// NewLocalExecutor returns an executor running trials on the prepared data
// d of the named experiment, workers at once (0: one per core).
func NewLocalExecutor(d *Data, experiment string, workers int) *Local {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	return &Local{data: d, experiment: experiment, slots: workers}
}

// Slots implements Executor.
func (l *Local) Slots() int { return l.slots }

// Run implements Executor: RunTrial, with the trial's validation (or
// out-of-fold) predictions and a writer of its bundle.
func (l *Local) Run(ctx context.Context, spec TrialSpec) (Outcome, error) {
	return l.run(ctx, spec, 1)
}

// run is Run with the fit on the given number of cores.
func (l *Local) run(ctx context.Context, spec TrialSpec, workers int) (Outcome, error) {
	t, fit, err := RunTrial(ctx, l.data, spec, workers)
	o := Outcome{Trial: t}
	if err != nil || fit == nil {
		return o, err
	}
	o.Predictions = fit.Predictions
	o.Bundle = bundleWriter{d: l.data, experiment: l.experiment, t: t, fit: fit}
	return o, nil
}

// bundleWriter writes a fitted trial's bundle when the search keeps it.
type bundleWriter struct {
	d          *Data
	experiment string
	t          Trial
	fit        *Fitted
}

func (b bundleWriter) WriteBundle(dir string) error {
	return SaveBundle(dir, b.d, b.experiment, b.t, b.fit)
}
