package automl

import (
	"encoding/json"
	"math/rand/v2"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/preprocess"
)

// TrialSpec is one trial as a plain value: everything needed to run it again.
type TrialSpec struct {
	ID    int             `json:"id"`
	Seed  uint64          `json:"seed"`
	Prep  preprocess.Spec `json:"prep,omitzero"`
	Model models.Spec     `json:"model"`
	// Rows, in a search on samples (Data.Sampling), is how many training
	// rows the model is fitted on: a rung's sample, or all of them for the
	// refit of the best configuration. 0 (a search on every row): all.
	Rows int `json:"rows,omitempty"`
	// Ensemble, set on an ensemble trial (Model.Family EnsembleFamily),
	// names its members; such a trial has no preprocessing of its own.
	Ensemble *EnsembleSpec `json:"ensemble,omitempty"`
}

// Searcher proposes trials and learns from their results (ask / tell).
type Searcher interface {
	// Ask proposes the trial with the given ID; false when it has nothing left.
	Ask(id int) (TrialSpec, bool)
	// Tell reports a finished trial. Trials are told in ID order.
	Tell(t Trial)
}

// RandomSearch tries each family's starting points first, cheapest family
// first, then samples the families' spaces in turn. Trial id's spec depends
// only on the experiment seed and id, so a resumed or re-run search proposes
// the same trials whatever the timing.
type RandomSearch struct {
	Seed     uint64
	Families []models.Family
	Base     preprocess.Spec         // columns and category cap decided by the guardrails
	spaces   map[models.Family]space // the families' spaces for the data's shape
	starts   []struct {
		f models.Family
		v models.Values
	}
	// proposed holds the specs of IDs 0..len-1; seen their model and
	// preprocessing, to skip a sample drawn before.
	proposed []TrialSpec
	seen     map[string]bool
}

// NewRandomSearch returns a searcher over the given families, whose spaces
// are those their descriptors give for data of the given shape.
func NewRandomSearch(seed uint64, families []models.Family, base preprocess.Spec, shape models.Shape) *RandomSearch {
	s := &RandomSearch{Seed: seed, Families: families, Base: base, spaces: map[models.Family]space{}}
	for _, f := range families {
		sp := spaceOf(f, shape)
		s.spaces[f] = sp
		for _, v := range sp.start {
			s.starts = append(s.starts, struct {
				f models.Family
				v models.Values
			}{f, v})
		}
	}
	return s
}

// TrialSeed is the seed of trial id in an experiment seeded with seed.
func TrialSeed(seed uint64, id int) uint64 {
	return rand.New(rand.NewPCG(seed, uint64(id))).Uint64()
}

// maxRedraws bounds the draws spent looking for a point not tried before.
const maxRedraws = 20

// Ask implements Searcher. A sample equal to an earlier trial's is drawn
// again (up to maxRedraws times), so small spaces are not tried twice; the
// earlier trials' specs are recomputed when needed, so the answer for id
// does not depend on which IDs were asked before.
func (s *RandomSearch) Ask(id int) (TrialSpec, bool) {
	if len(s.Families) == 0 {
		return TrialSpec{}, false
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	for len(s.proposed) <= id {
		next := len(s.proposed)
		var spec TrialSpec
		for draw := range maxRedraws {
			spec = s.propose(next, draw)
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
	}
	return s.proposed[id], true
}

func (s *RandomSearch) propose(id, draw int) TrialSpec {
	var f models.Family
	var v models.Values
	if id < len(s.starts) {
		// Starting points leave the preprocessing choices at their first option.
		f = s.starts[id].f
		v = s.spaces[f].withFirstChoices(s.starts[id].v)
	} else {
		f = s.Families[(id-len(s.starts))%len(s.Families)]
		r := rand.New(rand.NewPCG(s.Seed^0x5eed5eed, uint64(id)<<8|uint64(draw)))
		v = models.Sample(r, s.spaces[f].dims)
	}
	p, m := s.spaces[f].point(v, s.Base)
	return TrialSpec{ID: id, Seed: TrialSeed(s.Seed, id), Prep: p, Model: m}
}

// Tell implements Searcher; random search learns nothing.
func (s *RandomSearch) Tell(Trial) {}

// DefaultTrial is trial 0 of a one-trial experiment with family f: the
// family's default model and the preprocessing its search space starts from.
func DefaultTrial(p *Prepared, f models.Family) TrialSpec {
	sp := spaceOf(f, p.Shape())
	v := models.Vals(nil, nil)
	if len(sp.start) > 0 {
		v = sp.start[0]
	}
	prep, _ := sp.point(sp.withFirstChoices(v), p.Base)
	seed := p.Experiment.Config.Seed
	return TrialSpec{ID: 0, Seed: TrialSeed(seed, 0), Prep: prep, Model: models.DefaultSpec(f)}
}

// fixed proposes given trials, in order.
type fixed struct{ specs []TrialSpec }

// Fixed returns a searcher that proposes exactly the given trials (their IDs
// are set to their position).
func Fixed(specs ...TrialSpec) Searcher {
	f := &fixed{}
	for i, s := range specs {
		s.ID = i
		f.specs = append(f.specs, s)
	}
	return f
}

func (f *fixed) Ask(id int) (TrialSpec, bool) {
	if id >= len(f.specs) {
		return TrialSpec{}, false
	}
	return f.specs[id], true
}

func (f *fixed) Tell(Trial) {}
