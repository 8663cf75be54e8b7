package automl

import (
	"cmp"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/preprocess"
)

// Lagged is a Searcher whose proposal for trial id depends on the results
// of the trials before id-Lag(): the search tells it every one of those
// before it asks for id. With a fixed lag, what is proposed depends only on
// the seed and the trials' results, never on timing or on how many trials
// an executor runs at once.
type Lagged interface {
	Lag() int
}

// The searchers of Config.Search.
const (
	SearchAdaptive = "adaptive"
	SearchRandom   = "random"
)

// adaptiveLag is how many trials the adaptive search may be ahead of the
// results it learns from.
const adaptiveLag = 8

// AdaptiveSearch is the default searcher. It tries every family's starting
// points (cheap models first), then every family's portfolio of strong
// configurations (the defaults of the libraries users compare with,
// cheapest first by the families' cost estimates), then spends the rest by
// estimated cost for improvement (FLAML's ECI, Wang et al. 2021): each
// trial draws a family with probability inverse to what its next
// improvement is expected to cost, from what its trials cost so far (the
// cost since its best, and between its last two improvements) and, for the
// families behind the leader, from the gap to the leader over the speed at
// which the family has been improving. It then either samples the family's
// space at random or, once the family has a few results, steps from its
// best point (a Gaussian step in the space scaled to [0, 1], whose size
// halves after every 2·dims steps without improvement, and restarts at
// random when it is tiny, in the spirit of FLAML's CFO local search).
//
// Costs are the families' estimates (models.EstimateCost), made from the
// params and the data's shape alone, when the budget is time (Timed), and
// one per trial otherwise; never a clock. It learns only from trials older
// than its lag, so the trials it proposes are reproducible.
type AdaptiveSearch struct {
	Seed     uint64
	Families []models.Family
	Base     preprocess.Spec
	Metric   string
	// Timed makes the scheduling weigh trials by their estimated cost (a
	// search bounded by time); unset, every trial costs one (a search
	// bounded by a number of trials).
	Timed bool
	// Skip, when set, passes over the configurations it reports (too
	// costly for the budget): another point is drawn in their place.
	Skip   func(TrialSpec) bool
	shape  models.Shape
	spaces map[models.Family]space
	fixed  []point // starting points, then portfolio points

	told     map[int]Trial
	proposed []TrialSpec
	points   []point
	costs    []float64 // estimated cost of each proposal
	seen     map[string]bool
}

// point is a family and a point of its space, and how it was proposed.
type point struct {
	f     models.Family
	v     models.Values
	local bool
}

// NewAdaptiveSearch returns the adaptive searcher over the given families.
func NewAdaptiveSearch(seed uint64, families []models.Family, base preprocess.Spec, shape models.Shape, metric string) *AdaptiveSearch {
	s := &AdaptiveSearch{Seed: seed, Families: families, Base: base, Metric: metric, shape: shape,
		spaces: map[models.Family]space{}, told: map[int]Trial{}, seen: map[string]bool{}}
	for _, f := range families {
		sp := spaceOf(f, shape)
		s.spaces[f] = sp
		for _, v := range sp.start {
			s.fixed = append(s.fixed, point{f: f, v: sp.withFirstChoices(v)})
		}
	}
	type costed struct {
		pt   point
		cost float64
	}
	var portfolio []costed
	for _, f := range families {
		d, _ := models.Lookup(f)
		for _, v := range d.Space(shape).Portfolio {
			pt := point{f: f, v: s.spaces[f].withFirstChoices(v)}
			_, m := s.spaces[f].point(pt.v, base)
			portfolio = append(portfolio, costed{pt, models.EstimateCost(m, shape)})
		}
	}
	// Cheapest first: on large data a 300-tree forest's portfolio point is
	// estimated at twenty times a boosted model's starting point, and what
	// runs first is what a short budget sees.
	slices.SortStableFunc(portfolio, func(a, b costed) int { return cmp.Compare(a.cost, b.cost) })
	for _, c := range portfolio {
		s.fixed = append(s.fixed, c.pt)
	}
	return s
}

// Lag implements Lagged.
func (s *AdaptiveSearch) Lag() int { return adaptiveLag }

// Tell implements Searcher.
func (s *AdaptiveSearch) Tell(t Trial) {
	if t.Ensemble == nil {
		s.told[t.ID] = t
	}
}

// Ask implements Searcher. Proposals are made in ID order (earlier ones
// are recomputed when needed), each from the trials before it minus the
// lag, so the answer for id does not depend on which IDs were asked before.
func (s *AdaptiveSearch) Ask(id int) (TrialSpec, bool) {
	if len(s.Families) == 0 {
		return TrialSpec{}, false
	}
	for len(s.proposed) <= id {
		next := len(s.proposed)
		var pt point
		var spec TrialSpec
		skipFixed := false
		for draw := range maxRedraws {
			pt = s.propose(next, draw, skipFixed)
			p, m := s.spaces[pt.f].point(pt.v, s.Base)
			spec = TrialSpec{ID: next, Seed: TrialSeed(s.Seed, next), Prep: p, Model: m}
			if s.Skip != nil && draw < maxRedraws-1 && s.Skip(spec) {
				skipFixed = true
				continue
			}
			key, _ := json.Marshal(struct {
				P preprocess.Spec
				M models.Spec
			}{spec.Prep, spec.Model})
			if !s.seen[string(key)] || draw == maxRedraws-1 {
				s.seen[string(key)] = true
				break
			}
			// a fixed point that repeats an earlier trial (two encodings
			// of data without categories) gives way to a drawn one
			skipFixed = true
		}
		s.proposed = append(s.proposed, spec)
		s.points = append(s.points, pt)
		s.costs = append(s.costs, s.cost(spec))
	}
	return s.proposed[id], true
}

// cost is what trial spec counts for in the scheduling: its estimated
// cost in a timed search, else one.
func (s *AdaptiveSearch) cost(spec TrialSpec) float64 {
	if !s.Timed {
		return 1
	}
	return models.EstimateCost(spec.Model, s.shape)
}

// familyState is what the search knows of one family when it proposes.
type familyState struct {
	best      float64 // best score, higher is better; -Inf when none
	prevBest  float64 // the best before it; -Inf when none
	worst     float64 // worst score; +Inf when none
	bestID    int
	ok        int // finished successfully
	tried     int // told, whatever their status
	sinceBest int // local steps since the best (or since the first result)
	// Cost of the family's told trials so far, and when its best and the
	// best before it were found.
	spent, atBest, atPrevBest float64
}

// propose is the point of trial id's draw: its fixed point if it has one
// (unless skipFixed), else one of the adaptive search's.
func (s *AdaptiveSearch) propose(id, draw int, skipFixed bool) point {
	if id < len(s.fixed) && !skipFixed {
		return s.fixed[id]
	}
	r := rand.New(rand.NewPCG(s.Seed^0xada97, uint64(id)<<8|uint64(draw)))
	st := s.states(id - adaptiveLag)
	f := s.pickFamily(r, st)
	fs := st[f]
	sp := s.spaces[f]
	if fs.ok >= 3 && r.Float64() < 0.75 {
		sigma := 0.2 * math.Pow(0.5, float64(fs.sinceBest)/float64(2*len(sp.dims)))
		if sigma >= 0.02 {
			return point{f: f, v: step(r, sp.dims, s.points[fs.bestID].v, sigma), local: true}
		}
	}
	return point{f: f, v: models.Sample(r, sp.dims)}
}

// states sums up the trials with ID < upto by family.
func (s *AdaptiveSearch) states(upto int) map[models.Family]*familyState {
	st := map[models.Family]*familyState{}
	for _, f := range s.Families {
		st[f] = &familyState{best: math.Inf(-1), prevBest: math.Inf(-1), worst: math.Inf(1), bestID: -1}
	}
	for id := 0; id < upto && id < len(s.points); id++ {
		t, ok := s.told[id]
		fs := st[s.points[id].f]
		if !ok || fs == nil {
			continue
		}
		fs.tried++
		fs.spent += s.costs[id]
		v := t.Score(s.Metric)
		if t.Status != "ok" || math.IsNaN(v) {
			continue
		}
		if !higherIsBetter(s.Metric) {
			v = -v
		}
		fs.ok++
		fs.worst = min(fs.worst, v)
		if v > fs.best {
			fs.prevBest, fs.atPrevBest = fs.best, fs.atBest
			fs.best, fs.bestID, fs.sinceBest, fs.atBest = v, id, 0, fs.spent
		} else if s.points[id].local {
			fs.sinceBest++
		}
	}
	return st
}

// eci is family fs's estimated cost for improvement, given the leader's
// best score and the worst score any family has reached: the larger of
// what its last improvement cost and what it has spent since its best (at
// least its mean trial cost), and, behind the leader, twice the gap over
// the speed of its last improvement (for its first result, the climb from
// the worst score, so a cheap family far behind is not taken for a fast
// one). A family not tried yet is given the cheapest estimate, so it is
// tried; one whose every trial failed, four times what it spent.
func (fs *familyState) eci(leader, worst float64) float64 {
	switch {
	case fs.tried == 0:
		return 0 // replaced by the cheapest
	case fs.ok == 0:
		return 4 * fs.spent
	}
	e := max(fs.atBest-fs.atPrevBest, fs.spent-fs.atBest, fs.spent/float64(fs.tried))
	if gap := leader - fs.best; gap > 0 {
		from := fs.prevBest
		if math.IsInf(from, -1) {
			from = worst
		}
		if speed := (fs.best - from) / max(fs.spent-fs.atPrevBest, 1e-12); speed > 0 {
			e = max(e, 2*gap/speed)
		} else {
			e = max(e, 2*fs.spent) // its only result is the worst: no speed to speak of
		}
	}
	return e
}

// eciFloor is the least draw weight of a family relative to the most
// likely one: no family is starved, so the ensemble step keeps candidates
// of every family and a family whose estimate was wrong gets to show it.
const eciFloor = 0.05

// pickFamily draws a family with probability proportional to the inverse
// of its estimated cost for improvement.
func (s *AdaptiveSearch) pickFamily(r *rand.Rand, st map[models.Family]*familyState) models.Family {
	leader, worst := math.Inf(-1), math.Inf(1)
	for _, f := range s.Families {
		leader = max(leader, st[f].best)
		worst = min(worst, st[f].worst)
	}
	e := make([]float64, len(s.Families))
	cheapest := math.Inf(1)
	for i, f := range s.Families {
		e[i] = st[f].eci(leader, worst)
		if e[i] > 0 {
			cheapest = min(cheapest, e[i])
		}
	}
	if math.IsInf(cheapest, 1) {
		cheapest = 1
	}
	w := make([]float64, len(e))
	most := 0.0
	for i := range e {
		if e[i] <= 0 {
			e[i] = cheapest
		}
		w[i] = 1 / e[i]
		most = max(most, w[i])
	}
	total := 0.0
	for i := range w {
		w[i] = max(w[i], eciFloor*most)
		total += w[i]
	}
	x := r.Float64() * total
	for i, f := range s.Families {
		if x < w[i] {
			return f
		}
		x -= w[i]
	}
	return s.Families[len(s.Families)-1]
}

// step moves v by a Gaussian step of size sigma in the space scaled to
// [0, 1] (log-scaled for log dimensions), clamped to the bounds; a choice
// is redrawn with probability sigma.
func step(r *rand.Rand, dims []models.Dim, v models.Values, sigma float64) models.Values {
	out := v.Clone()
	for _, d := range dims {
		if len(d.Choices) > 0 {
			if r.Float64() < sigma {
				out.Choice[d.Name] = d.Choices[r.IntN(len(d.Choices))]
			}
			continue
		}
		lo, hi, x := d.Lo, d.Hi, v.Num[d.Name]
		if d.Log {
			lo, hi, x = math.Log(lo), math.Log(hi), math.Log(max(x, d.Lo))
		}
		u := (x - lo) / (hi - lo)
		if math.IsNaN(u) || math.IsInf(u, 0) {
			u = 0.5
		}
		u = min(1, max(0, u+sigma*r.NormFloat64()))
		x = lo + u*(hi-lo)
		if d.Log {
			x = math.Exp(x)
		}
		if d.Int {
			x = math.Round(x)
		}
		out.Num[d.Name] = x
	}
	return out
}

func higherIsBetter(metric string) bool { return metrics.HigherIsBetter(metric) }
