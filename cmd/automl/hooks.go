package main

import (
	"context"
	"flag"
	"io"
	"slices"

	"github.com/goautoml/automl/automl"
)

// runHook lets a feature (explanations, notebooks, MLflow logging) take part
// in run, demo, train and resume without those commands knowing it: it adds
// its flags, may watch trials as they finish, and acts on the finished
// experiment. Each feature registers one from an init function in its file.
type runHook struct {
	name string
	// late hooks act after the others (MLflow logging uploads what the
	// explanation and notebook hooks wrote).
	late bool
	// flags registers the hook's flags (their variables are reset to the
	// defaults on every registration, so each command line starts clean).
	flags func(fs *flag.FlagSet)
	// onTrial, if set, is called after each finished trial, in ID order.
	onTrial func(ctx context.Context, dir string, t automl.Trial)
	// after, if set, is called once the search has ended and its results are
	// written. Its error is reported, but the experiment stays done.
	after func(ctx context.Context, res *automl.Result, stderr io.Writer) error
}

var runHooks []*runHook

func addRunHook(h *runHook) {
	runHooks = append(runHooks, h)
	slices.SortStableFunc(runHooks, func(a, b *runHook) int {
		switch {
		case a.late == b.late:
			return 0
		case b.late:
			return -1
		}
		return 1
	})
}

func registerHookFlags(fs *flag.FlagSet) {
	for _, h := range runHooks {
		if h.flags != nil {
			h.flags(fs)
		}
	}
}

// hookOptions adds the hooks' trial watchers to opt.
func hookOptions(ctx context.Context, opt automl.Options) automl.Options {
	var dir string
	onStart, onTrial := opt.OnStart, opt.OnTrial
	opt.OnStart = func(e *automl.Experiment, d string) {
		dir = d
		if onStart != nil {
			onStart(e, d)
		}
	}
	opt.OnTrial = func(t automl.Trial, p automl.Progress) {
		if onTrial != nil {
			onTrial(t, p)
		}
		for _, h := range runHooks {
			if h.onTrial != nil {
				h.onTrial(ctx, dir, t)
			}
		}
	}
	return opt
}

// afterRun runs every hook's after step; failures are printed, not fatal.
func afterRun(ctx context.Context, res *automl.Result, stderr io.Writer) {
	for _, h := range runHooks {
		if h.after == nil {
			continue
		}
		if err := h.after(ctx, res, stderr); err != nil {
			io.WriteString(stderr, "automl: "+h.name+": "+err.Error()+"\n")
		}
	}
}
