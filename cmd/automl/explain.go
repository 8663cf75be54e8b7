package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/explain"
)

func init() {
	register(command{"explain", "make a trial's plots, metrics and SHAP values (runs/<exp>/trials/<id>/explain/)", cmdExplain})
}

func cmdExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("explain", stderr)
	trial := fs.String("trial", "best", `trial to explain: a trial number or "best"`)
	top := fs.Int("top", 0, "explain the experiment's K best trials instead of one (with the experiment's plots)")
	rows := fs.Int("rows", 200, "held-out rows given SHAP values")
	perms := fs.Int("permutations", 10, "permutation pairs per row for model-agnostic SHAP")
	timeout := fs.Duration("timeout", 0, "time bound (0 = none); SHAP keeps the rows finished when it is reached")
	shapTimeout := fs.Duration("shap-timeout", 30*time.Second, "time bound of model-agnostic SHAP per trial (rows not finished are left out)")
	data := fs.String("data", "", "the experiment's CSV file, when it has moved since the run (its sha256 must match)")
	workers := fs.Int("workers", 0, "goroutines (0 = number of cores)")
	verbose := fs.Bool("v", false, "log progress")
	var plots explain.Plots
	fs.Var(plotsFlag{&plots}, "plots", "image format of the plots: png, svg or both (default: as the run recorded, else png)")
	dir, err := parseExperiment(fs, args, "automl explain runs/<experiment> [--trial N|best] [--top K] [flags]")
	if err != nil {
		return err
	}
	id, err := automl.TrialID(*trial)
	if err != nil {
		return usagef("--trial: %v", err)
	}
	switch {
	case *top < 0:
		return usagef("--top %d: expected 0 or more trials", *top)
	case *rows < 1:
		return usagef("--rows %d: expected at least 1 row", *rows)
	case *perms < 1:
		return usagef("--permutations %d: expected at least 1", *perms)
	case *timeout < 0:
		return usagef("--timeout %v is negative", *timeout)
	}
	if *shapTimeout <= 0 {
		return usagef("--shap-timeout %v: expected a positive duration", *shapTimeout)
	}
	if plots == "" {
		// The format the run's finishing step used (--plots, recorded).
		if e, _, err := automl.ReadExperiment(dir); err == nil {
			plots = explain.Plots(e.Config.FinishFlags["plots"])
		}
		if plots.Check() != nil {
			plots = ""
		}
	}
	opt := explain.Options{Rows: *rows, Permutations: *perms, Workers: *workers, Timeout: *timeout, SHAPTimeout: *shapTimeout, DataPath: *data, Plots: plots}
	if *verbose {
		opt.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	start := time.Now()
	var reports []*explain.Report
	if *top > 0 {
		reports, err = explain.Experiment(ctx, dir, *top, opt)
	} else {
		if *timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeoutCause(ctx, *timeout, explain.ErrTimeout)
			defer cancel()
		}
		var r *explain.Report
		if r, err = explain.Trial(ctx, dir, id, opt); r != nil {
			reports = append(reports, r)
		}
	}
	for _, r := range reports {
		note := ""
		if r.Partial {
			note = " (stopped by --timeout)"
		}
		fmt.Fprintf(stdout, "trial %d: %s SHAP on %d rows%s, %d files in %s\n", r.Trial, r.Method, r.Rows, note, len(r.Files), r.Dir)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "explained %d trial(s) in %.1fs\n", len(reports), time.Since(start).Seconds())
	return nil
}
