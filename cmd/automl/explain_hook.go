package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/explain"
)

// Explanations are made after the search, on their own time bound, so they
// never eat the search budget.
var (
	explainTop     int
	explainTimeout time.Duration
)

func init() {
	addRunHook(&runHook{
		name: "explain",
		flags: func(fs *flag.FlagSet) {
			fs.IntVar(&explainTop, "explain-top", 5, "after the search, explain the K best trials (plots, SHAP, importances; 0 = none)")
			fs.DurationVar(&explainTimeout, "explain-timeout", 2*time.Minute, "time bound of the explanations made after the search")
		},
		after: explainAfterRun,
	})
}

func explainAfterRun(ctx context.Context, res *automl.Result, stderr io.Writer) error {
	if explainTop <= 0 || res.Best == nil || ctx.Err() != nil {
		return nil
	}
	start := time.Now()
	reports, err := explain.Experiment(ctx, res.Dir, explainTop, explain.Options{Timeout: explainTimeout, Workers: res.Experiment.Config.Workers})
	fmt.Fprintf(stderr, "explanations: %d trials explained in %.1f s (trials/<id>/explain/)\n", len(reports), time.Since(start).Seconds())
	return err
}
