package gbdt

import (
	"testing"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/tree"
)

// TestRefit checks the hook that replaced automl's GBDT special case: the
// refit after cross-validation uses the folds' mean best round, rounded
// half up, without early stopping, and leaves the trial's params alone.
func TestRefit(t *testing.T) {
	d, ok := models.Lookup(Name)
	if !ok || d.Refit == nil {
		t.Fatal("gbdt is not registered with a Refit hook")
	}
	p := models.DefaultSpec(Name).Params.(*tree.GBDTParams)
	p.EarlyStoppingRounds = 20
	for _, c := range []struct {
		best []int
		want int
	}{{[]int{10, 11}, 11}, {[]int{10, 10, 11}, 10}, {[]int{37}, 37}, {[]int{0, 1}, 1}} {
		got, kept := d.Refit(p, c.best)
		g := got.(*tree.GBDTParams)
		if g.Rounds != c.want || kept != c.want || g.EarlyStoppingRounds != 0 {
			t.Errorf("Refit(%v) = %d rounds (kept %d), early stopping %d; want %d, off", c.best, g.Rounds, kept, g.EarlyStoppingRounds, c.want)
		}
	}
	if p.Rounds != 100 || p.EarlyStoppingRounds != 20 {
		t.Errorf("Refit changed the params it was given: %+v", *p)
	}
	if got, kept := d.Refit(p, nil); got != p || kept != 0 {
		t.Errorf("Refit with no best rounds: %v, %d", got, kept)
	}
}

// TestBestIteration checks that a fitted GBDT reports the rounds it kept
// through models.BestIterationer, as the search asks.
func TestBestIteration(t *testing.T) {
	c, err := models.DefaultSpec(Name).New(models.Setup{Classes: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, ok := c.(models.BestIterationer)
	if !ok {
		t.Fatalf("%T is not a models.BestIterationer", c)
	}
	if _, ok := c.(models.ValidationSetter); !ok {
		t.Errorf("%T is not a models.ValidationSetter", c)
	}
	if b.BestIteration() != 0 {
		t.Errorf("BestIteration before Fit = %d", b.BestIteration())
	}
}
