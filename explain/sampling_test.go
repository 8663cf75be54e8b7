package explain

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/logistic"
)

// logisticData draws independent features and a label from a known
// logistic model.
func logisticData(n int, seed uint64) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	coef := []float64{1.5, -2, 0.7, 0, 1, -0.5}
	X := mat.NewDense(n, len(coef), nil)
	y := make([]int, n)
	for i := range n {
		z := -0.3
		for j := range coef {
			v := rng.NormFloat64() * float64(j+1) / 3
			if j == 4 {
				v = float64(rng.IntN(2)) // a 0/1 column
			}
			X.Set(i, j, v)
			z += coef[j] * v
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
	}
	return X, y
}

func fitLogistic(t testing.TB, X *mat.Dense, y []int) *logistic.Classifier {
	_, d := X.Dims()
	m := logistic.New(logistic.Params{C: 1, Penalty: "l2", MaxIter: 500, Tol: 1e-8},
		models.Setup{Classes: 2, Categorical: make([]bool, d), Cardinality: make([]int, d), Seed: 1, Workers: 1})
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	return m
}

// logOdds turns a classifier into a predictor of its log-odds.
func logOdds(m models.Classifier) Predictor {
	return func(X *mat.Dense) (*mat.Dense, error) {
		P, err := m.PredictProba(X)
		if err != nil {
			return nil, err
		}
		n, _ := P.Dims()
		out := mat.NewDense(n, 1, nil)
		for i := range n {
			out.Set(i, 0, math.Log(P.At(i, 1)/P.At(i, 0)))
		}
		return out, nil
	}
}

// TestSamplerLinearClosedForm: for the log-odds of a logistic regression
// with independent features, SHAP values are coef_j (x_j - mean_j), the
// mean taken over the background.
func TestSamplerLinearClosedForm(t *testing.T) {
	X, y := logisticData(800, 1)
	m := fitLogistic(t, X, y)
	bg := Background(X, 100, 5)
	if r, _ := bg.Dims(); r != 100 {
		t.Fatalf("background has %d rows, want 100", r)
	}
	mean := make([]float64, 6)
	for j := range mean {
		mean[j] = meanOf(mat.Col(nil, j, bg))
	}
	rows := X.Slice(0, 40, 0, 6).(*mat.Dense)
	for _, groups := range [][][]int{nil, {{0, 3}, {1}, {2, 4, 5}}} {
		s := Sampler{Background: bg, Groups: groups, Permutations: 3, Seed: 9, Workers: 2}
		c, err := s.Explain(context.Background(), logOdds(m), rows)
		if err != nil {
			t.Fatal(err)
		}
		gs := groups
		if gs == nil {
			gs = [][]int{{0}, {1}, {2}, {3}, {4}, {5}}
		}
		coef := m.State.Coef[0]
		for i := range 40 {
			sum := c.Base[0]
			for g, cols := range gs {
				want := 0.0
				for _, j := range cols {
					want += coef[j] * (rows.At(i, j) - mean[j])
				}
				got := c.Phi[0].At(i, g)
				if math.Abs(got-want) > 1e-6 {
					t.Fatalf("groups %v row %d group %d: SHAP %.12g, closed form %.12g", groups, i, g, got, want)
				}
				sum += got
			}
			if math.Abs(sum-c.Raw[0][i]) > 1e-9 {
				t.Fatalf("row %d: base + contributions %.12g, log-odds %.12g", i, sum, c.Raw[0][i])
			}
		}
	}
}

func meanOf(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// exactInterventional computes interventional Shapley values of f at x
// over bg by enumerating every subset (few features only).
func exactInterventional(t *testing.T, f Predictor, x []float64, bg *mat.Dense, out int) []float64 {
	nb, d := bg.Dims()
	v := make([]float64, 1<<d)
	for mask := range 1 << d {
		B := mat.DenseCopyOf(bg)
		for b := range nb {
			for j := range d {
				if mask&(1<<j) != 0 {
					B.Set(b, j, x[j])
				}
			}
		}
		P, err := f(B)
		if err != nil {
			t.Fatal(err)
		}
		v[mask] = meanOf(mat.Col(nil, out, P))
	}
	fact := []float64{1, 1, 2, 6, 24, 120}
	phi := make([]float64, d)
	for mask := range 1 << d {
		size := 0
		for j := range d {
			size += (mask >> j) & 1
		}
		for j := range d {
			if mask&(1<<j) == 0 {
				phi[j] += fact[size] * fact[d-size-1] / fact[d] * (v[mask|1<<j] - v[mask])
			}
		}
	}
	return phi
}

// TestSamplerConverges checks the estimate of a non-additive output (the
// probabilities) against exact interventional Shapley values, and that
// every estimate is additive.
func TestSamplerConverges(t *testing.T) {
	X, y := logisticData(400, 3)
	X = X.Slice(0, 400, 0, 4).(*mat.Dense)
	m := fitLogistic(t, X, y)
	bg := Background(X, 30, 1)
	rows := X.Slice(0, 5, 0, 4).(*mat.Dense)
	s := Sampler{Background: bg, Permutations: 300, Seed: 1}
	c, err := s.Explain(context.Background(), m.PredictProba, rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Phi) != 2 {
		t.Fatalf("%d outputs explained, want one per class", len(c.Phi))
	}
	for i := range 5 {
		want := exactInterventional(t, m.PredictProba, rows.RawRowView(i), bg, 1)
		sum := c.Base[1]
		for j := range 4 {
			got := c.Phi[1].At(i, j)
			if math.Abs(got-want[j]) > 2e-3 {
				t.Errorf("row %d feature %d: estimate %.6f, exact %.6f", i, j, got, want[j])
			}
			sum += got
			if d := c.Phi[0].At(i, j) + got; math.Abs(d) > 1e-12 {
				t.Errorf("row %d feature %d: class contributions do not cancel (%g)", i, j, d)
			}
		}
		if math.Abs(sum-c.Raw[1][i]) > 1e-12 {
			t.Errorf("row %d: base + contributions %.15g, probability %.15g", i, sum, c.Raw[1][i])
		}
	}
}

// TestSamplerReproducible: same seed, same values, whatever the workers;
// another seed, other values.
func TestSamplerReproducible(t *testing.T) {
	X, y := logisticData(300, 4)
	m := fitLogistic(t, X, y)
	bg := Background(X, 50, 2)
	rows := X.Slice(0, 12, 0, 6).(*mat.Dense)
	run := func(seed uint64, workers int) *mat.Dense {
		s := Sampler{Background: bg, Permutations: 2, Seed: seed, Workers: workers}
		c, err := s.Explain(context.Background(), m.PredictProba, rows)
		if err != nil {
			t.Fatal(err)
		}
		return c.Phi[1]
	}
	a, b, other := run(7, 1), run(7, 3), run(8, 2)
	if !mat.Equal(a, b) {
		t.Error("the same seed gave different values with 1 and 3 workers")
	}
	if mat.Equal(a, other) {
		t.Error("seeds 7 and 8 gave identical estimates")
	}
	if !mat.Equal(Background(X, 50, 2), bg) || mat.Equal(Background(X, 50, 3), bg) {
		t.Error("background sample is not determined by its seed")
	}
}

func TestSamplerStopsWithContext(t *testing.T) {
	X, y := logisticData(200, 5)
	m := fitLogistic(t, X, y)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	slow := func(X *mat.Dense) (*mat.Dense, error) {
		calls++
		if calls > 3 {
			cancel()
		}
		return m.PredictProba(X)
	}
	s := Sampler{Background: Background(X, 20, 1), Permutations: 1, Workers: 1}
	c, err := s.Explain(ctx, slow, X)
	if err == nil {
		t.Fatal("no error after the context was cancelled")
	}
	if got := len(c.Raw[0]); got == 0 || got >= 200 {
		t.Fatalf("%d rows kept after cancelling, want a partial prefix", got)
	}
	if r, _ := c.Phi[0].Dims(); r != len(c.Raw[0]) {
		t.Fatalf("%d rows of values for %d outputs", r, len(c.Raw[0]))
	}
}

func TestSamplerErrors(t *testing.T) {
	X, _ := logisticData(150, 6)
	p := func(X *mat.Dense) (*mat.Dense, error) { return X, nil }
	for name, s := range map[string]Sampler{
		"no background":   {},
		"too many rows":   {Background: X},
		"bad group":       {Background: Background(X, 10, 1), Groups: [][]int{{0, 9}}},
		"column mismatch": {Background: mat.NewDense(3, 2, nil)},
	} {
		if _, err := s.Explain(context.Background(), p, X); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
