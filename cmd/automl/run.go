package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/finish"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

// listFlag collects a comma-separated or repeated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// optFloat is a float flag that remembers whether it was set.
type optFloat struct{ v *float64 }

func (o *optFloat) String() string {
	if o.v == nil {
		return ""
	}
	return strconv.FormatFloat(*o.v, 'g', -1, 64)
}
func (o *optFloat) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) {
		return fmt.Errorf("%q is not a number", s)
	}
	o.v = &v
	return nil
}

// cvFlag sets Split.CV, or AutoCV for "auto".
type cvFlag struct{ cfg *automl.Config }

func (f cvFlag) String() string {
	switch {
	case f.cfg == nil:
		return ""
	case f.cfg.AutoCV:
		return "auto"
	}
	return strconv.Itoa(f.cfg.Split.CV)
}

func (f cvFlag) Set(s string) error {
	if s == "auto" {
		f.cfg.Split.CV, f.cfg.AutoCV = 0, true
		return nil
	}
	k, err := strconv.Atoi(s)
	if err != nil || k < 0 || k == 1 {
		return fmt.Errorf("cv %s: expected auto, 0 (a single validation split) or a fold count of at least 2", s)
	}
	f.cfg.Split.CV, f.cfg.AutoCV = k, false
	return nil
}

// configFlags are the flags that define an experiment, shared by run and train.
type configFlags struct {
	cfg                       automl.Config
	timeout                   time.Duration
	seed                      uint64
	include, exclude, exclCol listFlag
	keepCol                   listFlag
	exitScore                 optFloat
	jsonOut, quiet            bool
	finish                    finishFlags
	keep                      int // bundles kept after the run (0: KeepBundles, else defaultKeep)
	exec                      executorFlags
}

func (c *configFlags) register(fs *flag.FlagSet, search bool) {
	fs.StringVar(&c.cfg.Data, "data", "", "CSV file to learn from (required)")
	fs.StringVar(&c.cfg.Target, "target", "", "column to predict (required)")
	fs.StringVar(&c.cfg.PosLabel, "pos-label", "", "positive class of a binary target (default: the greater label)")
	fs.StringVar(&c.cfg.Metric, "metric", "", "primary metric: roc_auc (binary default), log_loss (multiclass default), brier, pr_auc, f1, precision, recall, accuracy, balanced_accuracy")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the split and of every trial")
	if search {
		c.cfg.AutoCV = true
		fs.Var(cvFlag{&c.cfg}, "cv", "stratified K-fold cross-validation on the non-test rows: K folds, 0 for a single validation split, "+
			"or auto (5 folds up to 2,000 training and validation rows, 3 up to 20,000, else one split)")
	} else {
		fs.Var(cvFlag{&c.cfg}, "cv", "stratified K-fold cross-validation on the non-test rows (0 = a single validation split; auto: chosen by size)")
	}
	fs.StringVar(&c.cfg.Split.SplitCol, "split-col", "", "column whose values (train, validate, test) assign rows to sets")
	fs.StringVar(&c.cfg.Split.TimeCol, "time-col", "", "column ordering rows in time: earliest rows train, latest test")
	fs.Float64Var(&c.cfg.Split.TrainFrac, "train-frac", 0.6, "fraction of rows for training")
	fs.Float64Var(&c.cfg.Split.ValFrac, "val-frac", 0.2, "fraction of rows for validation (test gets the rest)")
	fs.Var(&c.exclCol, "exclude-cols", "columns never used as features (comma-separated, repeatable)")
	fs.Var(&c.keepCol, "keep-col", "column kept even when a guardrail would exclude it (repeatable)")
	fs.StringVar(&c.cfg.RunsDir, "runs", "runs", "folder holding experiments")
	fs.StringVar(&c.cfg.Name, "name", "", "experiment folder name (default: data file name and start time)")
	if search {
		fs.StringVar(&c.cfg.Search, "search", automl.SearchAdaptive, "searcher: adaptive (starting points, a portfolio of strong defaults, then local steps around the leading families) or random (starting points, then uniform samples)")
		fs.StringVar(&c.cfg.Refit, "refit", automl.RefitNone, "all: once the test score is recorded, refit the best trial (each member of an ensemble) on every row, test rows included, as the bundle <experiment>/best scores with (what to deploy); none: best is the searched trial")
		fs.StringVar(&c.cfg.Ensemble, "ensemble", automl.EnsembleAuto, "auto: after the search, choose a weighted ensemble of the best trials (Caruana's ensemble selection) and rank it with them; none: no ensemble")
	}
	fs.StringVar(&c.cfg.Calibration, "calibration", automl.CalibrationAuto, "auto: calibrate probabilities on held-out rows (chosen per trial: none, prior correction, temperature scaling, Platt or isotonic) and pick binary decision thresholds; none: the models' own probabilities and 0.5")
	fs.BoolVar(&c.jsonOut, "json", false, "print one JSON summary at the end instead of the leaderboard")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress output")
	fs.StringVar(&c.cfg.Sample, "sample", "", "auto (the default): above 2,000,000 training cells (rows × feature columns), trials run on growing stratified samples of the training rows (successive halving) and the best is refit on all of them; off: every trial on every row")
	if search {
		fs.DurationVar(&c.timeout, "timeout", 60*time.Second,
			"time budget of the whole command: reading the data, the search and the step after it (--finish-share of it); 0 = none")
		fs.IntVar(&c.cfg.MaxTrials, "max-trials", 0, "stop after this many trials (0 = no limit)")
		fs.Var(&c.exitScore, "exit-score", "stop once the primary validation metric reaches this value")
		fs.IntVar(&c.cfg.EarlyStop, "early-stop", 0, "stop after this many trials without improvement (0 = never)")
		fs.Var(&c.include, "include", "model families to search (comma-separated): "+familyList())
		fs.Var(&c.exclude, "exclude", "model families to leave out")
		fs.IntVar(&c.cfg.Workers, "workers", 0, "trials run at once (0 = number of cores; with a nats:// executor, the live workers' total)")
		c.exec.register(fs)
	}
	c.finish.register(fs)
}

func familyList() string {
	var s []string
	for _, f := range models.Names(true) {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

func (c *configFlags) config() automl.Config {
	cfg := c.cfg
	cfg.Timeout, cfg.Seed, cfg.ExitScore = c.timeout, c.seed, c.exitScore.v
	for _, f := range c.include {
		cfg.Include = append(cfg.Include, models.Family(f))
	}
	for _, f := range c.exclude {
		cfg.Exclude = append(cfg.Exclude, models.Family(f))
	}
	cfg.ExcludeCols, cfg.KeepCols = c.exclCol, c.keepCol
	if cfg.Refit == automl.RefitNone {
		cfg.Refit = "" // recorded as the web UI and the library record it
	}
	return cfg
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	started := time.Now()
	fs := newFlags("run", stderr)
	var c configFlags
	c.register(fs, true)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	cfg := c.config()
	if err := cfg.Validate(); err != nil {
		return usageError{err.Error()}
	}
	if _, err := c.exec.remote(); err != nil {
		return err
	}
	return runExperiment(ctx, started, &c, cfg, stdout, stderr)
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	started := time.Now()
	fs := newFlags("demo", stderr)
	var c configFlags
	c.register(fs, true)
	fs.Lookup("timeout").DefValue = "30s"
	c.timeout = 30 * time.Second
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	cfg := c.config()
	if cfg.Data == "" {
		path, err := samples.WriteGermanCredit(filepath.Join(cfg.RunsDir, "data"))
		if err != nil {
			return err
		}
		cfg.Data, cfg.Target = path, "class"
		if !c.jsonOut {
			fmt.Fprintf(stderr, "German Credit (1,000 applicants, 20 features; class 1 = good, 2 = bad) written to %s\n", path)
		}
	}
	c.keep = demoKeep
	return runExperiment(ctx, started, &c, cfg, stdout, stderr)
}

func cmdResume(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	started := time.Now()
	fs := newFlags("resume", stderr)
	var ff finishFlags
	ff.register(fs)
	jsonOut := fs.Bool("json", false, "print one JSON summary at the end")
	quiet := fs.Bool("quiet", false, "no progress output")
	var exec executorFlags
	exec.register(fs)
	dir, err := parseExperiment(fs, args, "automl resume runs/<experiment> [--executor nats://HOST:4222] [--json] [--quiet]")
	if err != nil {
		return err
	}
	e, _, err := automl.ReadExperiment(dir)
	if err != nil {
		return err
	}
	// The finishing settings run used apply again, unless given anew.
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, v := range e.Config.FinishFlags {
		if !given[name] && fs.Lookup(name) != nil {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s: flag --%s=%s recorded by run: %w", store.At(dir).Experiment(), name, v, err)
			}
		}
	}
	fo, err := ff.options(e.Config.Workers, nil)
	if err != nil {
		return err
	}
	opt := automl.Options{Logger: warnings(stderr)}
	if ok, err := exec.remote(); err != nil {
		return err
	} else if ok {
		done, err := exec.attach(ctx, &opt, e, false, stderr)
		if err != nil {
			return err
		}
		defer done()
	}
	// The experiment's time budget starts afresh and bounds the step too.
	step := finish.Start(fo, started, e.Config.Timeout)
	bar := newProgress(stderr, *quiet || *jsonOut)
	opt.OnTrial, opt.OnStart = bar.trial, bar.start
	res, err := automl.Resume(ctx, dir, step.Search(ctx, opt))
	bar.done()
	if err != nil {
		step.Run(ctx, nil)
		return err
	}
	rep := finishRun(ctx, step, res, *quiet, stderr)
	return report(res, rep, *jsonOut, nil, stdout)
}

// runExperiment reads and prepares the data, searches and finishes, all
// within cfg.Timeout counted from started.
func runExperiment(ctx context.Context, started time.Time, c *configFlags, cfg automl.Config, stdout, stderr io.Writer) error {
	fo, err := c.finish.options(cfg.Workers, nil)
	if err != nil {
		return err
	}
	// Recorded, so that automl resume finishes the same way.
	cfg.FinishFlags = fo.Flags()
	if err := cfg.Validate(); err != nil {
		return err
	}
	// The data is read here rather than in automl.Prepare so that the
	// budget bounds the read too, and a large file shows its progress.
	// Reading and preparing end where the search would (the budget less
	// what the finishing step keeps): data ready later could not be
	// searched anyway, and the time left goes to exiting on time.
	rctx := ctx
	budget := fmt.Errorf("the time budget (--timeout %s) ran out", cfg.Timeout)
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		end := started.Add(cfg.Timeout - min(fo.Reserve(cfg.Timeout), cfg.Timeout/2))
		rctx, cancel = context.WithDeadlineCause(ctx, end, budget)
		defer cancel()
	}
	type prepared struct {
		p    *automl.Prepared
		err  error
		step string
	}
	// Reading and preparing stop at their next check once the budget
	// ends; should that check be late (they can be a few hundred
	// milliseconds apart on a loaded machine), they are abandoned at the
	// deadline, as the search abandons fits: a preparation finished after
	// it would leave the search no time anyway.
	pc := make(chan prepared, 1)
	go func() {
		f, err := dataset.ReadContext(rctx, cfg.Data, dataset.Options{Progress: readBar(stderr, cfg.Data, c.quiet || c.jsonOut)})
		if err != nil {
			pc <- prepared{nil, err, "reading the data"}
			return
		}
		memoryLimit(f.NumRows(), len(f.Columns))
		p, err := automl.PrepareFrameContext(rctx, f, cfg)
		pc <- prepared{p, err, "preparing the data (profile, split, guardrails)"}
	}()
	var pr prepared
	select {
	case pr = <-pc:
	case <-abandonAfter(rctx, cfg.Timeout, 0):
		pr = prepared{nil, context.Cause(rctx), "reading or preparing the data"}
	}
	if pr.err != nil {
		return beforeSearch(pr.err, budget, pr.step, started, c.jsonOut, stdout)
	}
	p := pr.p
	// A late step the search abandoned (the ensemble) stops at its next
	// check and removes its temporary folder; the command gives it until
	// the finishing step is done and a moment more, not the budget.
	var bg sync.WaitGroup
	opt := automl.Options{Background: &bg, Logger: warnings(stderr)}
	defer waitAtMost(&bg, 250*time.Millisecond)
	done, err := c.exec.attach(ctx, &opt, p.Experiment, cfg.Workers > 0, stderr)
	if err != nil {
		return err
	}
	defer done()
	if !c.jsonOut && !c.quiet {
		printGuardrails(stderr, p.Experiment)
	}
	fo.Data = p.Data
	step := finish.Start(fo, started, cfg.Timeout)
	bar := newProgress(stderr, c.quiet || c.jsonOut)
	opt.OnTrial, opt.OnStart = bar.trial, bar.start
	res, err := automl.RunPrepared(ctx, p, step.Search(ctx, opt))
	bar.done()
	if err != nil {
		step.Run(ctx, nil)
		return err
	}
	rep := finishRun(ctx, step, res, c.quiet, stderr)
	// The search kept bundles for its ensemble's candidates; once the
	// finishing step is done, only the best few stay (retention).
	keep := c.keep
	if keep == 0 {
		keep = cfg.KeepBundles
	}
	if keep == 0 {
		keep = defaultKeep
	}
	if len(res.Trials) > keep { // with fewer, every bundle is kept: no need to read the record again
		retain(res.Dir, keep, stderr)
	}
	return report(res, rep, c.jsonOut, nil, stdout)
}

// abandonAfter is closed the part (0 to 1) of the README's grace,
// max(1 s, 2 % of timeout), after ctx ends: the time a step cut by the
// budget is given to return before the command goes on without it. Never
// closed without a timeout.
func abandonAfter(ctx context.Context, timeout time.Duration, part float64) <-chan struct{} {
	c := make(chan struct{})
	if timeout <= 0 {
		return c
	}
	go func() {
		<-ctx.Done()
		time.Sleep(time.Duration(part * float64(max(time.Second, timeout/50))))
		close(c)
	}()
	return c
}

// beforeSearch turns an error of reading or preparing the data that the
// time budget caused into a noTrialError (exit status 3, like a search that
// ended before its first trial), saying in which step the budget ran out;
// with --json it prints the summary of a run without an experiment folder.
func beforeSearch(err, budget error, step string, started time.Time, jsonOut bool, stdout io.Writer) error {
	if !errors.Is(err, budget) {
		return err
	}
	if jsonOut {
		s := automl.Summary{StopReason: automl.StopTimeout, WallSeconds: time.Since(started).Seconds(), Guardrails: []automl.Guardrail{}}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	return noTrialError{fmt.Sprintf("no trial ran: %v while %s, before the search began; "+
		"give it more time, or fewer rows (a sample of the file)", budget, step)}
}

func printGuardrails(w io.Writer, e *automl.Experiment) {
	fmt.Fprintf(w, "%s: %d rows, %d columns; target %q (%s: %s)\n", e.Data.Path, e.Data.Rows, e.Data.Columns,
		e.Target.Column, e.Problem, strings.Join(e.Target.Classes, ", "))
	for _, g := range e.Plan.Guardrails {
		line := g.Message
		if g.Action != "" {
			line += " → " + g.Action
		}
		fmt.Fprintf(w, "  [%s] %s\n", g.Level, line)
	}
	fmt.Fprintf(w, "split: %d train, %d validation, %d test", e.Split.Train, e.Split.Val, e.Split.Test)
	if len(e.Split.Folds) > 0 {
		fmt.Fprintf(w, " (%d folds over train+validation)", len(e.Split.Folds))
	}
	fmt.Fprintf(w, "; %d feature columns; metric %s\n", len(e.Plan.Columns), e.Config.Metric)
	if e.Sampling != nil {
		fmt.Fprintf(w, "%s\n", e.Sampling)
	}
}

// summary is the --json object: automl's summary and the finishing step's report.
type summary struct {
	automl.Summary
	Finish *finish.Report `json:"finish,omitempty"`
}

// report prints the leaderboard (or the --json object); it returns a
// noTrialError when no trial succeeded.
func report(res *automl.Result, fin *finish.Report, jsonOut bool, fitSeconds *float64, stdout io.Writer) error {
	if jsonOut {
		s := summary{Summary: res.Summarize(), Finish: fin}
		s.FitSeconds = fitSeconds
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return err
		}
		if res.Best == nil {
			return noTrial(res)
		}
		return nil
	}
	e := res.Experiment
	ranked := "validation " + e.Config.Metric
	if k := len(e.Split.Folds); k > 0 {
		ranked = fmt.Sprintf("%s, mean of %d cross-validation folds; test: refit on all non-test rows", e.Config.Metric, k)
	}
	fmt.Fprintf(stdout, "\n%d trials (%d failed) in %.1f s, stopped by %s. Leaderboard (%s):\n\n",
		e.Trials, e.Failed, res.Wall.Seconds(), e.StopReason, ranked)
	if err := automl.WriteLeaderboard(stdout, res.Trials, e.Config.Metric, 10); err != nil {
		return err
	}
	if res.Best == nil {
		return noTrial(res)
	}
	lay := store.At(res.Dir)
	fmt.Fprintf(stdout, "\nbest: trial %d (%s), kept in %s\n", res.Best.ID, res.Best.Model.Family, lay.Trial(res.Best.ID))
	if b, err := bundle.Read(filepath.Join(lay.Dir, store.BestAlias)); err == nil && b.Refit == automl.RefitAll {
		if len(b.NotRefit) > 0 {
			fmt.Fprintf(stdout, "refit on every row (test rows included) into %s, all but %d of its %d members (the budget ended first): the scores above were measured before\n",
				filepath.Join(lay.Dir, store.BestAlias), len(b.NotRefit), len(b.Members))
		} else {
			fmt.Fprintf(stdout, "refit on every row (test rows included) into %s: the scores above were measured before\n", filepath.Join(lay.Dir, store.BestAlias))
		}
	}
	fmt.Fprintf(stdout, "score new data: automl predict --model %s --data new.csv --out predictions.csv\n", filepath.Join(lay.Dir, store.BestAlias))
	return nil
}

// waitAtMost waits for wg, or for d, whichever comes first.
func waitAtMost(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}
