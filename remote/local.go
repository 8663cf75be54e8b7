package remote

import (
	"context"

	"github.com/goautoml/automl/automl"
)

// runLocal runs one trial on this machine exactly as the local executor
// does: one core per trial, the bundle written on demand.
func runLocal(ctx context.Context, d *automl.Data, exp string, spec automl.TrialSpec) (automl.Outcome, error) {
	t, fit, err := automl.RunTrial(ctx, d, spec, 1)
	o := automl.Outcome{Trial: t}
	if err == nil && fit != nil {
		o.Bundle = bundleFunc(func(dir string) error { return automl.SaveBundle(dir, d, exp, t, fit) })
	}
	return o, err
}

// bundleFunc is a BundleWriter made of a function.
type bundleFunc func(dir string) error

func (f bundleFunc) WriteBundle(dir string) error { return f(dir) }
