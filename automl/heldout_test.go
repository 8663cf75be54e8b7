package automl

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/goautoml/automl/ensemble"
)

// TestSelectOnHeldOut: of the bagged selection and the unbagged pass, the
// one whose blend scores better on the held-out rows is kept; the bagged
// one on a tie and when there are no held-out rows.
func TestSelectOnHeldOut(t *testing.T) {
	// Eight models of similar skill with independent errors, so that
	// blends beat single models and the two selections differ.
	r := rand.New(rand.NewPCG(3, 4))
	const n, models = 400, 8
	y := make([]int, n)
	for i := range y {
		y[i] = r.IntN(2)
	}
	lib := func(rows int) []ensemble.Candidate {
		out := make([]ensemble.Candidate, models)
		for m := range out {
			out[m].ID = m
			skill := 0.5 + 0.15*float64(m%3)
			for i := range rows {
				z := skill + r.NormFloat64()
				p := 1 / (1 + math.Exp(-z))
				if y[i] == 0 {
					p = 1 - p
				}
				out[m].Prob = append(out[m].Prob, 1-p, p)
			}
		}
		return out
	}
	sub, held := lib(n), lib(n)
	score := metricScore("log_loss", y, 2, 1, nil)
	bagged, _ := ensemble.Select(sub, score, ensemble.Options{Bags: 10, Seed: 3})
	one, _ := ensemble.Select(sub, score, ensemble.Options{Bags: 1, Seed: 3})
	if slices.Equal(bagged.Weights, one.Weights) {
		t.Fatalf("the test's library gives the same weights bagged and unbagged: %v", one.Weights)
	}
	// A held-out score that prefers the blend of weights w.
	near := func(w []float64) ensemble.Score {
		target := ensemble.Blend(held, w)
		return func(p []float64) float64 {
			d := 0.0
			for j := range p {
				d -= (p[j] - target[j]) * (p[j] - target[j])
			}
			return d
		}
	}
	for _, c := range []struct {
		name       string
		heldScore  ensemble.Score
		held       []ensemble.Candidate
		wantBagged bool
	}{
		{name: "held-out rows prefer the unbagged pass", heldScore: near(one.Weights), held: held},
		{name: "held-out rows prefer the bagged selection", heldScore: near(bagged.Weights), held: held, wantBagged: true},
		{name: "a tie", heldScore: func([]float64) float64 { return 0 }, held: held, wantBagged: true},
		{name: "no held-out rows", wantBagged: true},
	} {
		got, err := selectOnHeldOut(sub, c.held, score, c.heldScore, 3)
		if err != nil {
			t.Fatal(err)
		}
		want := one
		if c.wantBagged {
			want = bagged
		}
		if !slices.Equal(got.Weights, want.Weights) || got.Score != want.Score {
			t.Errorf("%s: weights %v, want %v", c.name, got.Weights, want.Weights)
		}
	}
}
