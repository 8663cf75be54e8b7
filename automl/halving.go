package automl

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/goautoml/automl/models"
)

// Halving is asynchronous successive halving on rows (ASHA, Li et al.
// 2020) around another searcher: a new configuration from the inner
// searcher starts on the first rung's sample of the training rows; a
// configuration that ranks in the top 1/Eta of the finished trials of its
// rung is run again on the next rung's sample (more rows, same
// preprocessing, model and seed). Before proposing trial id it looks at
// the trials before id-Lag() only, and promotes the best unpromoted
// configuration of the highest rung that has one, else asks the inner
// searcher for a new one; so what it proposes depends on the seed and the
// results, not on timing.
//
// The inner searcher sees its own trials (the first rung's) under its own
// IDs 0, 1, 2, ...: a new configuration is proposed at most once per outer
// ID, so the inner trials an inner lag of at most Lag() needs are told
// before it is asked.
type Halving struct {
	Inner  Searcher
	Rungs  []int // training rows per rung, increasing
	Eta    int
	Metric string
	// MaxCost, when positive, is the most a promotion may cost by the
	// families' estimates (models.EstimateCost, on Shape with the next
	// rung's rows): a configuration that would cost more is left on its
	// rung. On 1,000,000 rows a 60 s search promoted a 300-tree forest to
	// 31,578 rows, estimated at 15 s of one core: a trial was abandoned at
	// the search's end and the search finished 28 trials. The estimate
	// comes from the params and the shape, so this too is reproducible.
	MaxCost float64
	Shape   models.Shape

	told     map[int]Trial
	proposed []halvingTrial
	inner    int // inner IDs proposed so far
	promoted map[int]bool
}

// halvingTrial is how one outer trial was proposed.
type halvingTrial struct {
	spec  TrialSpec
	rung  int
	inner int // its inner ID for a new configuration, -1 for a promotion
}

// NewHalving returns successive halving over inner's configurations with
// the rungs of s.
func NewHalving(inner Searcher, s *Sampling, metric string) *Halving {
	return &Halving{Inner: inner, Rungs: s.Rungs, Eta: max(2, s.Eta), Metric: metric, told: map[int]Trial{}, promoted: map[int]bool{}}
}

// Lag implements Lagged.
func (h *Halving) Lag() int { return halvingLag }

// Tell implements Searcher. A trial told before it was proposed (a resumed
// search tells the trials of the earlier run first) is passed on to the
// inner searcher once its proposal is recomputed. Trials on rows that are
// no rung's (the refit) and ensembles are not the halving's.
func (h *Halving) Tell(t Trial) {
	if t.Ensemble != nil || !slices.Contains(h.Rungs, t.Rows) {
		return
	}
	h.told[t.ID] = t
	if t.ID < len(h.proposed) {
		h.forward(t.ID)
	}
}

// forward tells the inner searcher about trial id when it was a new
// configuration, under its inner ID.
func (h *Halving) forward(id int) {
	t, ok := h.told[id]
	if p := h.proposed[id]; ok && p.inner >= 0 {
		t.ID = p.inner
		h.Inner.Tell(t)
	}
}

// Ask implements Searcher.
func (h *Halving) Ask(id int) (TrialSpec, bool) {
	for len(h.proposed) <= id {
		next := len(h.proposed)
		p, ok := h.propose(next)
		if !ok {
			return TrialSpec{}, false
		}
		h.proposed = append(h.proposed, p)
		h.forward(next)
	}
	return h.proposed[id].spec, true
}

func (h *Halving) propose(id int) (halvingTrial, bool) {
	for rung := len(h.Rungs) - 2; rung >= 0; rung-- {
		if from, ok := h.promotable(id, rung); ok {
			h.promoted[from] = true
			spec := h.proposed[from].spec
			spec.ID, spec.Rows = id, h.Rungs[rung+1]
			return halvingTrial{spec: spec, rung: rung + 1, inner: -1}, true
		}
	}
	spec, ok := h.Inner.Ask(h.inner)
	if !ok {
		return halvingTrial{}, false
	}
	spec.ID, spec.Rows = id, h.Rungs[0]
	h.inner++
	return halvingTrial{spec: spec, rung: 0, inner: h.inner - 1}, true
}

// promotable is the best trial of rung, among those before id-Lag(), that
// ranks in the top 1/Eta of them and has not been promoted.
func (h *Halving) promotable(id, rung int) (int, bool) {
	var done []int
	for i := 0; i < id-h.Lag() && i < len(h.proposed); i++ {
		t, ok := h.told[i]
		if ok && h.proposed[i].rung == rung && t.Status == "ok" && !math.IsNaN(t.Score(h.Metric)) {
			done = append(done, i)
		}
	}
	slices.SortStableFunc(done, func(a, b int) int {
		sa, sb := h.told[a].Score(h.Metric), h.told[b].Score(h.Metric)
		switch {
		case better(h.Metric, sa, sb):
			return -1
		case better(h.Metric, sb, sa):
			return 1
		}
		return a - b
	})
	for _, i := range done[:len(done)/h.Eta] {
		if !h.promoted[i] && !h.tooCostly(h.proposed[i].spec, rung+1, h.MaxCost) {
			return i, true
		}
	}
	return 0, false
}

// promotionShare: a promotion may cost at most the time budget over it
// (10 s of one core in a 60 s search).
const promotionShare = 6

// TooCostlyToStart reports whether spec, a new configuration, would cost
// more on the first rung than half of what a promotion may (never when
// MaxCost is not set). The adaptive search passes such configurations
// over: on a 60 s budget a 300-tree forest on the first rung alone took a
// sixth of the search.
func (h *Halving) TooCostlyToStart(spec TrialSpec) bool {
	return h.tooCostly(spec, 0, h.MaxCost/2)
}

// tooCostly reports whether spec on rung's rows costs more than limit
// (never when MaxCost is not set).
func (h *Halving) tooCostly(spec TrialSpec, rung int, limit float64) bool {
	if h.MaxCost <= 0 {
		return false
	}
	shape := h.Shape
	shape.Rows = h.Rungs[rung]
	return models.EstimateCost(spec.Model, shape) > limit
}

// sampleRefitStep, in a search on samples, fits the best configuration again on
// every training row as one more trial (the next unused ID), scored on
// every test row (on every core of a Local executor), within what is left of the budget (the search kept
// refitReserve of it). It is committed as any trial, so it ranks with the
// rest on the same validation rows. Nothing is done when the best trial
// already saw every row; a refit the budget cuts is logged and dropped.
func (s *search) sampleRefitStep(parent context.Context) {
	if s.data == nil {
		return
	}
	sm := s.data.Sampling
	if sm == nil || s.best == nil || s.best.Rows == 0 || s.best.Rows >= sm.TrainRows || s.err != nil {
		return
	}
	ctx := parent
	if s.cfg.Timeout > 0 {
		// The refit may run into the finishing step's share (explanations,
		// notebooks): the model fitted on every row is what a person
		// deploys, and a refit cut at its own reserve left the best fitted
		// on 10,000 of 600,000 rows (test AUC 0.78 against 0.81). The
		// finishing step gets what is left of its share.
		// (A search on samples has no ensemble step to leave time for.)
		end := s.start.Add(s.cfg.Timeout - ClosingMargin(s.cfg.Timeout))
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(parent, end.Add(s.cfg.Grace), ErrBudget)
		defer cancel()
	}
	workers := 1
	l, local := s.exec.(*Local)
	if local {
		workers = l.slots
	}
	from := s.best
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		from = s.refitChoice(sm.TrainRows, workers, left)
		if from.ID != s.best.ID {
			s.log.Warn(fmt.Sprintf("the refit of the best trial %d on all %d training rows would take about %.0f s, more than the %.0f s left: trial %d is refit instead (the best whose refit fits; the leaderboard keeps whichever scores higher)",
				s.best.ID, sm.TrainRows, refitEstimate(*s.best, sm.TrainRows, workers).Seconds(), left.Seconds(), from.ID))
		}
	}
	spec := from.TrialSpec
	spec.ID, spec.Rows = s.next, sm.TrainRows
	s.next++
	s.log.Info("refit of the best configuration on every training row", "trial", spec.ID, "from", from.ID, "rows", spec.Rows)
	started := time.Now()
	var out Outcome
	var err error
	if local {
		// Nothing else runs now: the refit may use every slot's core.
		out, err = l.run(ctx, spec, workers)
	} else {
		out, err = runContained(ctx, s.exec, spec)
	}
	if err != nil {
		s.log.Warn(fmt.Sprintf("the refit of trial %d on all %d training rows did not finish within the budget; the best stays fitted on %d rows", from.ID, sm.TrainRows, s.best.Rows), "cause", err)
		return
	}
	at := time.Now()
	t := &out.Trial
	if t.Timing.Started.IsZero() {
		t.Timing.Started = started.UTC()
		t.Timing.WallSeconds = at.Sub(started).Seconds()
	}
	t.Timing.OffsetSeconds = at.Sub(s.start).Seconds()
	s.commit(finished{id: spec.ID, out: out, at: at, final: true})
}

// refitChoice is the trial whose configuration a sampled search refits on
// rows training rows within left: the best trial, unless its refit is
// estimated to take longer (refitEstimate), then the best-scoring trial on
// a sample whose refit fits; the best when none does. On 1,000,000 rows
// the best of a 60 s search was a 600-round boosted model whose refit on
// 600,000 rows needs about a minute: cut by the budget, it left the best
// fitted on 31,578 rows (test AUC 0.805), where the next configuration's
// refit took 12 s and scored 0.811.
func (s *search) refitChoice(rows, workers int, left time.Duration) *Trial {
	metric := s.cfg.Metric
	var cands []Trial
	for _, t := range s.res.Trials {
		if t.Status == "ok" && t.Rows > 0 && t.Rows < rows && t.Ensemble == nil && !math.IsNaN(t.Score(metric)) {
			cands = append(cands, t)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return better(metric, cands[i].Score(metric), cands[j].Score(metric)) })
	for i := range cands {
		if refitEstimate(cands[i], rows, workers) <= left {
			return &cands[i]
		}
	}
	return s.best
}

// refitEstimate guesses how long trial t's configuration takes on rows
// training rows with workers cores, from its own timing on its sample:
// the fit grows with the rows (linearly: boosting and forests grow a
// little slower, but boosting also keeps more rounds on more rows) and is
// shared by the cores at about their square root; scoring and the rest
// grow with the square root of the rows (the validation and test rows
// scored are fixed samples, but the refit scores every test row), plus a
// second; and a third more for safety.
func refitEstimate(t Trial, rows, workers int) time.Duration {
	ratio := float64(rows) / float64(max(1, t.Rows))
	fit := t.Timing.FitSeconds * ratio / math.Sqrt(float64(max(1, workers)))
	rest := max(0, t.Timing.WallSeconds-t.Timing.FitSeconds)*math.Sqrt(ratio) + 1
	return time.Duration(1.3 * (fit + rest) * float64(time.Second))
}
