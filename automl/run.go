package automl

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/store"
)

// Progress is the state of a running search, reported after each trial.
type Progress struct {
	Done      int           `json:"done"`
	Failed    int           `json:"failed"`
	Best      *Trial        `json:"-"`
	BestScore float64       `json:"best_score"`
	Elapsed   time.Duration `json:"elapsed"`
	Left      time.Duration `json:"left"` // 0 when there is no time budget
}

// Options are how a caller watches a run.
type Options struct {
	Logger *slog.Logger
	// OnStart is called once the experiment folder exists.
	OnStart func(e *Experiment, dir string)
	// OnTrial is called after each finished trial, in trial ID order.
	OnTrial func(t Trial, p Progress)
	// Searcher replaces the default random search.
	Searcher Searcher
	// Executor runs the trials; nil means a Local executor on this machine
	// with Config.Workers slots.
	Executor Executor
	// Started is when the caller began the experiment (before Prepare): the
	// time budget counts from it, so reading and checking the data is
	// inside the budget. Zero means when the search starts.
	Started time.Time
	// Reserve is kept back from the end of Config.Timeout for the caller's
	// own step after the search (package finish): the search stops at
	// Started + Timeout - Reserve. It has no effect without a Timeout.
	Reserve time.Duration
	// Background, when set, counts the work of the run still going on after
	// Run returns: a late step abandoned at the deadline (the ensemble) is
	// told to stop and removes what it wrote, but it may take a moment to
	// reach its next checkpoint. A process that lives on after the run (a
	// server, a test) waits for it before it removes or moves the folder.
	Background *sync.WaitGroup
}

// Result sums up a finished experiment.
type Result struct {
	Dir        string
	Experiment *Experiment
	Trials     []Trial
	Best       *Trial
	Wall       time.Duration
}

// Run prepares the data, creates the experiment folder under cfg.RunsDir and
// searches until a budget is reached.
func Run(ctx context.Context, cfg Config, opt Options) (*Result, error) {
	if opt.Started.IsZero() {
		opt.Started = time.Now()
	}
	p, err := Prepare(cfg)
	if err != nil {
		return nil, err
	}
	return RunPrepared(ctx, p, opt)
}

// RunPrepared runs the search on prepared data in a new experiment folder,
// which it holds locked until the search ends.
func RunPrepared(ctx context.Context, p *Prepared, opt Options) (*Result, error) {
	e := p.Experiment
	// The data path is kept absolute, so that a resume from another
	// folder finds the data again.
	if e.Config.Data != "" {
		if abs, err := filepath.Abs(e.Config.Data); err == nil {
			e.Config.Data = abs
		}
	}
	st, err := CreateStore(store.ExperimentDir(e.Config.RunsDir, e.Name))
	if err != nil {
		return nil, err
	}
	e.Status, e.Started = "running", time.Now().UTC()
	if err := st.WriteExperiment(e); err != nil {
		st.Close()
		return nil, err
	}
	return runSearch(ctx, st, p, nil, opt)
}

// Resume continues an experiment whose run was killed or stopped: finished
// trials are kept and trials that were in flight run again. The budgets are
// the experiment's, not the process's: the trial budget counts the trials
// kept, and the time budget the search time already spent (the time of the
// last finished trial, or of the earlier runs' whole searches when they
// ended normally). So resuming a finished experiment runs nothing more
// unless its budget was raised; a run stopped early gets what is left.
//
// Resume holds the experiment locked: when another process writes it, it
// returns a *store.BusyError. The trial log is repaired first (a torn last
// line cut off, lines put back in ID order).
func Resume(ctx context.Context, dir string, opt Options) (*Result, error) {
	st, err := OpenWriter(dir, logger(opt))
	if err != nil {
		return nil, err
	}
	p, done, err := reopen(st)
	if err != nil {
		st.Close()
		return nil, err
	}
	if opt.Started.IsZero() {
		spent := p.Experiment.SearchSeconds
		for _, t := range done {
			spent = max(spent, t.Timing.OffsetSeconds)
		}
		opt.Started = time.Now().Add(-time.Duration(spent * float64(time.Second)))
	}
	p.Experiment.Status = "running"
	if err := st.WriteExperiment(p.Experiment); err != nil {
		st.Close()
		return nil, err
	}
	return runSearch(ctx, st, p, done, opt)
}

// reopen prepares a stored experiment's data again and reads its finished trials.
func reopen(st *Store) (*Prepared, []Trial, error) {
	e, err := st.Experiment()
	if err != nil {
		return nil, nil, err
	}
	f, err := dataset.Read(e.Config.Data, e.Config.ReadOptions())
	if err != nil {
		return nil, nil, err
	}
	p, err := PrepareExperiment(e, f)
	if err != nil {
		return nil, nil, err
	}
	done, err := st.Trials()
	if err != nil {
		return nil, nil, err
	}
	return p, done, nil
}

// PrepareExperiment prepares the data of an existing experiment from its
// frame: the same split, plan and trial inputs as when it started, so a
// trial run on the result (by a resume, or by a worker on another machine)
// computes exactly what it would have in the original run. It fails when
// the frame's content is not the experiment's data.
func PrepareExperiment(e *Experiment, f *dataset.Frame) (*Prepared, error) {
	if f.SHA256 != e.Data.SHA256 {
		return nil, fmt.Errorf("%s changed since the experiment started (sha256 %s, now %s)", e.Config.Data, e.Data.SHA256, f.SHA256)
	}
	p, err := PrepareFrame(f, e.Config)
	if err != nil {
		return nil, err
	}
	p.Experiment.Name, p.Experiment.Config.Name = e.Name, e.Name
	p.Experiment.Started = e.Started
	p.Experiment.SearchSeconds = e.SearchSeconds
	return p, nil
}

func logger(opt Options) *slog.Logger {
	if opt.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return opt.Logger
}
