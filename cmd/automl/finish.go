package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/explain"
	"github.com/goautoml/automl/finish"
	"github.com/goautoml/automl/mlflow"
	"github.com/goautoml/automl/store"
)

// finishFlags are the flags of the step after the search (package finish),
// shared by run, demo, train and resume; the web UI's settings form has the
// same fields with the same defaults.
type finishFlags struct {
	opt finish.Options
}

// mlflowRetry replaces finish.LiveRetry in tests.
var mlflowRetry *mlflow.RetryPolicy

func (f *finishFlags) register(fs *flag.FlagSet) {
	f.opt = finish.Defaults()
	fs.IntVar(&f.opt.ExplainTop, "explain-top", f.opt.ExplainTop, "after the search, explain the K best trials (plots, SHAP, importances; 0 = none)")
	fs.StringVar(&f.opt.Notebooks, "notebooks", f.opt.Notebooks, "after the search, write Jupyter notebooks (GoNB) for all trials, the top 10, or none")
	fs.Float64Var(&f.opt.Share, "finish-share", f.opt.Share,
		"fraction of --timeout kept from the search for the explanations, notebooks and MLflow logging, which stop when it ends (0 to 0.9)")
	fs.DurationVar(&f.opt.Timeout, "explain-timeout", f.opt.Timeout, "without --timeout, the time bound of the explanations and notebooks made after the search")
	fs.StringVar(&f.opt.MLflow.URI, "mlflow", "", "log each trial to this MLflow tracking server as it finishes (e.g. http://localhost:5000)")
	fs.StringVar(&f.opt.MLflow.ExperimentName, "mlflow-experiment-name", "", "MLflow experiment for --mlflow (default: the experiment's name)")
	fs.StringVar(&f.opt.MLflow.RegisterModel, "mlflow-register-model", "", "with --mlflow, register the best trial's model under this name")
	fs.Var(plotsFlag{&f.opt.Plots}, "plots", "image format of the explanations' plots: png (shown by the web UI and the notebooks), svg or both")
	fs.DurationVar(&f.opt.MLflow.Timeout, "mlflow-timeout", f.opt.MLflow.Timeout,
		"with --mlflow, how long the end of the run waits for the logging (--timeout bounds it too)")
}

// plotsFlag sets an explain.Plots, refusing other values.
type plotsFlag struct{ p *explain.Plots }

func (f plotsFlag) String() string {
	if f.p == nil {
		return ""
	}
	return string(*f.p)
}

func (f plotsFlag) Set(s string) error {
	if err := explain.Plots(s).Check(); err != nil {
		return err
	}
	*f.p = explain.Plots(s)
	return nil
}

// options returns the validated settings, with how the step runs.
func (f *finishFlags) options(workers int, d *automl.Data) (finish.Options, error) {
	o := f.opt
	if err := o.Validate(); err != nil {
		return o, usageError{err.Error()}
	}
	o.Workers, o.Data, o.MLflow.Retry = workers, d, mlflowRetry
	o.ModuleDir = notebookOptions(nil).ModuleDir
	return o, nil
}

// finishRun runs the step after a search and prints what it made; its
// failures are warnings: the experiment is done.
//
// The step stops its phases at the budget's end; should one not return
// by then and half the grace, the command goes on without it (what
// it wrote is complete: every file is written whole or not at all).
func finishRun(ctx context.Context, step *finish.Step, res *automl.Result, quiet bool, stderr io.Writer) *finish.Report {
	type result struct {
		rep *finish.Report
		err error
	}
	rc := make(chan result, 1)
	go func() {
		rep, err := step.Run(ctx, res)
		rc <- result{rep, err}
	}()
	var r result
	if d := step.Deadline(); d.IsZero() {
		r = <-rc
	} else {
		dctx, cancel := context.WithDeadline(context.Background(), d)
		defer cancel()
		select {
		case r = <-rc:
		case <-abandonAfter(dctx, step.Timeout(), 0.5):
			r.err = fmt.Errorf("the step after the search (explanations, notebooks, MLflow) did not stop when the time budget ended: it was left unfinished; " +
				"automl explain, automl notebook and automl export mlflow make the rest")
		}
	}
	rep, err := r.rep, r.err
	switch {
	case rep == nil:
	case !quiet:
		printFinish(stderr, res.Dir, rep)
	case rep.MLflowFailed:
		fmt.Fprintln(stderr, "automl: warning: mlflow "+rep.MLflow)
	}
	if err != nil {
		fmt.Fprintf(stderr, "automl: warning: %v\n", err)
	}
	return rep
}

func printFinish(w io.Writer, dir string, r *finish.Report) {
	if r.Stale > 0 {
		fmt.Fprintf(w, "removed %d temporary file(s) a stopped run had left\n", r.Stale)
	}
	if len(r.Explained)+len(r.NotExplained) > 0 {
		fmt.Fprintf(w, "explanations: %d trial(s) explained (trials/<id>/explain/)", len(r.Explained))
		if len(r.Partial) > 0 {
			fmt.Fprintf(w, "; SHAP values cut short by the time bound for trial(s) %s", ids(r.Partial))
		}
		fmt.Fprintln(w)
		if len(r.NotExplained) > 0 {
			fmt.Fprintf(w, "  not explained in time: trial(s) %s; make them with: automl explain %s --trial %d\n",
				ids(r.NotExplained), dir, r.NotExplained[0])
		}
	}
	if r.Notebooks+r.NotebooksLeft > 0 {
		fmt.Fprintf(w, "notebooks: %d written under %s", r.Notebooks, dir)
		if r.NotebooksLeft > 0 {
			fmt.Fprintf(w, "; %d not written in time (automl notebook %s --trial N writes one)", r.NotebooksLeft, dir)
		}
		fmt.Fprintln(w)
	}
	switch {
	case r.MLflowFailed:
		fmt.Fprintln(w, "automl: warning: mlflow "+r.MLflow)
	case r.MLflow != "":
		fmt.Fprintln(w, "mlflow: "+r.MLflow)
	}
}

func ids(v []int) string {
	s := make([]string, len(v))
	for i, id := range v {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ", ")
}

// exitNoTrial is the exit status of a search in which no trial succeeded:
// the experiment folder exists, but there is no model to predict with.
const exitNoTrial = 3

// noTrialError says why no trial succeeded and what to do.
type noTrialError struct{ msg string }

func (e noTrialError) Error() string { return e.msg }

func noTrial(res *automl.Result) error {
	e := res.Experiment
	switch {
	case e.Trials == 0 && e.StopReason == automl.StopCancelled:
		return noTrialError{"no trial succeeded: the run was interrupted before the first trial finished"}
	case e.Trials == 0:
		return noTrialError{fmt.Sprintf("no trial succeeded: the search stopped (%s) before the first trial finished; "+
			"give it more time (--timeout counts reading and preparing the data too), fewer folds (--cv 0) or cheaper families (--include logistic,naive_bayes)",
			e.StopReason)}
	}
	first := ""
	for _, t := range res.Trials {
		if t.Status != "ok" {
			first = fmt.Sprintf("; trial %d: %s", t.ID, firstLine(t.Error))
			break
		}
	}
	return noTrialError{fmt.Sprintf("no trial succeeded: all %d trial(s) failed (their errors are in %s%s)", e.Trials, store.At(res.Dir).TrialLog(), first)}
}
