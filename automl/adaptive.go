package automl

import (
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
// configurations (the defaults of the libraries users compare with), then
// spends the rest on the families that lead: each trial draws a family with
// a weight that falls with the family's rank by best validation score, and
// either samples the family's space at random or, once the family has a few
// results, steps from its best point (a Gaussian step in the space scaled
// to [0, 1], whose size halves after every 2·dims steps without
// improvement, and restarts at random when it is tiny, in the spirit of
// FLAML's CFO local search). It learns only from trials older than its
// lag, so the trials it proposes are reproducible.
type AdaptiveSearch struct {
	Seed     uint64
	Families []models.Family
	Base     preprocess.Spec
	Metric   string
	spaces   map[models.Family]space
	fixed    []point // starting points, then portfolio points

	told     map[int]Trial
	proposed []TrialSpec
	points   []point
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
	s := &AdaptiveSearch{Seed: seed, Families: families, Base: base, Metric: metric,
		spaces: map[models.Family]space{}, told: map[int]Trial{}, seen: map[string]bool{}}
	for _, f := range families {
		sp := spaceOf(f, shape)
		s.spaces[f] = sp
		for _, v := range sp.start {
			s.fixed = append(s.fixed, point{f: f, v: sp.withFirstChoices(v)})
		}
	}
	for _, f := range families {
		d, _ := models.Lookup(f)
		for _, v := range d.Space(shape).Portfolio {
			s.fixed = append(s.fixed, point{f: f, v: s.spaces[f].withFirstChoices(v)})
		}
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
		for draw := range maxRedraws {
			pt = s.propose(next, draw)
			p, m := s.spaces[pt.f].point(pt.v, s.Base)
			spec = TrialSpec{ID: next, Seed: TrialSeed(s.Seed, next), Prep: p, Model: m}
			key, _ := json.Marshal(struct {
				P preprocess.Spec
				M models.Spec
			}{spec.Prep, spec.Model})
			if !s.seen[string(key)] || draw == maxRedraws-1 {
				s.seen[string(key)] = true
				break
			}
		}
		s.proposed = append(s.proposed, spec)
		s.points = append(s.points, pt)
	}
	return s.proposed[id], true
}

// familyState is what the search knows of one family when it proposes.
type familyState struct {
	best      float64 // best score, higher is better; -Inf when none
	bestID    int
	ok        int // finished successfully
	sinceBest int // local steps since the best (or since the first result)
}

func (s *AdaptiveSearch) propose(id, draw int) point {
	if id < len(s.fixed) {
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
		st[f] = &familyState{best: math.Inf(-1), bestID: -1}
	}
	for id := 0; id < upto && id < len(s.points); id++ {
		t, ok := s.told[id]
		fs := st[s.points[id].f]
		if !ok || fs == nil {
			continue
		}
		v := t.Score(s.Metric)
		if t.Status != "ok" || math.IsNaN(v) {
			continue
		}
		if !higherIsBetter(s.Metric) {
			v = -v
		}
		fs.ok++
		if v > fs.best {
			fs.best, fs.bestID, fs.sinceBest = v, id, 0
		} else if s.points[id].local {
			fs.sinceBest++
		}
	}
	return st
}

// rankWeights are the draw weights of the families by rank of their best
// score; untried families weigh as the third.
var rankWeights = []float64{4, 2.5, 1.5, 1, 0.6, 0.4, 0.3}

func (s *AdaptiveSearch) pickFamily(r *rand.Rand, st map[models.Family]*familyState) models.Family {
	order := slices.Clone(s.Families)
	slices.SortStableFunc(order, func(a, b models.Family) int {
		switch {
		case st[a].best > st[b].best:
			return -1
		case st[a].best < st[b].best:
			return 1
		}
		return 0
	})
	w := make([]float64, len(order))
	total := 0.0
	for i, f := range order {
		switch {
		case st[f].ok == 0:
			w[i] = rankWeights[min(2, len(rankWeights)-1)]
		default:
			w[i] = rankWeights[min(i, len(rankWeights)-1)]
		}
		total += w[i]
	}
	x := r.Float64() * total
	for i, f := range order {
		if x < w[i] {
			return f
		}
		x -= w[i]
	}
	return order[len(order)-1]
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
