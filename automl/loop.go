package automl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/goautoml/automl/models"
)

// search is one search over an experiment: it asks the Searcher for trials
// in ID order, keeps Executor.Slots() of them in flight, and commits the
// finished ones in ID order, so that two runs of one experiment write the
// same log whatever the timing. Budgets and the stop are decided here and
// nowhere else; the search never fits a model itself.
//
// Everything but the executor's Run calls happens on the goroutine of run.
type search struct {
	st       *Store
	data     *Data
	e        *Experiment
	cfg      Config
	exec     Executor
	searcher Searcher
	opt      Options
	log      *slog.Logger
	start    time.Time
	// stop ends the search before its budget (exit score, early stop, a
	// failed write), with the reason as cause.
	stop context.CancelCauseFunc

	// ask
	next      int          // the next trial ID to consider
	left      int          // trials the trial budget still allows
	exhausted bool         // the searcher had nothing more
	done      map[int]bool // trials finished by an earlier run

	// dispatch
	results  chan finished
	inFlight int
	// until is when a timed search stops starting trials (its deadline, or
	// earlier when the ensemble step needs more); zero when not timed.
	// late is set once the next proposal was estimated to need more than
	// what is left: nothing more is dispatched, and the search ends when
	// the trials in flight come back.
	until time.Time
	late  bool
	shape models.Shape // the data's, for the trials' estimates
	// pace is, per family, the seconds its finished trials held a slot
	// and their estimates (trialSeconds), summed: the estimates are off by
	// up to 2.5x on one machine, a run corrects them with its own figures.
	pace map[models.Family]*[2]float64

	// commit
	pending    map[int]finished // finished, waiting for a lower ID
	nextCommit int
	keep       *topK
	best       *Trial
	sinceBest  int
	reason     StopReason
	err        error // the first failed write (or broken executor); ends the search
	res        *Result
	// bundleBytes is the size on disk of each committed trial's bundle,
	// for ensembleNeed
	bundleBytes map[int]int64
}

// finished is what came back for one dispatched trial: err is set when the
// trial was cut short (then it is not a finished trial and is not logged).
type finished struct {
	id       int
	out      Outcome
	err      error
	at       time.Time
	restored bool // finished by an earlier run
	final    bool // the refit after the search: committed whatever stopped it
	// est is the trial's estimated seconds (trialSeconds); slot the seconds
	// it held its slot, the bundle written ahead included.
	est, slot float64
}

// runSearch searches the experiment held by st and closes st.
func runSearch(parent context.Context, st *Store, p *Prepared, done []Trial, opt Options) (*Result, error) {
	defer st.Close()
	s := newSearch(st, p, opt)
	// Bundles written ahead and never committed (a killed run's) go.
	pending := st.Layout.Pending()
	os.RemoveAll(pending)
	defer os.RemoveAll(pending)
	if opt.OnStart != nil {
		opt.OnStart(s.e, st.Dir)
	}
	if err := s.restore(done); err != nil {
		return nil, err
	}
	cause := s.run(parent)
	if s.err == nil && parent.Err() == nil {
		s.sampleRefitStep(parent)
		s.ensembleStep()
		s.refitStep(parent)
	}
	return s.finish(parent, cause)
}

func newSearch(st *Store, p *Prepared, opt Options) *search {
	e, cfg := p.Experiment, p.Experiment.Config
	s := &search{st: st, data: p.Data, e: e, cfg: cfg, exec: opt.Executor, searcher: opt.Searcher, opt: opt, log: logger(opt),
		start: opt.Started, left: math.MaxInt, done: map[int]bool{}, pending: map[int]finished{},
		keep: &topK{metric: cfg.Metric, k: cfg.KeepBundles}, res: &Result{Dir: st.Dir, Experiment: e}}
	if s.start.IsZero() {
		s.start = time.Now()
	}
	if p.Data != nil {
		s.shape = p.Shape()
	}
	if s.searcher == nil {
		var fams []models.Family
		for _, f := range cfg.families() {
			if !slices.Contains(e.Plan.Skip, f) {
				fams = append(fams, f)
			}
		}
		if cfg.Search == SearchAdaptive {
			a := NewAdaptiveSearch(cfg.Seed, fams, p.Base, p.Shape(), cfg.Metric)
			a.Timed = cfg.Timeout > 0
			if a.Timed {
				a.Skip = s.tooLong // (on samples, the halving's rule instead)
			}
			s.searcher = a
		} else {
			s.searcher = NewRandomSearch(cfg.Seed, fams, p.Base, p.Shape())
		}
		if p.Data != nil && p.Data.Sampling != nil {
			h := NewHalving(s.searcher, p.Data.Sampling, cfg.Metric)
			h.Shape = p.Shape()
			if cfg.Timeout > 0 {
				h.MaxCost = cfg.Timeout.Seconds() / promotionShare
				if a, ok := s.searcher.(*AdaptiveSearch); ok {
					a.Skip = h.TooCostlyToStart
				}
			}
			s.searcher = h
		}
	}
	if s.exec == nil {
		s.exec = NewLocalExecutor(p.Data, e.Name, cfg.Workers)
	}
	if cfg.MaxTrials > 0 {
		s.left = cfg.MaxTrials
	}
	if s.keep.k == 0 {
		s.keep.k = defaultKeepBundles
		if p.Data != nil && p.Data.Sampling != nil {
			// No ensemble step needs candidates: only the few that
			// retention keeps after the run are written (a bundle of 300
			// deep trees takes seconds to write).
			s.keep.k = DefaultRetain
		}
	}
	s.results = make(chan finished, max(1, s.exec.Slots()))
	s.pace = map[models.Family]*[2]float64{}
	return s
}

// restore takes in the trials an earlier run finished: they count against
// the budgets and are not run again. They are committed in ID order with
// the new ones (told to the searcher, and logged when found only in their
// folder: a kill between the record and the log line).
func (s *search) restore(done []Trial) error {
	for _, t := range done {
		s.done[t.ID] = true
		s.left = max(0, s.left-1)
		s.pending[t.ID] = finished{id: t.ID, out: Outcome{Trial: t}, restored: true}
	}
	s.commitReady()
	return s.err
}

// run dispatches and commits until the budget ends the search and the
// trials in flight have come back or the grace period after the deadline
// has passed. It returns the cause that ended the search's context (nil
// when the budget of trials or the searcher ran out).
func (s *search) run(parent context.Context) error {
	ctx, stop := context.WithCancelCause(parent)
	defer stop(nil)
	s.stop = stop
	if s.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		end := s.start.Add(s.cfg.Timeout - max(0, s.opt.Reserve))
		if s.ensembles() {
			// The fits in flight at the search's end may take the grace
			// period to come back: that wait must not eat the ensemble's
			// share (at 30 s it left 1.9 s of the 3 s, and the step, 2.2 s
			// on 7,600 rows, was abandoned).
			end = end.Add(-ensembleReserve(s.cfg.Timeout) - s.ensembleGrace())
		}
		if s.data != nil && s.data.Sampling != nil {
			end = end.Add(-refitReserve(s.cfg.Timeout))
		}
		ctx, cancel = context.WithDeadlineCause(ctx, end, ErrBudget)
		defer cancel()
		s.until = end
	}
	ended := ctx.Done()
	var grace <-chan time.Time
	// The ensemble step's share is fixed; when the likely members' bundles
	// take longer to load than it leaves, the search ends earlier. So it
	// does by the refit's estimate when the best is refit on every row.
	var early *time.Timer
	var earlyC <-chan time.Time
	if s.cfg.Timeout > 0 && (s.ensembles() || s.cfg.Refit == RefitAll) {
		early = time.NewTimer(time.Hour)
		defer early.Stop()
		earlyC = early.C
	}
loop:
	for {
		// Free slots are filled before the finished trials are written, so
		// the executor does not wait on the disk. (A trial dispatched just
		// before a commit reaches the exit score is then cut: not logged.)
		s.fill(ctx)
		s.commitReady()
		if early != nil && ended != nil {
			end := s.stepsEnd().Add(-s.ensembleGrace())
			if s.ensembles() {
				end = end.Add(-s.ensembleNeed())
			}
			end = end.Add(-s.refitNeed())
			early.Reset(time.Until(end))
			if dl, _ := ctx.Deadline(); end.Before(dl) {
				s.until = end
			} else {
				s.until = dl
			}
		}
		if s.inFlight == 0 {
			// The commits may let a Lagged searcher propose again.
			if s.fill(ctx); s.inFlight == 0 {
				break
			}
		}
		select {
		case f := <-s.results:
			s.receive(f)
		case <-earlyC:
			earlyC = nil
			stop(ErrBudget)
		case <-ended:
			ended, grace = nil, time.After(s.cfg.Grace)
		case <-grace:
			// What already came back is still committed; the rest is
			// abandoned (their goroutines end into the buffered channel).
			for len(s.results) > 0 {
				s.receive(<-s.results)
			}
			if s.inFlight > 0 {
				s.log.Warn("fits still running after the grace period were abandoned", "trials", s.inFlight)
			}
			break loop
		}
	}
	// Trials that finished after an earlier one was cut short, in ID order.
	for _, id := range slices.Sorted(maps.Keys(s.pending)) {
		if f := s.pending[id]; f.err == nil {
			s.commit(f)
		}
	}
	clear(s.pending)
	if cause := context.Cause(ctx); cause != nil || !s.late {
		return cause
	}
	return ErrBudget // the time left fitted no more trials
}

// fill dispatches trials while the executor has free slots and the
// searcher has proposals.
func (s *search) fill(ctx context.Context) {
	for s.inFlight < s.exec.Slots() {
		spec, ok := s.ask(ctx)
		if !ok {
			return
		}
		s.dispatch(ctx, spec)
	}
}

// ask proposes the next trial: IDs in increasing order, skipping finished
// ones, within the trial budget, while the search's context lives.
func (s *search) ask(ctx context.Context) (TrialSpec, bool) {
	for s.left > 0 && !s.exhausted && !s.late && s.reason == "" && s.err == nil && ctx.Err() == nil {
		id := s.next
		if s.done[id] {
			s.next++
			continue
		}
		if l, ok := s.searcher.(Lagged); ok && id-l.Lag() > s.nextCommit {
			return TrialSpec{}, false // it learns from trials still in flight
		}
		spec, ok := s.searcher.Ask(id)
		if !ok {
			s.exhausted = true
			return TrialSpec{}, false
		}
		spec.ID = id
		if s.tooLong(spec) {
			// Started, it would be cut at the deadline with its slot's
			// time lost; the time left goes to the trials in flight and
			// to the ensemble step.
			s.late = true
			s.log.Debug("search ends: the next trial would not finish in time", "trial", id,
				"expected", s.expectedSeconds(spec), "left", time.Until(s.until).Seconds())
			return TrialSpec{}, false
		}
		s.next++
		s.left--
		return spec, true
	}
	return TrialSpec{}, false
}

// tooLong reports whether a timed search has less time left before it
// stops starting trials than spec is estimated to take (never for a trial
// an earlier run finished, whose proposal is only recomputed).
//
// The adaptive searcher is asked to draw another configuration in place of
// one that is too long, so the last seconds of a budget go to trials that
// can finish (on 10,000 rows at 30 s, two slots spent their last 8 s on a
// 300-tree forest and a 600-round boosted model cut at the deadline). This
// is the one place where the clock shapes a proposal: only at the end of a
// budget, where the clock already decides which trials finish; a search
// bounded by trials alone never sees it.
func (s *search) tooLong(spec TrialSpec) bool {
	if s.until.IsZero() || s.done[spec.ID] || spec.Ensemble != nil {
		return false
	}
	return s.expectedSeconds(spec) > time.Until(s.until).Seconds()
}

// expectedSeconds is spec's estimate (trialSeconds) scaled by how long its
// family's trials took in this run against their estimates (by all
// families' until it has one), within [0.5, 4].
func (s *search) expectedSeconds(spec TrialSpec) float64 {
	p := s.pace[spec.Model.Family]
	if p == nil {
		p = new([2]float64)
		for _, q := range s.pace {
			p[0] += q[0]
			p[1] += q[1]
		}
	}
	ratio := 1.0
	if p[1] > 0 {
		ratio = min(4, max(0.5, p[0]/p[1]))
	}
	return s.trialSeconds(spec) * ratio
}

// trialSeconds is spec's estimated time on one slot: the family's cost
// estimate (models.EstimateCost, seconds of one core) on its rows, times the
// fits it takes (k folds of (k-1)/k of the rows and the refit on all of
// them: about k with cross-validation).
func (s *search) trialSeconds(spec TrialSpec) float64 {
	shape := s.shape
	if spec.Rows > 0 {
		shape.Rows = spec.Rows
	}
	c := models.EstimateCost(spec.Model, shape)
	if s.data != nil && s.data.Split != nil && spec.Rows == 0 {
		if k := len(s.data.Split.Folds); k > 1 {
			c *= float64(k)
		}
	}
	return c
}

// dispatch runs spec on the executor. A panic in the executor's Run is
// contained: the trial is a failed trial, as a panic inside a fit is.
func (s *search) dispatch(ctx context.Context, spec TrialSpec) {
	s.inFlight++
	est := s.trialSeconds(spec)
	go func() {
		f := finished{id: spec.ID, est: est}
		started := time.Now()
		f.out, f.err = runContained(ctx, s.exec, spec)
		f.at = time.Now()
		if f.err == nil {
			t := &f.out.Trial
			if t.ID != spec.ID {
				f.err = fmt.Errorf("executor returned trial %d for trial %d", t.ID, spec.ID)
			}
			if t.Timing.Started.IsZero() {
				t.Timing.Started = started.UTC()
				t.Timing.WallSeconds = f.at.Sub(started).Seconds()
			}
		} else if ctx.Err() == nil {
			// The contract allows an error only when ctx ended the trial.
			f.err = fmt.Errorf("trial %d: executor: %w", spec.ID, f.err)
		} else {
			f.err = errCut{f.err}
		}
		if f.err == nil && ctx.Err() == nil {
			// (After the deadline the loop writes it, as before: a trial
			// it has abandoned must not write anything.)
			s.writeAhead(&f)
		}
		f.slot = time.Since(started).Seconds()
		s.results <- f
	}()
}

// writeAhead writes a finished trial's bundle into Layout.PendingTrial
// (removed with what a killed run left there when a search starts) from the
// trial's own goroutine, when the trial may still be kept (its score beats
// the KeepBundles-th best committed so far: the trials committed later can
// only raise that bar, so a trial below it now is never kept). The commit
// then only renames the folder into place. Written by the search's loop
// instead, the bundle of a forest of 300 deep trees (20 MB gzipped) held
// every other trial's commit and dispatch for seconds.
func (s *search) writeAhead(f *finished) {
	o := &f.out
	if o.Trial.Status != "ok" || o.Bundle == nil || s.st == nil {
		return
	}
	if !s.keep.mayAdmit(o.Trial.Score(s.cfg.Metric)) {
		o.Bundle = nil // never kept: nothing to write
		return
	}
	tmp := s.st.Layout.PendingTrial(f.id)
	os.RemoveAll(tmp)
	w := &writtenBundle{tmp: tmp}
	if err := os.MkdirAll(filepath.Dir(tmp), 0o755); err != nil {
		w.err = err
	} else {
		w.err = o.Bundle.WriteBundle(tmp)
	}
	o.Bundle = w
}

// writtenBundle is a bundle written ahead into a temporary folder.
type writtenBundle struct {
	tmp string
	err error
}

// WriteBundle moves the bundle into dir.
func (w *writtenBundle) WriteBundle(dir string) error {
	if w.err != nil {
		os.RemoveAll(w.tmp)
		return w.err
	}
	os.RemoveAll(dir)
	return os.Rename(w.tmp, dir)
}

// discard removes what a trial wrote ahead and will not keep.
func discard(o Outcome) {
	if w, ok := o.Bundle.(*writtenBundle); ok {
		os.RemoveAll(w.tmp)
	}
}

// errCut marks a trial the search's context cut short.
type errCut struct{ cause error }

func (e errCut) Error() string { return "cut short: " + e.cause.Error() }

func runContained(ctx context.Context, ex Executor, spec TrialSpec) (out Outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			out = Outcome{Trial: Trial{TrialSpec: spec, Status: "failed", Error: fmt.Sprintf("panic: %v\n%s", r, debug.Stack())}}
			err = nil
		}
	}()
	return ex.Run(ctx, spec)
}

// receive takes a trial back from the executor; it is committed once no
// lower ID is pending.
func (s *search) receive(f finished) {
	s.inFlight--
	var cut errCut
	switch {
	case errors.As(f.err, &cut):
		s.log.Debug("trial cut short", "trial", f.id, "cause", cut.cause)
	case f.err != nil:
		s.fail(f.err)
	default:
		f.out.Trial.Timing.OffsetSeconds = f.at.Sub(s.start).Seconds()
		if t := f.out.Trial; t.Status == "ok" && f.est > 0 {
			p := s.pace[t.Model.Family]
			if p == nil {
				p = new([2]float64)
				s.pace[t.Model.Family] = p
			}
			p[0] += f.slot
			p[1] += f.est
		}
	}
	s.pending[f.id] = f
}

// commitReady commits the pending trials that no lower ID waits for.
func (s *search) commitReady() {
	for {
		f, ok := s.pending[s.nextCommit]
		if !ok {
			return
		}
		delete(s.pending, s.nextCommit)
		s.nextCommit++
		if f.err == nil {
			s.commit(f)
		} else {
			discard(f.out)
		}
	}
}

// commit writes a finished trial: its artifacts first (the bundle, for a
// trial among the best KeepBundles so far, and the predictions), then its
// record, then its log line; so a trial whose record exists has all its
// files, and a kill before the record only costs a re-run. A bundle that
// cannot be saved fails the trial; any other failed write ends the search.
// A trial restored from an earlier run is only logged if it was not.
// Once the search has stopped (exit score, early stop, a failed write),
// later trials are dropped like cut ones, so that the log ends at the trial
// that stopped it whatever the timing.
func (s *search) commit(f finished) {
	if !f.restored && (s.reason != "" && !f.final || s.err != nil) {
		discard(f.out)
		return
	}
	if f.restored {
		t := f.out.Trial
		s.keep.admit(t.Score(s.cfg.Metric))
		if !s.st.logged(t.ID) {
			if err := s.st.AppendTrial(t); err != nil {
				s.fail(err)
			}
		}
		s.tell(t)
		return
	}
	o := f.out
	t := o.Trial
	if t.Status == "ok" && o.Bundle != nil && s.keep.admit(t.Score(s.cfg.Metric)) {
		if err := o.Bundle.WriteBundle(s.st.Layout.Trial(t.ID)); err != nil {
			t.Status, t.Error = "failed", "save bundle: "+err.Error()
		} else if s.ensembles() {
			s.noteBundle(t.ID)
		}
	} else {
		discard(o)
	}
	if t.Status == "ok" && o.Predictions != nil {
		if err := WritePredictions(s.st.Layout.Predictions(t.ID), o.Predictions); err != nil {
			s.fail(fmt.Errorf("trial %d: predictions: %w", t.ID, err))
		}
	}
	if err := s.st.WriteTrial(t); err != nil {
		s.fail(err)
	}
	if err := s.st.AppendTrial(t); err != nil {
		s.fail(err)
	}
	s.tell(t)
}

// fail records the first error that ends the search.
func (s *search) fail(err error) {
	if s.err == nil {
		s.err = err
		s.cancel(err)
	}
}

// tell passes a finished trial to the searcher, the result and the
// watcher, and stops the search when the exit score or the early stop is
// reached.
func (s *search) tell(t Trial) {
	s.res.Trials = append(s.res.Trials, t)
	s.searcher.Tell(t)
	e, metric := s.e, s.cfg.Metric
	e.Trials++
	if t.Status != "ok" {
		e.Failed++
	}
	if better(metric, t.Score(metric), scoreOf(s.best, metric)) {
		tt := t
		s.best, s.sinceBest = &tt, 0
		e.Best = &tt.ID
	} else {
		s.sinceBest++
	}
	if s.opt.OnTrial != nil {
		pr := Progress{Done: e.Trials, Failed: e.Failed, Best: s.best, BestScore: scoreOf(s.best, metric), Elapsed: time.Since(s.start)}
		if s.cfg.Timeout > 0 {
			pr.Left = max(0, s.cfg.Timeout-max(0, s.opt.Reserve)-pr.Elapsed)
		}
		s.opt.OnTrial(t, pr)
	}
	if s.reason == "" && s.cfg.ExitScore != nil && s.best != nil && !better(metric, *s.cfg.ExitScore, scoreOf(s.best, metric)) {
		s.reason = StopExitScore
		s.cancel(errExitScore)
	}
	if s.reason == "" && s.cfg.EarlyStop > 0 && s.sinceBest >= s.cfg.EarlyStop {
		s.reason = StopEarly
		s.cancel(errEarlyStop)
	}
}

// cancel ends the search's context once it runs (a stop decided while
// restoring takes effect when run starts, as ask sees reason set).
func (s *search) cancel(cause error) {
	if s.stop != nil {
		s.stop(cause)
	}
}

// finish records how the search ended.
func (s *search) finish(parent context.Context, cause error) (*Result, error) {
	e := s.e
	switch {
	case s.err != nil:
		e.Status, e.Error = "failed", s.err.Error()
	case s.reason != "":
	case parent.Err() != nil:
		s.reason = StopCancelled
	case errors.Is(cause, ErrBudget):
		s.reason = StopTimeout
	case s.exhausted:
		s.reason = StopExhausted
	default:
		s.reason = StopMaxTrials
	}
	if e.Status != "failed" {
		e.Status = "done"
		if s.reason == StopCancelled {
			e.Status = "interrupted"
		}
	}
	e.StopReason = s.reason
	now := time.Now().UTC()
	e.Finished = &now
	s.res.Best = s.best
	s.res.Wall = time.Since(s.start)
	e.SearchSeconds = s.res.Wall.Seconds()
	if err := s.st.WriteExperiment(e); err != nil {
		return s.res, err
	}
	if s.err != nil {
		return s.res, fmt.Errorf("writing to %s: %w", s.st.Dir, s.err)
	}
	return s.res, nil
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
// the k best scores committed so far (in trial-ID order, so the choice does
// not depend on timing). Every trial's spec is kept in the log, so any
// trial can be refit; bundles are for the ones worth scoring with.
type topK struct {
	metric string
	k      int // < 0: keep all
	mu     sync.Mutex
	scores []float64
}

// mayAdmit reports whether score could still be admitted: it beats the
// k-th best admitted so far (trials' goroutines ask, while the loop admits).
func (t *topK) mayAdmit(score float64) bool {
	if t.k < 0 {
		return true
	}
	if math.IsNaN(score) {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.scores) < t.k || better(t.metric, score, t.scores[t.k-1])
}

func (t *topK) admit(score float64) bool {
	if t.k < 0 {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
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
