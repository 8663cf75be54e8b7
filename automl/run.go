package automl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/goautoml/automl/models"
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
	// Started is when the caller began the experiment (before Prepare): the
	// time budget counts from it, so reading and checking the data is
	// inside the budget. Zero means when the search starts.
	Started time.Time
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

// RunPrepared runs the search on prepared data in a new experiment folder.
func RunPrepared(ctx context.Context, p *Prepared, opt Options) (*Result, error) {
	e := p.Experiment
	dir := filepath.Join(e.Config.RunsDir, e.Name)
	st, err := CreateStore(dir)
	if err != nil {
		return nil, err
	}
	e.Status, e.Started = "running", time.Now().UTC()
	if err := st.WriteExperiment(e); err != nil {
		return nil, err
	}
	return search(ctx, st, p, nil, opt)
}

// Resume continues an experiment whose run was killed or stopped: finished
// trials are kept, trials that were in flight run again, and the budget
// starts afresh.
func Resume(ctx context.Context, dir string, opt Options) (*Result, error) {
	st, err := OpenStore(dir)
	if err != nil {
		return nil, err
	}
	e, err := st.Experiment()
	if err != nil {
		return nil, err
	}
	p, err := Prepare(e.Config)
	if err != nil {
		return nil, err
	}
	if p.Data.Frame.SHA256 != e.Data.SHA256 {
		return nil, fmt.Errorf("%s changed since the experiment started (sha256 %s, now %s)", e.Config.Data, e.Data.SHA256, p.Data.Frame.SHA256)
	}
	p.Experiment.Name, p.Experiment.Config.Name = e.Name, e.Name
	p.Experiment.Started = e.Started
	done, err := st.Trials()
	if err != nil {
		return nil, err
	}
	p.Experiment.Status = "running"
	if err := st.WriteExperiment(p.Experiment); err != nil {
		return nil, err
	}
	return search(ctx, st, p, done, opt)
}

// finished is a trial a worker hands back: err is set when the budget cut
// it short (then it is not a finished trial and is not logged).
type finished struct {
	t   Trial
	err error
}

// search runs trials on Workers goroutines. Finished trials are written to
// their folder at once and appended to trials.jsonl in ID order, so that two
// runs of the same experiment write the same log whatever the timing.
func search(parent context.Context, st *Store, p *Prepared, done []Trial, opt Options) (*Result, error) {
	defer st.Close()
	e, cfg, d := p.Experiment, p.Experiment.Config, p.Data
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opt.OnStart != nil {
		opt.OnStart(e, st.Dir)
	}
	searcher := opt.Searcher
	if searcher == nil {
		var fams []models.Family
		for _, f := range cfg.families() {
			if !slices.Contains(e.Plan.Skip, f) {
				fams = append(fams, f)
			}
		}
		searcher = NewRandomSearch(cfg.Seed, fams, p.Base, p.Shape())
	}
	start := opt.Started
	if start.IsZero() {
		start = time.Now()
	}
	ctx, cancelBudget := context.WithCancelCause(parent)
	defer cancelBudget(nil)
	if cfg.Timeout > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithDeadlineCause(ctx, start.Add(cfg.Timeout), ErrBudget)
		defer stop()
	}

	res := &Result{Dir: st.Dir, Experiment: e}
	isDone := map[int]bool{}
	var best *Trial
	sinceBest := 0
	var stopReason StopReason
	tell := func(t Trial) {
		res.Trials = append(res.Trials, t)
		searcher.Tell(t)
		e.Trials++
		if t.Status != "ok" {
			e.Failed++
		}
		if better(cfg.Metric, t.Score(cfg.Metric), scoreOf(best, cfg.Metric)) {
			tt := t
			best, sinceBest = &tt, 0
			e.Best = &tt.ID
		} else {
			sinceBest++
		}
		if opt.OnTrial != nil {
			pr := Progress{Done: e.Trials, Failed: e.Failed, Best: best, BestScore: scoreOf(best, cfg.Metric), Elapsed: time.Since(start)}
			if cfg.Timeout > 0 {
				pr.Left = max(0, cfg.Timeout-pr.Elapsed)
			}
			opt.OnTrial(t, pr)
		}
		if stopReason == "" && cfg.ExitScore != nil && best != nil && !better(cfg.Metric, *cfg.ExitScore, scoreOf(best, cfg.Metric)) {
			stopReason = StopExitScore
			cancelBudget(errExitScore)
		}
		if stopReason == "" && cfg.EarlyStop > 0 && sinceBest >= cfg.EarlyStop {
			stopReason = StopEarly
			cancelBudget(errEarlyStop)
		}
	}
	for _, t := range done {
		isDone[t.ID] = true
		tell(t)
	}
	// Trials found only in their folders (a kill between the two writes) are
	// appended now, so the log is complete again.
	if logged, err := st.loggedIDs(); err == nil {
		for _, t := range done {
			if !logged[t.ID] {
				if err := st.AppendTrial(t); err != nil {
					return nil, err
				}
			}
		}
	}

	// Dispatch: IDs in increasing order, skipping finished ones, within MaxTrials.
	var mu sync.Mutex
	next := 0
	budgetLeft := math.MaxInt
	if cfg.MaxTrials > 0 {
		budgetLeft = cfg.MaxTrials - len(done)
	}
	exhausted := false
	ask := func() (TrialSpec, bool) {
		mu.Lock()
		defer mu.Unlock()
		for budgetLeft > 0 && !exhausted && ctx.Err() == nil {
			id := next
			next++
			if isDone[id] {
				continue
			}
			spec, ok := searcher.Ask(id)
			if !ok {
				exhausted = true
				return TrialSpec{}, false
			}
			budgetLeft--
			return spec, true
		}
		return TrialSpec{}, false
	}
	keep := &topK{metric: cfg.Metric, k: cfg.KeepBundles}
	if keep.k == 0 {
		keep.k = defaultKeepBundles
	}
	for _, t := range done {
		keep.admit(t.Score(cfg.Metric))
	}
	workers := max(1, cfg.Workers)
	perTrial := 1
	results := make(chan finished, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				spec, ok := ask()
				if !ok {
					return
				}
				t, fit, err := RunTrial(ctx, d, spec, perTrial)
				if err == nil && t.Status == "ok" && keep.admit(t.Score(cfg.Metric)) {
					if serr := SaveBundle(st.TrialDir(t.ID), d, e.Name, t, fit); serr != nil {
						t.Status, t.Error = "failed", "save bundle: "+serr.Error()
					}
				}
				t.Timing.OffsetSeconds = time.Since(start).Seconds()
				results <- finished{t: t, err: err}
			}
		}()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	pending := map[int]finished{}
	nextTell := 0
	var grace <-chan time.Time
	var writeErr error
	flush := func() {
		for {
			for isDone[nextTell] {
				nextTell++
			}
			f, ok := pending[nextTell]
			if !ok {
				return
			}
			delete(pending, nextTell)
			nextTell++
			if f.err != nil {
				continue // cut short by the budget: not a finished trial
			}
			if err := st.AppendTrial(f.t); err != nil && writeErr == nil {
				writeErr = err
			}
			tell(f.t)
		}
	}
	receive := func(f finished) {
		if f.err == nil {
			if err := st.WriteTrial(f.t); err != nil && writeErr == nil {
				writeErr = err
			}
		} else {
			log.Debug("trial cut short", "trial", f.t.ID, "cause", f.err)
		}
		pending[f.t.ID] = f
		flush()
		if writeErr != nil {
			cancelBudget(writeErr)
		}
	}
loop:
	for {
		select {
		case f := <-results:
			receive(f)
		case <-allDone:
			// The workers are gone; what they sent last is still buffered.
			for len(results) > 0 {
				receive(<-results)
			}
			break loop
		case <-grace:
			log.Warn("fits still running after the grace period were abandoned")
			break loop
		case <-ctx.Done():
			if grace == nil {
				grace = time.After(cfg.Grace)
			}
		}
	}
	// Trials that finished after an earlier one was cut short, in ID order.
	ids := slices.Sorted(maps.Keys(pending))
	for _, id := range ids {
		if f := pending[id]; f.err == nil {
			if err := st.AppendTrial(f.t); err != nil && writeErr == nil {
				writeErr = err
			}
			tell(f.t)
		}
	}

	switch {
	case writeErr != nil:
		e.Status, e.Error = "failed", writeErr.Error()
	case stopReason != "":
	case parent.Err() != nil:
		stopReason = StopCancelled
	case errors.Is(context.Cause(ctx), ErrBudget):
		stopReason = StopTimeout
	case exhausted:
		stopReason = StopExhausted
	default:
		stopReason = StopMaxTrials
	}
	if e.Status != "failed" {
		e.Status = "done"
		if stopReason == StopCancelled {
			e.Status = "interrupted"
		}
	}
	e.StopReason = stopReason
	now := time.Now().UTC()
	e.Finished = &now
	res.Best = best
	res.Wall = time.Since(start)
	if err := st.WriteExperiment(e); err != nil {
		return res, err
	}
	if writeErr != nil {
		return res, fmt.Errorf("writing to %s: %w", st.Dir, writeErr)
	}
	return res, nil
}

var (
	errExitScore = errors.New("exit score reached")
	errEarlyStop = errors.New("no improvement for the early-stop number of trials")
)

func scoreOf(t *Trial, metric string) float64 {
	if t == nil {
		return math.NaN()
	}
	return t.Score(metric)
}

// defaultKeepBundles is how many of the best trials keep a model bundle.
const defaultKeepBundles = 10

// topK decides which finished trials keep their model bundle: those among
// the k best scores seen so far when they finish. Every trial's spec is kept
// in the log, so any trial can be refit; bundles are for the ones worth
// scoring with.
type topK struct {
	mu     sync.Mutex
	metric string
	k      int // < 0: keep all
	scores []float64
}

func (t *topK) admit(score float64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.k < 0 {
		return true
	}
	if math.IsNaN(score) {
		return false
	}
	i := sort.Search(len(t.scores), func(i int) bool { return better(t.metric, score, t.scores[i]) })
	if i >= t.k {
		return false
	}
	t.scores = slices.Insert(t.scores, i, score)
	if len(t.scores) > t.k {
		t.scores = t.scores[:t.k]
	}
	return true
}
