package models

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// synthetic returns n rows of d standard-normal features and labels drawn
// from a softmax of a random linear model.
func synthetic(seed uint64, n, d, classes int) (*mat.Dense, []int) {
	r := rand.New(rand.NewPCG(seed, 7))
	W := make([]float64, classes*d)
	for i := range W {
		W[i] = r.NormFloat64()
	}
	X := mat.NewDense(n, d, nil)
	y := make([]int, n)
	z := make([]float64, classes)
	for i := 0; i < n; i++ {
		row := X.RawRowView(i)
		for j := range row {
			row[j] = r.NormFloat64()
		}
		for k := range z {
			z[k] = 0
			for j, v := range row {
				z[k] += W[k*d+j] * v
			}
		}
		softmaxInto(z, z)
		u, c := r.Float64(), 0
		for c < classes-1 && u > z[c] {
			u -= z[c]
			c++
		}
		y[i] = c
	}
	return X, y
}

func germanMixed(t testing.TB) refData {
	return loadRefData(t, loadManifest(t), "german_mixed", 2)
}

func TestSaveLoadBitIdentical(t *testing.T) {
	d := germanMixed(t)
	iris := loadRefData(t, loadManifest(t), "iris", 3)
	specs := []struct {
		name string
		spec Spec
		data refData
	}{
		{"logistic_l2", Spec{Family: Logistic, Logistic: &LogisticParams{C: 0.5, Penalty: "l2"}}, d},
		{"logistic_l1_multi", Spec{Family: Logistic, Logistic: &LogisticParams{C: 0.5, Penalty: "l1"}}, iris},
		{"knn", Spec{Family: KNN, KNN: &KNNParams{K: 7, Weights: "distance", Metric: "euclidean"}}, d},
		{"nb_mixed", Spec{Family: NaiveBayes, NaiveBayes: &NaiveBayesParams{Kind: "categorical", VarSmoothing: 1e-9, Alpha: 1}}, d},
		{"nb_gaussian", DefaultSpec(NaiveBayes), iris},
	}
	for _, tc := range specs {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.spec.New(tc.data.setup)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(context.Background(), tc.data.Xtr, tc.data.ytr, tc.data.w); err != nil {
				t.Fatal(err)
			}
			want, err := m.PredictProba(tc.data.Xte)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := Save(dir, tc.spec, m); err != nil {
				t.Fatal(err)
			}
			back, err := Load(dir, tc.spec, tc.data.setup)
			if err != nil {
				t.Fatal(err)
			}
			got, err := back.PredictProba(tc.data.Xte)
			if err != nil {
				t.Fatal(err)
			}
			if !mat.Equal(got, want) {
				t.Errorf("loaded model predicts differently (max diff %g)", maxAbsDiff(got, want))
			}
			other := DefaultSpec(KNN)
			if tc.spec.Family == KNN {
				other = DefaultSpec(Logistic)
			}
			if _, err := Load(dir, other, tc.data.setup); err == nil {
				t.Errorf("Load with family %s of a %s file: no error", other.Family, tc.spec.Family)
			}
		})
	}
}

func TestSaveUnfitted(t *testing.T) {
	s := DefaultSpec(Logistic)
	m, err := s.New(Setup{Classes: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(t.TempDir(), s, m); err == nil || !strings.Contains(err.Error(), "not a fitted") {
		t.Errorf("Save of an unfitted model: %v", err)
	}
}

func TestDefaultSpecs(t *testing.T) {
	for _, f := range Families {
		s := DefaultSpec(f)
		if err := s.Validate(); err != nil {
			t.Errorf("DefaultSpec(%s): %v", f, err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Spec
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, s) {
			t.Errorf("%s: JSON round trip changed the spec: %s", f, b)
		}
	}
	g := DefaultSpec(GBDT).GBDT
	if g.Rounds != 100 || g.LearningRate != 0.1 || g.NumLeaves != 31 || g.MaxBins != 255 ||
		g.MinDataInLeaf != 20 || g.L2 != 1 || g.Growth != "leafwise" {
		t.Errorf("GBDT defaults %+v", *g)
	}
	if !DefaultSpec(RandomForest).RandomForest.Bootstrap || DefaultSpec(ExtraTrees).ExtraTrees.Bootstrap {
		t.Error("bootstrap: want true for random_forest, false for extra_trees")
	}
}

func TestValidate(t *testing.T) {
	lg := DefaultSpec(Logistic)
	bad := func(f func(*Spec)) Spec {
		s := DefaultSpec(Logistic)
		p := *s.Logistic
		s.Logistic = &p
		f(&s)
		return s
	}
	gb := DefaultSpec(GBDT)
	gbp := *gb.GBDT
	gbp.Growth = "sideways"
	cases := []struct {
		spec Spec
		want string
	}{
		{Spec{Family: "svm"}, "unknown family"},
		{Spec{Family: Logistic}, "has no logistic params"},
		{Spec{Family: Logistic, Logistic: lg.Logistic, KNN: DefaultSpec(KNN).KNN}, "also sets params of knn"},
		{bad(func(s *Spec) { s.Logistic.C = 0 }), "c 0"},
		{bad(func(s *Spec) { s.Logistic.C = math.NaN() }), "c NaN"},
		{bad(func(s *Spec) { s.Logistic.Penalty = "elasticnet" }), "penalty"},
		{bad(func(s *Spec) { s.Logistic.Tol = -1 }), "tol"},
		{Spec{Family: KNN, KNN: &KNNParams{K: 0, Weights: "uniform", Metric: "euclidean"}}, "k 0"},
		{Spec{Family: KNN, KNN: &KNNParams{K: 3, Weights: "uniform", Metric: "manhattan"}}, "metric"},
		{Spec{Family: NaiveBayes, NaiveBayes: &NaiveBayesParams{Kind: "bernoulli"}}, "kind"},
		{Spec{Family: NaiveBayes, NaiveBayes: &NaiveBayesParams{Kind: "gaussian", VarSmoothing: -1}}, "var_smoothing"},
		{Spec{Family: GBDT, GBDT: &gbp}, "growth"},
	}
	for _, c := range cases {
		err := c.spec.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want an error containing %q", c.spec, err, c.want)
		}
		if _, err := c.spec.New(Setup{Classes: 2}); err == nil {
			t.Errorf("New(%+v): no error", c.spec)
		}
	}
	if _, err := DefaultSpec(KNN).New(Setup{Classes: 1}); err == nil {
		t.Error("New with 1 class: no error")
	}
}

func TestBadInput(t *testing.T) {
	X, y := synthetic(1, 30, 3, 2)
	nan := mat.DenseCopyOf(X)
	nan.Set(4, 2, math.NaN())
	setup := Setup{Classes: 2}
	for _, f := range []Family{Logistic, KNN, NaiveBayes} {
		m, err := DefaultSpec(f).New(setup)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, c := range []struct {
			name string
			err  error
			want string
		}{
			{"short y", m.Fit(ctx, X, y[:5], nil), "5 labels for 30"},
			{"class", m.Fit(ctx, X, append(append([]int(nil), y[:29]...), 2), nil), "row 29: class index 2"},
			{"weight", m.Fit(ctx, X, y, append(make([]float64, 29), -1)), "row 29: sample weight -1"},
			{"zero weights", m.Fit(ctx, X, y, make([]float64, 30)), "sum to 0"},
			{"nan", m.Fit(ctx, nan, y, nil), "row 4, column 2"},
		} {
			if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
				t.Errorf("%s: %s: %v, want %q", f, c.name, c.err, c.want)
			}
		}
		if _, err := m.PredictProba(X); err == nil || !strings.Contains(err.Error(), "not fitted") {
			t.Errorf("%s: predict before fit: %v", f, err)
		}
		if err := m.Fit(ctx, X, y, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := m.PredictProba(mat.NewDense(2, 4, nil)); err == nil || !strings.Contains(err.Error(), "4 columns") {
			t.Errorf("%s: wrong width: %v", f, err)
		}
		if _, err := m.PredictProba(nan); err == nil || !strings.Contains(err.Error(), "row 4, column 2") {
			t.Errorf("%s: NaN input: %v", f, err)
		}
	}
	// A category code outside 0..cardinality-1.
	s := Setup{Classes: 2, Categorical: []bool{false, false, true}, Cardinality: []int{0, 0, 3}}
	codes := mat.DenseCopyOf(X)
	for i := 0; i < 30; i++ {
		codes.Set(i, 2, float64(i%3))
	}
	m := NewBayes(NaiveBayesParams{Kind: "categorical", Alpha: 1}, s)
	if err := m.Fit(context.Background(), codes, y, nil); err != nil {
		t.Fatal(err)
	}
	codes.Set(7, 2, 3)
	if _, err := m.PredictProba(codes); err == nil || !strings.Contains(err.Error(), "row 7, column 2: category code 3") {
		t.Errorf("bad code: %v", err)
	}
}

var errBudget = errors.New("budget reached")

func TestContextCancelled(t *testing.T) {
	X, y := synthetic(2, 500, 5, 3)
	for _, pen := range []string{"l2", "l1"} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(errBudget)
		m := NewLogistic(LogisticParams{C: 1, Penalty: pen}, Setup{Classes: 3})
		if err := m.Fit(ctx, X, y, nil); !errors.Is(err, errBudget) {
			t.Errorf("%s: Fit with a cancelled context: %v", pen, err)
		}
		if m.State != nil {
			t.Errorf("%s: a cancelled fit left a state", pen)
		}
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	stopAfter := &cancelAfter{n: 3, cancel: func() { cancel(errBudget) }}
	loss := newLogisticLoss(X, y, ones(500), 3)
	theta := make([]float64, loss.dim())
	counting := &countingCtx{Context: ctx, hook: stopAfter}
	if _, _, err := l1Solve(counting, loss, 0.01, theta, 1000, 1e-12); !errors.Is(err, errBudget) {
		t.Errorf("context cancelled during FISTA: %v", err)
	}
}

// countingCtx calls hook each time Err is asked, so a test can cancel a
// context part way through a fit.
type countingCtx struct {
	context.Context
	hook *cancelAfter
}

type cancelAfter struct {
	n      int
	cancel func()
}

func (c *countingCtx) Err() error {
	c.hook.n--
	if c.hook.n == 0 {
		c.hook.cancel()
	}
	return c.Context.Err()
}

func ones(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	return w
}

func TestLogisticDeterministic(t *testing.T) {
	X, y := synthetic(3, 2000, 10, 4)
	var first *LogisticState
	for _, workers := range []int{1, 2} {
		for _, pen := range []string{"l2", "l1"} {
			m := NewLogistic(LogisticParams{C: 1, Penalty: pen}, Setup{Classes: 4, Workers: workers})
			if err := m.Fit(context.Background(), X, y, nil); err != nil {
				t.Fatal(err)
			}
			if !m.State.Converged {
				t.Errorf("%s did not converge in %d iterations", pen, m.State.Iter)
			}
			if pen == "l2" {
				if first != nil && !reflect.DeepEqual(first, m.State) {
					t.Error("two fits differ")
				}
				first = m.State
			}
		}
	}
}

// TestL1Sparsity checks that a strong L1 penalty zeroes coefficients of
// pure-noise features and that the optimality conditions hold.
func TestL1Sparsity(t *testing.T) {
	X, y := synthetic(4, 1000, 4, 2)
	noisy := mat.NewDense(1000, 8, nil)
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 1000; i++ {
		for j := 0; j < 8; j++ {
			v := r.NormFloat64()
			if j < 4 {
				v = X.At(i, j)
			}
			noisy.Set(i, j, v)
		}
	}
	m := NewLogistic(LogisticParams{C: 0.01, Penalty: "l1", Tol: 1e-9, MaxIter: 100000}, Setup{Classes: 2})
	if err := m.Fit(context.Background(), noisy, y, nil); err != nil {
		t.Fatal(err)
	}
	zeros := 0
	for _, v := range m.State.Coef[0][4:] {
		if v == 0 {
			zeros++
		}
	}
	if zeros < 3 {
		t.Errorf("only %d of 4 noise coefficients are zero: %v", zeros, m.State.Coef[0])
	}
	loss := newLogisticLoss(noisy, y, ones(1000), 2)
	theta := append(append([]float64(nil), m.State.Coef[0]...), m.State.Intercept...)
	g := make([]float64, len(theta))
	loss.eval(theta, g)
	if s := subgradientNorm(theta, g, 8, 1/(0.01*1000)); s > 1e-9 {
		t.Errorf("subgradient norm at the solution %g", s)
	}
}

// bruteKNN is the plain definition: every distance, sorted by (distance, row).
func bruteKNN(Xtr *mat.Dense, y []int, w []float64, q []float64, k, classes int, dist bool) []float64 {
	n, _ := Xtr.Dims()
	type nb struct {
		d2  float64
		row int
	}
	all := make([]nb, 0, n)
	for i := 0; i < n; i++ {
		if w[i] == 0 {
			continue
		}
		s := 0.0
		for j, v := range Xtr.RawRowView(i) {
			s += (q[j] - v) * (q[j] - v)
		}
		all = append(all, nb{s, i})
	}
	sort.Slice(all, func(a, b int) bool {
		return all[a].d2 < all[b].d2 || all[a].d2 == all[b].d2 && all[a].row < all[b].row
	})
	all = all[:min(k, len(all))]
	p := make([]float64, classes)
	exact := false
	for _, v := range all {
		exact = exact || v.d2 == 0
	}
	tot := 0.0
	for _, v := range all {
		wt := w[v.row]
		if dist {
			if exact {
				if v.d2 != 0 {
					wt = 0
				}
			} else {
				wt /= math.Sqrt(v.d2)
			}
		}
		p[y[v.row]] += wt
		tot += wt
	}
	for c := range p {
		p[c] /= tot
	}
	return p
}

func TestKNNAgainstBruteForce(t *testing.T) {
	// Small integer grids give many exact ties and exact matches; large
	// offsets stress the rounding bound of the matrix-product screen.
	r := rand.New(rand.NewPCG(5, 5))
	for _, tc := range []struct {
		name   string
		offset float64
		scale  float64
	}{{"grid", 0, 1}, {"offset", 1e4, 1}, {"tiny", 0, 1e-6}} {
		n, q, d, classes := 400, 150, 3, 3
		Xtr := mat.NewDense(n, d, nil)
		Xq := mat.NewDense(q, d, nil)
		y := make([]int, n)
		w := make([]float64, n)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				Xtr.Set(i, j, tc.offset+tc.scale*float64(r.IntN(5)))
			}
			y[i] = r.IntN(classes)
			w[i] = float64(r.IntN(4)) * 0.5
		}
		for i := 0; i < q; i++ {
			for j := 0; j < d; j++ {
				Xq.Set(i, j, tc.offset+tc.scale*(float64(r.IntN(10))/2))
			}
		}
		for _, k := range []int{1, 5, 40} {
			for _, wts := range []string{"uniform", "distance"} {
				var prev *mat.Dense
				for _, workers := range []int{1, 3} {
					m := NewKNN(KNNParams{K: k, Weights: wts, Metric: "euclidean"}, Setup{Classes: classes, Workers: workers})
					if err := m.Fit(context.Background(), Xtr, y, w); err != nil {
						t.Fatal(err)
					}
					P, err := m.PredictProba(Xq)
					if err != nil {
						t.Fatal(err)
					}
					for i := 0; i < q; i++ {
						want := bruteKNN(Xtr, y, w, Xq.RawRowView(i), k, classes, wts == "distance")
						for c, v := range want {
							if math.Abs(P.At(i, c)-v) > 1e-12 {
								t.Fatalf("%s k=%d %s row %d: got %v, want %v", tc.name, k, wts, i, P.RawRowView(i), want)
							}
						}
					}
					if prev != nil && !mat.Equal(prev, P) {
						t.Errorf("%s k=%d %s: 1 and 3 workers differ", tc.name, k, wts)
					}
					prev = P
				}
			}
		}
	}
}

func TestBayesEmptyClass(t *testing.T) {
	X, y := synthetic(6, 200, 3, 2)
	m := NewBayes(NaiveBayesParams{Kind: "gaussian", VarSmoothing: 1e-9}, Setup{Classes: 3})
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	P, err := m.PredictProba(X)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if P.At(i, 2) != 0 || math.IsNaN(P.At(i, 0)) || math.Abs(P.At(i, 0)+P.At(i, 1)-1) > 1e-12 {
			t.Fatalf("row %d: %v", i, P.RawRowView(i))
		}
	}
}
