package automl

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/logistic"
	"github.com/goautoml/automl/models/randomforest"
	"github.com/goautoml/automl/models/tree"
	"github.com/goautoml/automl/preprocess"
)

// TestECI checks the estimated cost for improvement against the formula
// worked by hand for three families.
func TestECI(t *testing.T) {
	// The leader: improved at cost 2 (from 0.70) and at cost 5 (to 0.80),
	// then spent 4 more without improving.
	lead := familyState{best: 0.80, prevBest: 0.70, worst: 0.70, ok: 4, tried: 4, spent: 9, atBest: 5, atPrevBest: 2}
	// max(5-2, 9-5, 9/4) = 4; no gap.
	if got := lead.eci(0.80, 0.60); got != 4 {
		t.Errorf("leader's eci %v, want 4", got)
	}
	// Behind by 0.05, improving from 0.70 to 0.75 over a cost of 1
	// (spent 1 at its first result, 2 at its best, 2 in all): speed 0.05
	// per unit, 2*gap/speed = 2; max(1, 0, 1) = 1 → 2.
	behind := familyState{best: 0.75, prevBest: 0.70, worst: 0.70, ok: 2, tried: 2, spent: 2, atBest: 2, atPrevBest: 1}
	if got := behind.eci(0.80, 0.60); math.Abs(got-2) > 1e-12 {
		t.Errorf("eci behind the leader %v, want 2", got)
	}
	// One result (0.65) at cost 0.5: its speed is measured from the worst
	// score of the search (0.60): 0.05 / 0.5 = 0.1, 2*0.15/0.1 = 3.
	first := familyState{best: 0.65, prevBest: math.Inf(-1), worst: 0.65, ok: 1, tried: 1, spent: 0.5, atBest: 0.5}
	if got := first.eci(0.80, 0.60); math.Abs(got-3) > 1e-12 {
		t.Errorf("eci of a first result %v, want 3", got)
	}
	// The worst family itself has no speed: twice what it spent.
	worst := familyState{best: 0.60, prevBest: math.Inf(-1), worst: 0.60, ok: 1, tried: 1, spent: 0.5, atBest: 0.5}
	if got := worst.eci(0.80, 0.60); got != 1 {
		t.Errorf("eci of the worst family %v, want 1", got)
	}
	failed := familyState{best: math.Inf(-1), prevBest: math.Inf(-1), worst: math.Inf(1), tried: 2, spent: 3}
	if got := failed.eci(0.80, 0.60); got != 12 {
		t.Errorf("eci of a family whose trials failed %v, want 12", got)
	}
}

// TestPickFamilyByECI draws families many times and expects frequencies
// proportional to the inverse of their eci, with the floor.
func TestPickFamilyByECI(t *testing.T) {
	fams := []models.Family{"a", "b", "c", "d"}
	s := &AdaptiveSearch{Families: fams}
	st := map[models.Family]*familyState{
		"a": {best: 0.80, prevBest: 0.70, worst: 0.70, ok: 4, tried: 4, spent: 9, atBest: 5, atPrevBest: 2}, // eci 4
		"b": {best: 0.75, prevBest: 0.70, worst: 0.70, ok: 2, tried: 2, spent: 2, atBest: 2, atPrevBest: 1}, // eci 2
		"c": {best: 0.60, prevBest: math.Inf(-1), worst: 0.60, ok: 1, tried: 1, spent: 50, atBest: 50},      // eci 100: floored
		"d": {best: math.Inf(-1), prevBest: math.Inf(-1), worst: math.Inf(1)},                               // untried: the cheapest, 2
	}
	// Weights 1/4, 1/2, max(1/100, 0.05/2), 1/2.
	want := []float64{0.25, 0.5, 0.025, 0.5}
	total := 0.0
	for _, w := range want {
		total += w
	}
	r := rand.New(rand.NewPCG(1, 2))
	n := 200000
	count := map[models.Family]int{}
	for range n {
		count[s.pickFamily(r, st)]++
	}
	for i, f := range fams {
		got, exp := float64(count[f])/float64(n), want[i]/total
		if math.Abs(got-exp) > 0.01 {
			t.Errorf("family %s drawn %.4f of the time, want %.4f", f, got, exp)
		}
	}
}

// TestSkipCostly: an adaptive search told to pass over costly points
// proposes none, replaces the costly portfolio points, and proposes the
// same trials twice.
func TestSkipCostly(t *testing.T) {
	fams := []models.Family{logistic.Name, gbdt.Name, randomforest.Name}
	shape := models.Shape{Rows: 100000, Features: 20, Classes: 2}
	base := preprocess.Spec{NumericImpute: "mean"}
	costly := func(spec TrialSpec) bool {
		p, ok := models.ParamsOf[*tree.ForestParams](spec.Model)
		return ok && p.Trees >= 100
	}
	var runs [2][]TrialSpec
	for i := range runs {
		s := NewAdaptiveSearch(9, fams, base, shape, "roc_auc")
		s.Timed, s.Skip = true, costly
		for id := range 40 {
			if id >= adaptiveLag {
				s.Tell(Trial{TrialSpec: s.proposed[id-adaptiveLag], Status: "ok", Val: map[string]float64{"roc_auc": 0.6 + float64(id%7)/50}})
			}
			spec, ok := s.Ask(id)
			if !ok {
				t.Fatal("no proposal")
			}
			if costly(spec) {
				t.Fatalf("trial %d: %+v proposed though the search passes it over", id, spec.Model.Params)
			}
			runs[i] = append(runs[i], spec)
		}
	}
	plain := NewAdaptiveSearch(9, fams, base, shape, "roc_auc")
	forests := 0
	for _, pt := range plain.fixed {
		if pt.f == randomforest.Name {
			forests++
		}
	}
	if forests < 2 {
		t.Fatalf("%d forest points among the fixed ones, want its start and portfolio", forests)
	}
	for id := range runs[0] {
		a, _ := json.Marshal(runs[0][id])
		b, _ := json.Marshal(runs[1][id])
		if string(a) != string(b) {
			t.Fatalf("trial %d differs between two searches:\n%s\n%s", id, a, b)
		}
	}
}

// TestPortfolioCheapestFirst: the portfolio points follow the starting
// points in increasing estimated cost.
func TestPortfolioCheapestFirst(t *testing.T) {
	shape := models.Shape{Rows: 10000, Features: 20, Classes: 2}
	s := NewAdaptiveSearch(1, []models.Family{randomforest.Name, gbdt.Name, logistic.Name}, preprocess.Spec{}, shape, "roc_auc")
	prev := -1.0
	for i, pt := range s.fixed[3:] { // after the three starting points
		_, m := s.spaces[pt.f].point(pt.v, s.Base)
		c := models.EstimateCost(m, shape)
		if c < prev {
			t.Fatalf("portfolio point %d (%s) costs %.3f, after one of %.3f", i, pt.f, c, prev)
		}
		prev = c
	}
}

// TestPromotionCostCap: halving leaves a configuration on its rung when
// its promotion would cost more than MaxCost, and promotes the next.
func TestPromotionCostCap(t *testing.T) {
	forest := TrialSpec{Model: models.Spec{Family: randomforest.Name, Params: &tree.ForestParams{Trees: 300, MinSamplesLeaf: 1, MaxBins: 255, Bootstrap: true}}}
	cheap := TrialSpec{Model: models.Spec{Family: logistic.Name, Params: &logistic.Params{C: 1, Penalty: "l2"}}}
	shape := models.Shape{Rows: 1000000, Features: 20, Classes: 2}
	h := &Halving{Rungs: []int{10000, 30000}, Eta: 2, Metric: "roc_auc", Shape: shape, told: map[int]Trial{}, promoted: map[int]bool{}}
	// Six first-rung trials: the forest scores best, the logistic second.
	for i := range 6 {
		spec := cheap
		if i == 0 {
			spec = forest
		}
		spec.ID, spec.Rows = i, 10000
		h.proposed = append(h.proposed, halvingTrial{spec: spec, inner: i})
		h.told[i] = Trial{TrialSpec: spec, Status: "ok", Val: map[string]float64{"roc_auc": 0.9 - float64(i)/100}}
	}
	on := func(rows int) models.Shape { s := shape; s.Rows = rows; return s }
	fc, lc := models.EstimateCost(forest.Model, on(30000)), models.EstimateCost(cheap.Model, on(30000))
	if !(fc > 2*lc) {
		t.Fatalf("forest estimated at %.2f, logistic at %.2f: the test needs a costly forest", fc, lc)
	}
	id := 6 + h.Lag()
	if from, ok := h.promotable(id, 0); !ok || from != 0 {
		t.Fatalf("without a cap: promotable %d %v, want the forest (trial 0)", from, ok)
	}
	h.MaxCost = (fc + lc) / 2
	if from, ok := h.promotable(id, 0); !ok || from != 1 {
		t.Fatalf("with a cap of %.2f: promotable %d %v, want the logistic model (trial 1)", h.MaxCost, from, ok)
	}
	if h.TooCostlyToStart(forest) != (models.EstimateCost(forest.Model, on(10000)) > h.MaxCost/2) {
		t.Error("TooCostlyToStart disagrees with the estimate on the first rung")
	}
}

// TestNoEncodingWithoutCategories: on data without categorical columns the
// categorical encoding changes nothing, so every trial carries the first
// encoding and no two trials differ only there (the portfolio's one-hot and
// native-category variants of a forest or a boosted model are one trial).
func TestNoEncodingWithoutCategories(t *testing.T) {
	numeric := preprocess.Spec{Columns: []preprocess.Input{{Name: "a", Kind: dataset.Numeric}, {Name: "b", Kind: dataset.Numeric}}}
	mixed := preprocess.Spec{Columns: append(append([]preprocess.Input(nil), numeric.Columns...), preprocess.Input{Name: "c", Kind: dataset.Categorical})}
	shape := models.Shape{Rows: 5000, Features: 3, Classes: 2}
	fams := []models.Family{randomforest.Name, gbdt.Name}
	keys := func(base preprocess.Spec) (map[string]int, map[string]int) {
		s := NewAdaptiveSearch(1, fams, base, shape, "roc_auc")
		seen, enc := map[string]int{}, map[string]int{}
		for id := range 40 {
			spec, _ := s.Ask(id)
			k, _ := json.Marshal(struct {
				P preprocess.Spec
				M models.Spec
			}{spec.Prep, spec.Model})
			seen[string(k)]++
			enc[spec.Prep.Encoding]++
		}
		return seen, enc
	}
	seen, enc := keys(numeric)
	for k, n := range seen {
		if n > 1 {
			t.Errorf("numeric data: trial proposed %d times: %s", n, k)
		}
	}
	if len(enc) != 1 || enc["onehot"] != 40 {
		t.Errorf("numeric data: encodings %v, want onehot only", enc)
	}
	// With a categorical column both encodings are searched.
	if _, enc := keys(mixed); enc["ordinal"] == 0 || enc["onehot"] == 0 {
		t.Errorf("data with a category: encodings %v, want both", enc)
	}
}

// TestEnsembleNeed: the time the search leaves the ensemble step grows
// with the bundles of the best trials, and only theirs: a large bundle of
// a poor trial does not count.
func TestEnsembleNeed(t *testing.T) {
	trial := func(id int, auc float64) Trial {
		return Trial{TrialSpec: TrialSpec{ID: id}, Status: "ok", Val: map[string]float64{"roc_auc": auc}}
	}
	trials := []Trial{trial(0, 0.80), trial(1, 0.90), trial(2, 0.85), trial(3, 0.70), trial(4, 0.88)}
	s := &search{cfg: Config{Metric: "roc_auc"}, res: &Result{Trials: trials}}
	base := s.ensembleNeed()
	fixed := 0.2
	if want := time.Duration(1.25 * fixed * float64(time.Second)); base != want {
		t.Fatalf("no bundles: need %v, want the fixed %v", base, want)
	}
	const mb = 1 << 20
	s.bundleBytes = map[int]int64{0: 5 * mb, 1: 10 * mb, 2: 10 * mb, 3: 500 * mb, 4: 10 * mb}
	got := s.ensembleNeed()
	// the three best (1, 4, 2): 30 MB
	var bytes float64 = 30 * mb
	want := time.Duration(1.25 * (bytes*loadSecondsPerByte + 0.2) * float64(time.Second))
	if got != want {
		t.Errorf("need %v, want %v (the three best trials' 30 MB)", got, want)
	}
	s.bundleBytes[1] = 40 * mb
	if more := s.ensembleNeed(); more <= got {
		t.Errorf("a larger bundle of the best trial: need %v, not more than %v", more, got)
	}
}

// TestTooLongForTheTimeLeft: a timed search does not start a trial whose
// estimate, scaled by its family's pace in this run, exceeds the time left;
// an untimed one and a restored trial are never held back.
func TestTooLongForTheTimeLeft(t *testing.T) {
	shape := models.Shape{Rows: 10000, Features: 20, Classes: 2}
	gb := func(id, rounds int) TrialSpec {
		return TrialSpec{ID: id, Model: models.Spec{Family: gbdt.Name, Params: &tree.GBDTParams{Rounds: rounds,
			LearningRate: 0.1, NumLeaves: 31, MinDataInLeaf: 20, FeatureFraction: 1, BaggingFraction: 1, MaxBins: 255}}}
	}
	s := &search{shape: shape, done: map[int]bool{}, pace: map[models.Family]*[2]float64{}}
	small, big := gb(1, 10), gb(2, 20000)
	est := s.trialSeconds(big)
	if est < 10 || s.trialSeconds(small) > 1 {
		t.Fatalf("estimates %.2f s and %.2f s: the test wants a trial of over 10 s and one under 1 s",
			est, s.trialSeconds(small))
	}
	if s.tooLong(big) {
		t.Error("an untimed search held a trial back")
	}
	s.until = time.Now().Add(5 * time.Second)
	if !s.tooLong(big) {
		t.Errorf("a %.1f s trial started with 5 s left", est)
	}
	if s.tooLong(small) {
		t.Error("a trial well within the time left was held back")
	}
	s.done[2] = true
	if s.tooLong(big) {
		t.Error("a trial an earlier run finished was held back (its proposal must not change)")
	}
	// This run's gbdt trials took 4x their estimate, its logistic ones a
	// tenth.
	s.pace[gbdt.Name] = &[2]float64{4, 1}
	s.pace[logistic.Name] = &[2]float64{1, 10}
	if got, want := s.expectedSeconds(small), 4*s.trialSeconds(small); got != want {
		t.Errorf("expected %.3f s, want %.3f s (4x: the family's pace)", got, want)
	}
	s.pace[gbdt.Name] = &[2]float64{40, 1}
	if got, want := s.expectedSeconds(small), 4*s.trialSeconds(small); got != want {
		t.Errorf("expected %.3f s, want %.3f s (the pace is capped at 4x)", got, want)
	}
	delete(s.pace, gbdt.Name)
	s.pace[logistic.Name] = &[2]float64{1, 4}
	s.pace[randomforest.Name] = &[2]float64{5, 4}
	if got, want := s.expectedSeconds(small), 0.75*s.trialSeconds(small); math.Abs(got-want) > 1e-12 {
		t.Errorf("expected %.3f s, want %.3f s (the pace of every family while gbdt has none)", got, want)
	}
}

// TestWithinBytes: the ensemble's members whose bundles take it over the
// bytes the step can still load go, largest first, and the weights of the
// rest are renormalised.
func TestWithinBytes(t *testing.T) {
	w := []float64{0.4, 0.3, 0, 0.2, 0.1}
	size := []int64{10, 100, 1000, 5, 40}
	for _, c := range []struct {
		limit int64
		want  []float64
	}{
		{155, w}, // all fit (the unused 1,000 bytes do not count)
		{154, []float64{0.4 / 0.7, 0, 0, 0.2 / 0.7, 0.1 / 0.7}}, // the 100-byte member goes
		{55, []float64{0.4 / 0.7, 0, 0, 0.2 / 0.7, 0.1 / 0.7}},
		{54, []float64{0.4 / 0.6, 0, 0, 0.2 / 0.6, 0}}, // and then the 40-byte one
		{5, []float64{0, 0, 0, 1, 0}},
		{0, []float64{0, 0, 0, 0, 0}},
	} {
		got := withinBytes(w, size, c.limit)
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-15 {
				t.Errorf("limit %d: weights %v, want %v", c.limit, got, c.want)
				break
			}
		}
	}
	if w[1] != 0.3 {
		t.Error("withinBytes changed its input")
	}
}
