package remote

import (
	"context"

	"github.com/goautoml/automl/automl"
)

// runLocal runs one trial on this machine exactly as the local executor
// does (one core per trial): the same record, predictions and bundle.
func runLocal(ctx context.Context, d *automl.Data, exp string, spec automl.TrialSpec) (automl.Outcome, error) {
	return automl.NewLocalExecutor(d, exp, 1).Run(ctx, spec)
}

// bundleFunc is a BundleWriter made of a function.
type bundleFunc func(dir string) error

func (f bundleFunc) WriteBundle(dir string) error { return f(dir) }
