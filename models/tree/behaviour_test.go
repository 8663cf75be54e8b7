package tree

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestDeterministicAcrossWorkers fits each family with 1, 2 and 3 workers
// and wants identical trees and probabilities.
func TestDeterministicAcrossWorkers(t *testing.T) {
	defer func(w int) { minParallelWork = w }(minParallelWork)
	minParallelWork = 1 // parallel histograms even for tiny nodes
	X, y, cfg := synth(1000, 3, true, 5)
	for name := range families(cfg, 4) {
		var first *Ensemble
		var firstP *mat.Dense
		for _, w := range []int{1, 3} {
			c := cfg
			c.Workers = w
			m := families(c, 4)[name]
			if err := m.Fit(context.Background(), X, y, nil); err != nil {
				t.Fatal(err)
			}
			P, _ := m.PredictProba(X)
			if first == nil {
				first, firstP = m.Ensemble(), P
				continue
			}
			if !reflect.DeepEqual(first, m.Ensemble()) {
				t.Errorf("%s: trees with %d workers differ from 1 worker", name, w)
			}
			if !mat.Equal(firstP, P) {
				t.Errorf("%s: probabilities with %d workers differ from 1 worker", name, w)
			}
		}
	}
}

// TestSeedMatters: a different seed draws other bootstrap samples.
func TestSeedMatters(t *testing.T) {
	X, y, cfg := synth(500, 2, false, 5)
	fit := func(seed uint64) *Ensemble {
		c := cfg
		c.Seed = seed
		m := NewRandomForest(ForestParams{Trees: 5, Criterion: "gini", MinSamplesLeaf: 1, Bootstrap: true, MaxBins: 255}, c)
		if err := m.Fit(context.Background(), X, y, nil); err != nil {
			t.Fatal(err)
		}
		return m.Ensemble()
	}
	if reflect.DeepEqual(fit(1), fit(2)) {
		t.Error("random forests with seeds 1 and 2 are identical")
	}
	if !reflect.DeepEqual(fit(3), fit(3)) {
		t.Error("random forests with the same seed differ")
	}
}

// TestMissingDirection: y = 1 exactly when x is missing or above 1, so the
// root must split x at 1 and send missing values right (with the highs).
func TestMissingDirection(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	n := 600
	X := mat.NewDense(n, 2, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		v := rng.Float64() * 2
		if i%4 == 0 {
			v = math.NaN()
		}
		X.Set(i, 0, v)
		X.Set(i, 1, rng.Float64())
		if math.IsNaN(v) || v > 1 {
			y[i] = 1
		}
	}
	for _, m := range []model{
		NewDecisionTree(TreeParams{Criterion: "gini", MaxDepth: 1, MinSamplesLeaf: 1, MaxBins: 255}, Config{Classes: 2}),
		NewGBDT(GBDTParams{Rounds: 1, LearningRate: 1, NumLeaves: 2, MinDataInLeaf: 1, L2: 0, MaxBins: 255}, Config{Classes: 2}),
	} {
		if err := m.Fit(context.Background(), X, y, nil); err != nil {
			t.Fatal(err)
		}
		root := m.Ensemble().Trees[0].Nodes[0]
		if root.Feature != 0 || root.DefaultLeft || math.Abs(root.Threshold-1) > 0.02 {
			t.Errorf("%T: root splits feature %d at %v, default left %v; want feature 0 near 1, missing right",
				m, root.Feature, root.Threshold, root.DefaultLeft)
		}
		P, _ := m.PredictProba(mat.NewDense(2, 2, []float64{math.NaN(), 0.5, 0.2, 0.5}))
		if !(P.At(0, 1) > 0.5 && P.At(1, 1) < 0.5) {
			t.Errorf("%T: P(1 | missing) = %v, P(1 | 0.2) = %v", m, P.At(0, 1), P.At(1, 1))
		}
	}
}

// TestCategoricalSplit: classes depend on membership of the code in
// {1, 4, 7}, which no single threshold on the codes separates; a native
// categorical split does it in one node.
func TestCategoricalSplit(t *testing.T) {
	n := 900
	X := mat.NewDense(n, 1, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		c := i % 9
		X.Set(i, 0, float64(c))
		if c == 1 || c == 4 || c == 7 {
			y[i] = 1
		}
	}
	cfg := Config{Classes: 2, Categorical: []bool{true}, Cardinality: []int{9}}
	for _, m := range []model{
		NewDecisionTree(TreeParams{Criterion: "gini", MaxDepth: 1, MinSamplesLeaf: 1, MaxBins: 255, CategoricalSplits: true}, cfg),
		NewGBDT(GBDTParams{Rounds: 1, LearningRate: 1, NumLeaves: 2, MinDataInLeaf: 1, L2: 0, MaxBins: 255, CategoricalSplits: true}, cfg),
	} {
		if err := m.Fit(context.Background(), X, y, nil); err != nil {
			t.Fatal(err)
		}
		root := m.Ensemble().Trees[0].Nodes[0]
		in, out := []int32{1, 4, 7}, []int32{0, 2, 3, 5, 6, 8}
		if !root.Categorical || !(slices.Equal(root.Categories, in) || slices.Equal(root.Categories, out)) {
			t.Errorf("%T: root categorical %v with categories %v, want {1,4,7} or its complement", m, root.Categorical, root.Categories)
		}
	}
	// Without native splits the code is a number: one split cannot separate.
	m := NewDecisionTree(TreeParams{Criterion: "gini", MaxDepth: 1, MinSamplesLeaf: 1, MaxBins: 255}, cfg)
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	if P, _ := m.PredictProba(X); accuracy(P, y) == 1 {
		t.Error("an ordinal threshold separated {1,4,7}")
	}
}

// TestEarlyStopping: noisy labels make the validation loss turn up.
func TestEarlyStopping(t *testing.T) {
	X, y, cfg := synth(600, 2, false, 9)
	Xv, yv, _ := synth(300, 2, false, 10)
	m := NewGBDT(GBDTParams{Rounds: 300, LearningRate: 0.3, NumLeaves: 31, MinDataInLeaf: 1, L2: 0,
		MaxBins: 255, EarlyStoppingRounds: 10}, cfg)
	m.SetValidation(Xv, yv)
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	if m.BestRound < 1 || m.BestRound >= 100 || m.Ensemble().Iterations() != m.BestRound {
		t.Errorf("kept %d rounds (%d trees), want early stopping well before 100", m.BestRound, m.Ensemble().Iterations())
	}
}

// TestKeepRounds: an early-stopped booster scored with n rounds predicts
// exactly what a booster fitted with n rounds and no early stopping does,
// for n below and above its best round (early stopping grows its patience
// past the best), and with every round it grew when asked for more.
func TestKeepRounds(t *testing.T) {
	X, y, cfg := synth(600, 3, false, 9)
	Xv, yv, _ := synth(300, 3, false, 10)
	p := GBDTParams{Rounds: 300, LearningRate: 0.3, NumLeaves: 15, MinDataInLeaf: 5, L2: 0.01, MaxBins: 255,
		FeatureFraction: 0.7, BaggingFraction: 0.8, BaggingFreq: 1, EarlyStoppingRounds: 10}
	m := NewGBDT(p, cfg)
	m.SetValidation(Xv, yv)
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	best := m.BestRound
	if best < 3 || best+10 >= 300 {
		t.Fatalf("best round %d: the test needs early stopping to cut the fit", best)
	}
	for _, n := range []int{best - 2, best + 5, best + 10} {
		if got := m.KeepRounds(n); got != n || m.Ensemble().Iterations() != n {
			t.Fatalf("KeepRounds(%d) = %d with %d rounds of trees", n, got, m.Ensemble().Iterations())
		}
		q := p
		q.Rounds, q.EarlyStoppingRounds = n, 0
		ref := NewGBDT(q, cfg)
		if err := ref.Fit(context.Background(), X, y, nil); err != nil {
			t.Fatal(err)
		}
		got, _ := m.PredictProba(Xv)
		want, _ := ref.PredictProba(Xv)
		if !mat.Equal(got, want) {
			t.Errorf("%d rounds kept after early stopping at %d: probabilities differ from a %d-round fit", n, best, n)
		}
	}
	if got := m.KeepRounds(1000); got != best+10 {
		t.Errorf("KeepRounds(1000) = %d, want every grown round (%d)", got, best+10)
	}
}

var errBudget = errors.New("budget reached")

func TestContextStops(t *testing.T) {
	X, y, cfg := synth(300, 2, false, 9)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errBudget)
	for name, m := range families(cfg, 5) {
		err := m.Fit(ctx, X, y, nil)
		if !errors.Is(err, errBudget) {
			t.Errorf("%s: Fit on a cancelled context returned %v, want the cause", name, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	X, y, cfg := synth(50, 2, false, 9)
	m := NewGBDT(GBDTParams{Rounds: 2, LearningRate: 0.1, NumLeaves: 4, MaxBins: 255}, cfg)
	cases := map[string]func() error{
		"short y":        func() error { return m.Fit(context.Background(), X, y[:10], nil) },
		"class too big":  func() error { return m.Fit(context.Background(), X, append(slices.Clone(y[:49]), 5), nil) },
		"negative class": func() error { return m.Fit(context.Background(), X, append(slices.Clone(y[:49]), -1), nil) },
		"negative w":     func() error { w := make([]float64, 50); w[3] = -1; return m.Fit(context.Background(), X, y, w) },
		"zero weights":   func() error { return m.Fit(context.Background(), X, y, make([]float64, 50)) },
		"nil X":          func() error { return m.Fit(context.Background(), nil, y, nil) },
		"predict unfitted": func() error {
			_, err := NewGBDT(GBDTParams{}, cfg).PredictProba(X)
			return err
		},
		"bad params": func() error {
			return NewGBDT(GBDTParams{Rounds: 0, LearningRate: 0.1, NumLeaves: 4}, cfg).Fit(context.Background(), X, y, nil)
		},
		"bad criterion": func() error {
			return NewRandomForest(ForestParams{Trees: 2, Criterion: "mse"}, cfg).Fit(context.Background(), X, y, nil)
		},
	}
	for name, f := range cases {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := m.PredictProba(mat.NewDense(3, 2, nil)); err == nil {
		t.Error("scoring a matrix with the wrong column count: no error")
	}
}

// TestSampleWeights: weighting class 1 up raises its predicted share.
func TestSampleWeights(t *testing.T) {
	X, y, cfg := synth(800, 2, false, 4)
	Xt, _, _ := synth(400, 2, false, 5)
	w := make([]float64, len(y))
	for i, c := range y {
		w[i] = 1 + 4*float64(c)
	}
	// fully grown trees have pure leaves that weights cannot move: use
	// leaves of at least 20 rows for the random forest
	build := func(name string) model {
		if name == "random_forest" {
			return NewRandomForest(ForestParams{Trees: 15, Criterion: "gini", MinSamplesLeaf: 20, Bootstrap: true, MaxBins: 255}, cfg)
		}
		return families(cfg, 20)[name]
	}
	for name, m := range families(cfg, 20) {
		mean := func(w []float64) float64 {
			m := build(name)
			if err := m.Fit(context.Background(), X, y, w); err != nil {
				t.Fatal(err)
			}
			P, _ := m.PredictProba(Xt)
			return stat1(P)
		}
		_ = m
		if u, v := mean(nil), mean(w); !(v > u+0.03) {
			t.Errorf("%s: mean P(1) %.3f unweighted, %.3f with class 1 weighted x5", name, u, v)
		}
	}
}

func stat1(P *mat.Dense) float64 {
	r, _ := P.Dims()
	s := 0.0
	for i := 0; i < r; i++ {
		s += P.At(i, 1)
	}
	return s / float64(r)
}

// TestZeroWeights: rows of weight 0 do not enter trees. (They still count
// for bin edges; with 200 rows every value has a bin of its own.)
func TestZeroWeights(t *testing.T) {
	X, y, cfg := synth(200, 2, false, 3)
	Xz := mat.NewDense(250, 6, nil)
	yz := make([]int, 250)
	w := make([]float64, 250)
	for i := 0; i < 250; i++ {
		if i < 200 {
			Xz.SetRow(i, X.RawRowView(i))
			yz[i], w[i] = y[i], 1
		} else {
			Xz.SetRow(i, X.RawRowView(i-200))
			yz[i] = 1 - y[i-200] // flipped labels, weight 0
		}
	}
	// families whose random draws do not depend on the row count and
	// whose bins hold one value each
	for _, name := range []string{"decision_tree", "gbdt"} {
		a, b := families(cfg, 5)[name], families(cfg, 5)[name]
		if err := a.Fit(context.Background(), X, y, nil); err != nil {
			t.Fatal(err)
		}
		if err := b.Fit(context.Background(), Xz, yz, w); err != nil {
			t.Fatal(err)
		}
		Pa, _ := a.PredictProba(X)
		Pb, _ := b.PredictProba(X)
		if !mat.EqualApprox(Pa, Pb, 1e-9) {
			t.Errorf("%s: rows of weight 0 with flipped labels changed the model", name)
		}
	}
}

// TestSubtraction: a sibling's histogram derived from parent - child equals
// the one built directly.
func TestSubtraction(t *testing.T) {
	X, y, _ := synth(3000, 2, false, 2)
	g := gradGrower(X, y, 2)
	feats := intRange(6)
	var left, right, all []int32
	for i := range y {
		all = append(all, int32(i))
		if i%3 == 0 {
			left = append(left, int32(i))
		} else {
			right = append(right, int32(i))
		}
	}
	tot := func(rows []int32) []float64 {
		s := make([]float64, 3)
		for _, r := range rows {
			s[0] += g.g[r]
			s[1] += g.h[r]
			s[2]++
		}
		return s
	}
	size := g.d.total * g.stride
	parent, l, r := make([]float64, size), make([]float64, size), make([]float64, size)
	g.build(parent, all, tot(all), feats, true)
	g.build(l, left, tot(left), feats, false)
	g.build(r, right, tot(right), feats, false)
	g.subtract(parent, l, feats)
	for i := range r {
		if math.Abs(parent[i]-r[i]) > 1e-9 {
			t.Fatalf("slot %d: parent - left = %v, right built directly = %v", i, parent[i], r[i])
		}
	}
}

func TestBinning(t *testing.T) {
	// few distinct values: one bin each, edges at midpoints
	f := numericFeature([]float64{3, 1, 2, 2, 1}, true, 255, BinGreedy)
	if !slices.Equal(f.upper, []float64{1.5, 2.5, math.Inf(1)}) || f.nanBin != 3 || f.bins != 4 {
		t.Errorf("edges %v, nan bin %d, bins %d", f.upper, f.nanBin, f.bins)
	}
	if f.bin(1) != 0 || f.bin(1.5) != 0 || f.bin(1.6) != 1 || f.bin(99) != 2 || f.bin(math.NaN()) != 3 {
		t.Error("values fall in the wrong bins")
	}
	// many distinct values: at most maxBins bins of similar size
	rng := rand.New(rand.NewPCG(1, 2))
	vals := make([]float64, 10000)
	for i := range vals {
		vals[i] = rng.ExpFloat64()
	}
	f = numericFeature(slices.Clone(vals), false, 16, BinGreedy)
	if f.bins > 16 || f.bins < 15 {
		t.Fatalf("%d bins, want 15..16", f.bins)
	}
	counts := make([]int, f.bins)
	for _, v := range vals {
		counts[f.bin(v)]++
	}
	for b, c := range counts {
		if c < 10000/16/2 || c > 10000/16*2 {
			t.Errorf("bin %d holds %d of 10000 rows, want about %d", b, c, 10000/16)
		}
	}
	// categorical: codes by frequency, rare and invalid codes handled
	c := categoricalFeature([]float64{2, 2, 2, 0, 0, 5, math.NaN(), -1})
	if c.bin(2) != 0 || c.bin(0) != 1 || c.bin(5) != 2 || c.bin(math.NaN()) != 3 || c.bin(-1) != 3 || c.bin(7) != 3 {
		t.Errorf("categorical bins: %v %v", c.codeBin, c.binCodes)
	}
}

// TestInfiniteValues: infinite cells split like any value, and the model
// saves (thresholds stay finite) and scores the same through leaves.
func TestInfiniteValues(t *testing.T) {
	n := 200
	X := mat.NewDense(n, 1, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		switch i % 4 {
		case 0:
			X.Set(i, 0, math.Inf(-1))
		case 1:
			X.Set(i, 0, math.Inf(1))
			y[i] = 1
		default:
			X.Set(i, 0, float64(i%7))
			y[i] = i % 2
		}
	}
	cfg := Config{Classes: 2}
	for name, m := range families(cfg, 3) {
		if err := m.Fit(context.Background(), X, y, nil); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := Save(dir, m.Ensemble()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s, err := Load(dir, 1)
		if err != nil {
			t.Fatal(err)
		}
		P, _ := m.PredictProba(X)
		Q, _ := s.PredictProba(X)
		if !mat.EqualApprox(P, Q, 1e-12) {
			t.Errorf("%s: leaves disagrees on infinite values", name)
		}
		if P.At(0, 1) > 0.5 || P.At(1, 1) < 0.5 {
			t.Errorf("%s: P(1 | -Inf) = %v, P(1 | +Inf) = %v", name, P.At(0, 1), P.At(1, 1))
		}
	}
}

// TestMinDataInLeafCountsRows: below exactCountRows, min_data_in_leaf is
// a number of rows, as in scikit-learn, whatever the hessians. Late
// rounds of a confident model give the few rows it still gets wrong most
// of the hessian; counts estimated from hessians (LightGBM's way) then
// let a leaf hold a handful of them.
func TestMinDataInLeafCountsRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const n, d, minData = 2000, 8, 20
	X := mat.NewDense(n, d, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		row := X.RawRowView(i)
		ones := 0
		for j := range row {
			if rng.IntN(2) == 1 {
				row[j] = 1
				ones++
			}
		}
		y[i] = ones % 2
		if rng.Float64() < 0.03 {
			y[i] = 1 - y[i]
		}
	}
	m := NewGBDT(GBDTParams{Rounds: 200, LearningRate: 0.3, NumLeaves: 31, MinDataInLeaf: minData,
		MinSumHessian: 1e-3, L2: 1e-3, MaxBins: 255}, Config{Classes: 2, Seed: 1})
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	small := 0
	for ti, tr := range m.Ensemble().Trees {
		for _, nd := range tr.Nodes {
			if nd.IsLeaf() && nd.Count < minData && len(tr.Nodes) > 1 {
				if small == 0 {
					t.Errorf("tree %d has a leaf of %d rows, want at least %d", ti, nd.Count, minData)
				}
				small++
			}
		}
	}
	if small > 0 {
		t.Errorf("%d leaves under min_data_in_leaf", small)
	}
}
