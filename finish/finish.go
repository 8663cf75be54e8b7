package finish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/explain"
	"github.com/goautoml/automl/notebookgen"
	"github.com/goautoml/automl/store"
)

// ErrBudget is the cause given to the step's context when its share of the
// time budget (or its own bound, without one) has run out.
var ErrBudget = errors.New("the finishing step's time ran out")

// Report is what the step made, and what it did not make in time.
type Report struct {
	// Explained lists the trials explained, best first; Partial those of
	// them whose SHAP values were cut short by the time bound.
	Explained []int `json:"explained,omitempty"`
	Partial   []int `json:"partial,omitempty"`
	// NotExplained lists the trials asked for (ExplainTop) that the time
	// did not reach: automl explain <dir> --trial N makes them later.
	NotExplained []int `json:"not_explained,omitempty"`
	// Notebooks counts the notebooks written (the exploration notebook
	// included); NotebooksLeft those the time did not reach.
	Notebooks     int `json:"notebooks"`
	NotebooksLeft int `json:"notebooks_left,omitempty"`
	// MLflow says what was logged, or why not ("" when not asked);
	// MLflowFailed tells which.
	MLflow       string `json:"mlflow,omitempty"`
	MLflowFailed bool   `json:"mlflow_failed,omitempty"`
	// Stale counts the temporary files a killed writer had left, removed.
	Stale   int     `json:"stale_removed,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Unfinished reports whether the time ran out before everything was made.
func (r *Report) Unfinished() bool {
	return r != nil && (len(r.NotExplained) > 0 || len(r.Partial) > 0 || r.NotebooksLeft > 0)
}

// Step is the finishing step of one run, from before the search (it keeps
// a share of the budget and, with MLflow, logs trials as they finish) to
// its end (Run).
type Step struct {
	opt     Options
	started time.Time
	timeout time.Duration

	mu   sync.Mutex
	live *live
}

// Start begins the step of a run that began at started (before its data
// was read) with the time budget timeout (0: none).
func Start(opt Options, started time.Time, timeout time.Duration) *Step {
	if started.IsZero() {
		started = time.Now()
	}
	return &Step{opt: opt, started: started, timeout: timeout}
}

// Search returns o set for the step: the budget counts from the run's
// start, the step's share is kept back from the search, and with MLflow
// each trial is queued for logging as it finishes.
func (s *Step) Search(ctx context.Context, o automl.Options) automl.Options {
	o.Started = s.started
	o.Reserve = s.opt.Reserve(s.timeout)
	if s.opt.MLflow.URI == "" {
		return o
	}
	onStart, onTrial := o.OnStart, o.OnTrial
	o.OnStart = func(e *automl.Experiment, dir string) {
		s.mu.Lock()
		if s.live == nil {
			s.live = newLive(ctx, s.opt.MLflow, dir)
		}
		s.mu.Unlock()
		if onStart != nil {
			onStart(e, dir)
		}
	}
	o.OnTrial = func(t automl.Trial, p automl.Progress) {
		if onTrial != nil {
			onTrial(t, p)
		}
		s.mu.Lock()
		l := s.live
		s.mu.Unlock()
		if l != nil {
			l.add(t)
		}
	}
	return o
}

// Timeout is the run's time budget (0: none).
func (s *Step) Timeout() time.Duration { return s.timeout }

// Deadline is when the step must be done (zero without a budget): the
// budget's end less a closing margin, ClosingMargin(timeout), for what the
// front end does after it (retention, the leaderboard, exiting).
func (s *Step) Deadline() time.Time {
	if s.timeout <= 0 {
		return time.Time{}
	}
	return s.started.Add(s.timeout - ClosingMargin(s.timeout))
}

// ClosingMargin is the part at the end of a budget the finishing step
// leaves to its caller (automl.ClosingMargin).
func ClosingMargin(timeout time.Duration) time.Duration { return automl.ClosingMargin(timeout) }

// Run finishes the searched experiment res (nil when the search failed
// before it had a folder: then it only stops the logging).
func (s *Step) Run(ctx context.Context, res *automl.Result) (*Report, error) {
	s.mu.Lock()
	l := s.live
	s.live = nil
	s.mu.Unlock()
	if res == nil || res.Dir == "" {
		if l != nil {
			l.close()
		}
		return nil, nil
	}
	if l != nil && l.dir != res.Dir {
		l.close()
		l = nil
	}
	return run(ctx, res.Dir, s.Deadline(), s.opt, l, res)
}

// Run finishes the experiment in dir, searched earlier, within
// opt.Timeout (explanations and notebooks) and opt.MLflow.Timeout.
func Run(ctx context.Context, dir string, opt Options) (*Report, error) {
	return run(ctx, dir, time.Time{}, opt, nil, nil)
}

// Phases run in the order notebooks, explanations, MLflow (which logs what
// the others wrote); a phase's time is its weight's part of what is left
// when it starts, so time a phase does not use goes to the next.
var weights = map[Phase]float64{PhaseNotebooks: 2, PhaseExplain: 6, PhaseMLflow: 4}

// run finishes the experiment in dir. known, when set, is the result of
// the search that just wrote it: its experiment and trials are what the
// folder holds, and are used instead of reading them again (the record of
// a table of 20,000 columns takes a second to read, after the deadline).
func run(ctx context.Context, dir string, deadline time.Time, opt Options, l *live, known *automl.Result) (*Report, error) {
	start := time.Now()
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep := &Report{}
	defer func() { rep.Seconds = time.Since(start).Seconds() }()
	if err := opt.Validate(); err != nil {
		if l != nil {
			l.close()
		}
		return rep, err
	}
	stale, err := removeStale(dir)
	rep.Stale = len(stale)
	if err != nil {
		log.Warn("stale temporary files", "err", err)
	}
	var e *automl.Experiment
	var trials []automl.Trial
	if known != nil && known.Experiment != nil && known.Experiment.Status != "failed" && len(known.Trials) == known.Experiment.Trials {
		// (a failed search may have trials it could not log; a result
		// made by hand may lack the trials)
		e, trials, err = known.Experiment, slices.Clone(known.Trials), nil
	} else {
		e, trials, err = automl.ReadExperiment(dir)
	}
	if err != nil {
		if l != nil {
			l.close()
		}
		return rep, err
	}
	top := explain.Top(e, trials, opt.ExplainTop)
	// Notebooks first: they take milliseconds each, explanations seconds.
	var phases []Phase
	if opt.notebooks() {
		phases = append(phases, PhaseNotebooks)
	}
	if len(top) > 0 {
		phases = append(phases, PhaseExplain)
	}
	if opt.MLflow.URI != "" {
		phases = append(phases, PhaseMLflow)
	}
	// The window explanations and notebooks share: the budget's end, or
	// opt.Timeout without a budget (then MLflow has its own bound).
	window := deadline
	if window.IsZero() {
		window = start.Add(opt.timeout())
	}
	end := func(p Phase) time.Time {
		var sum float64
		for _, q := range phases[slices.Index(phases, p):] {
			if q != PhaseMLflow || !deadline.IsZero() {
				sum += weights[q]
			}
		}
		now := time.Now()
		if p == PhaseMLflow {
			e := now.Add(opt.MLflow.timeout())
			if !deadline.IsZero() {
				e = minTime(e, now.Add(time.Duration(float64(time.Until(deadline))*weights[p]/sum)))
			}
			return e
		}
		return now.Add(time.Duration(float64(time.Until(window)) * weights[p] / sum))
	}
	var errs []error
	for _, p := range phases {
		if opt.OnPhase != nil {
			opt.OnPhase(p)
		}
		pend := end(p)
		pctx, cancel := context.WithDeadlineCause(ctx, pend, ErrBudget)
		gone := pctx.Err() != nil // no time left: listed as not made, not started
		switch p {
		case PhaseExplain:
			if gone {
				for _, t := range top {
					rep.NotExplained = append(rep.NotExplained, t.ID)
				}
				break
			}
			errs = append(errs, explainTop(pctx, dir, top, pend, opt, log, rep))
		case PhaseNotebooks:
			if gone {
				rep.NotebooksLeft = 1 + len(notebookgen.Select(trials, e.Config.Metric, opt.Notebooks))
				break
			}
			errs = append(errs, notebooks(pctx, dir, e, trials, opt, rep))
		case PhaseMLflow:
			if l == nil {
				l = newLive(ctx, opt.MLflow, dir)
			}
			msg, err := l.finish(pctx, pend)
			if err != nil {
				if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
					err = fmt.Errorf("stopped: %w", context.Cause(pctx))
				}
				msg = fmt.Sprintf("logging to %s failed: %v; the experiment is complete on disk: log it later with automl export mlflow %s --tracking-uri %s",
					opt.MLflow.URI, err, dir, opt.MLflow.URI)
				log.Warn("mlflow", "err", err)
				rep.MLflowFailed = true
			}
			rep.MLflow = msg
		}
		cancel()
		if ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil {
		// Stopped by the caller: what is not made is reported, not failed.
		return rep, nil
	}
	return rep, errors.Join(errs...)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func explainTop(ctx context.Context, dir string, top []automl.Trial, end time.Time, opt Options, log *slog.Logger, rep *Report) error {
	reports, err := explain.Experiment(ctx, dir, len(top), explain.Options{
		// One slow model-agnostic SHAP estimate must not take every
		// other trial's time: it gets half of the phase at most.
		SHAPTimeout: max(time.Second, time.Until(end)/2),
		Workers:     opt.Workers, Data: opt.Data, Logger: log, Plots: opt.Plots})
	done := map[int]bool{}
	for _, r := range reports {
		done[r.Trial] = true
		rep.Explained = append(rep.Explained, r.Trial)
		if r.Partial {
			rep.Partial = append(rep.Partial, r.Trial)
		}
	}
	for _, t := range top {
		if !done[t.ID] {
			rep.NotExplained = append(rep.NotExplained, t.ID)
		}
	}
	if err != nil {
		return fmt.Errorf("explanations: %w", err)
	}
	return nil
}

func notebooks(ctx context.Context, dir string, e *automl.Experiment, trials []automl.Trial, opt Options, rep *Report) error {
	o := notebookgen.Options{ModuleDir: opt.ModuleDir, ModuleVersion: notebookgen.BinaryVersion()}
	o.StoreDir, _ = filepath.Abs(dir)
	if abs, err := filepath.Abs(e.Data.Path); err == nil {
		o.DataPath = abs
	}
	want := 1 + len(notebookgen.Select(trials, e.Config.Metric, opt.Notebooks))
	paths, err := notebookgen.WriteExperiment(ctx, dir, opt.Notebooks, o)
	rep.Notebooks, rep.NotebooksLeft = len(paths), want-len(paths)
	if err != nil && !errors.Is(err, ErrBudget) && ctx.Err() == nil {
		return fmt.Errorf("notebooks: %w", err)
	}
	return nil
}

// removeStale removes the temporary files a killed writer left in the
// folders the step writes: the experiment's, its explain/, each trial's
// and each trial's explain/.
func removeStale(dir string) ([]string, error) {
	lay := store.At(dir)
	dirs := []string{lay.Dir, lay.ExperimentExplain()}
	ents, err := os.ReadDir(lay.Trials())
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		var id int
		if _, err := fmt.Sscan(e.Name(), &id); err != nil || fmt.Sprint(id) != e.Name() {
			continue
		}
		dirs = append(dirs, lay.Trial(id), lay.Explain(id))
	}
	return store.RemoveTemps(dirs...)
}
