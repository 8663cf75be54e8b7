package explain

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models/tree"
)

// game is the value function TreeSHAP's path algorithm attributes
// (Lundberg et al. 2018, Algorithm 1): features in known follow x, the
// others split by the training covers.
func game(t *tree.Tree, i int, x []float64, known []bool) float64 {
	n := &t.Nodes[i]
	if n.Left < 0 {
		return n.Value
	}
	if known[n.Feature] {
		if n.GoesLeft(x[n.Feature]) {
			return game(t, n.Left, x, known)
		}
		return game(t, n.Right, x, known)
	}
	return frac(t, i, n.Left)*game(t, n.Left, x, known) + frac(t, i, n.Right)*game(t, n.Right, x, known)
}

// bruteShapley computes Shapley values of game over every feature subset.
func bruteShapley(t *tree.Tree, x []float64, features int) []float64 {
	phi := make([]float64, features)
	fact := make([]float64, features+1)
	fact[0] = 1
	for i := 1; i <= features; i++ {
		fact[i] = fact[i-1] * float64(i)
	}
	known := make([]bool, features)
	for mask := 0; mask < 1<<features; mask++ {
		size := 0
		for j := range features {
			known[j] = mask&(1<<j) != 0
			if known[j] {
				size++
			}
		}
		v := game(t, 0, x, known)
		for j := range features {
			// mask contributes +v to features in it (as S∪{j}) and -v to
			// those outside it (as S).
			if known[j] {
				phi[j] += fact[size-1] * fact[features-size] / fact[features] * v
			} else {
				phi[j] -= fact[size] * fact[features-size-1] / fact[features] * v
			}
		}
	}
	return phi
}

// randomTree grows a random tree of the given depth over features columns
// whose covers add up, with repeated features on paths, categorical splits
// and default directions for missing values.
func randomTree(rng *rand.Rand, features, depth int) tree.Tree {
	var t tree.Tree
	var grow func(d int, cover float64) int
	grow = func(d int, cover float64) int {
		i := len(t.Nodes)
		t.Nodes = append(t.Nodes, tree.Node{Left: -1, Right: -1, Feature: -1, Cover: cover, Value: rng.NormFloat64()})
		if d == depth || (d > 1 && rng.Float64() < 0.2) {
			return i
		}
		n := tree.Node{Feature: rng.IntN(features), Cover: cover, DefaultLeft: rng.IntN(2) == 0}
		if rng.IntN(4) == 0 {
			n.Categorical, n.Categories = true, []int32{0, 2}
		} else {
			n.Threshold = rng.NormFloat64() * 0.7
		}
		share := 0.1 + 0.8*rng.Float64()
		n.Left = grow(d+1, cover*share)
		n.Right = grow(d+1, cover*(1-share))
		t.Nodes[i] = n
		return i
	}
	grow(0, 100+rng.Float64()*50)
	return t
}

func randomRow(rng *rand.Rand, features int) []float64 {
	x := make([]float64, features)
	for j := range x {
		switch rng.IntN(8) {
		case 0:
			x[j] = math.NaN()
		case 1:
			x[j] = float64(rng.IntN(3))
		default:
			x[j] = rng.NormFloat64()
		}
	}
	return x
}

func TestTreeSHAPEqualsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 60 {
		features := 1 + trial%8
		tr := randomTree(rng, features, 2+trial%6)
		e := &tree.Ensemble{Trees: []tree.Tree{tr}, Outputs: 1, Classes: 2, Features: features, Link: tree.Logistic}
		ex, err := NewTreeExplainer(e)
		if err != nil {
			t.Fatal(err)
		}
		phi := [][]float64{make([]float64, features)}
		for range 10 {
			x := randomRow(rng, features)
			ex.Row(x, phi, nil)
			want := bruteShapley(&tr, x, features)
			for j := range want {
				if d := math.Abs(phi[0][j] - want[j]); d > 1e-9 {
					t.Fatalf("tree %d (%d features, %d nodes) row %v feature %d: TreeSHAP %.15g, brute force %.15g",
						trial, features, len(tr.Nodes), x, j, phi[0][j], want[j])
				}
			}
			sum := ex.Base()[0]
			for _, v := range phi[0] {
				sum += v
			}
			if got := tr.Nodes[tr.Leaf(x)].Value; math.Abs(sum-got) > 1e-9 {
				t.Fatalf("tree %d: base + contributions %.15g, prediction %.15g", trial, sum, got)
			}
		}
	}
}

// synth makes a classification problem with a categorical column 5 and
// missing values.
func synth(n, classes int, seed uint64) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	X := mat.NewDense(n, 7, nil)
	y := make([]int, n)
	for i := range n {
		row := X.RawRowView(i)
		for j := range 5 {
			row[j] = rng.NormFloat64()
		}
		row[5] = float64(rng.IntN(6))
		row[6] = float64(rng.IntN(2))
		s := row[0] + row[1]*row[2] - 0.5*row[3]*row[3] + 0.4*row[5] + rng.NormFloat64()*0.5
		if rng.IntN(12) == 0 {
			row[rng.IntN(5)] = math.NaN()
		}
		switch {
		case classes == 2:
			y[i] = b2i(s > 0.3)
		default:
			y[i] = min(classes-1, max(0, int(s+1.5)))
		}
	}
	return X, y
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

type ensembleModel interface {
	Fit(ctx context.Context, X *mat.Dense, y []int, w []float64) error
	Ensemble() *tree.Ensemble
}

func treeFamilies(classes int) map[string]ensembleModel {
	cfg := tree.Config{Classes: classes, Categorical: []bool{false, false, false, false, false, true, false},
		Cardinality: []int{0, 0, 0, 0, 0, 6, 0}, Seed: 7, Workers: 2}
	return map[string]ensembleModel{
		"decision_tree": tree.NewDecisionTree(tree.TreeParams{Criterion: "gini", MaxDepth: 7, MinSamplesLeaf: 3,
			MaxBins: 255, CategoricalSplits: true}, cfg),
		"random_forest": tree.NewRandomForest(tree.ForestParams{Trees: 5, Criterion: "gini", MinSamplesLeaf: 2,
			Bootstrap: true, MaxBins: 255, CategoricalSplits: true}, cfg),
		"extra_trees": tree.NewExtraTrees(tree.ForestParams{Trees: 5, Criterion: "entropy", MinSamplesLeaf: 2,
			MaxFeatures: 0.5, MaxBins: 64}, cfg),
		"gbdt": tree.NewGBDT(tree.GBDTParams{Rounds: 12, LearningRate: 0.1, NumLeaves: 15, Growth: "leafwise",
			MinDataInLeaf: 5, MinSumHessian: 1e-3, L2: 1, MaxBins: 255, CategoricalSplits: true,
			FeatureFraction: 0.8, BaggingFraction: 0.8, BaggingFreq: 1}, cfg),
		"gbdt_depthwise": tree.NewGBDT(tree.GBDTParams{Rounds: 8, LearningRate: 0.2, NumLeaves: 31, MaxDepth: 4,
			Growth: "depthwise", MinDataInLeaf: 10, L2: 1, MaxBins: 63}, cfg),
	}
}

// TestTreeSHAPAdditivity fits every tree family, binary and multiclass,
// and checks base value + contributions = raw output on every row.
func TestTreeSHAPAdditivity(t *testing.T) {
	for _, classes := range []int{2, 3} {
		X, y := synth(250, classes, uint64(classes))
		for name, m := range treeFamilies(classes) {
			if err := m.Fit(context.Background(), X, y, nil); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			ex, err := NewTreeExplainer(m.Ensemble())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			c, err := ex.Explain(X, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Phi) != m.Ensemble().Outputs {
				t.Fatalf("%s: %d outputs explained, want %d", name, len(c.Phi), m.Ensemble().Outputs)
			}
			nonzero := 0
			for k := range c.Phi {
				for i := range 250 {
					sum := c.Base[k]
					for _, v := range c.Phi[k].RawRowView(i) {
						sum += v
						if v != 0 {
							nonzero++
						}
					}
					if d := math.Abs(sum - c.Raw[k][i]); d > 1e-9 {
						t.Fatalf("%s, %d classes, output %d, row %d: base + contributions %.15g, raw %.15g (diff %g)",
							name, classes, k, i, sum, c.Raw[k][i], d)
					}
				}
			}
			if nonzero == 0 {
				t.Fatalf("%s: every contribution is zero", name)
			}
		}
	}
}

// TestTreeSHAPContext: a context that ends stops the explainer, which
// returns the rows it finished, a prefix of the matrix's, with values
// equal to an unbounded run's, and the context's cause.
func TestTreeSHAPContext(t *testing.T) {
	X, y := synth(400, 2, 7)
	for name, m := range treeFamilies(2) {
		if err := m.Fit(context.Background(), X, y, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ex, err := NewTreeExplainer(m.Ensemble())
		if err != nil {
			t.Fatal(err)
		}
		full, err := ex.Explain(X, 2)
		if err != nil {
			t.Fatal(err)
		}
		gone, cancel := context.WithCancelCause(context.Background())
		cancel(ErrTimeout)
		c, err := ex.ExplainContext(gone, X, 2)
		if !errors.Is(err, ErrTimeout) || len(c.Raw[0]) != 0 {
			t.Fatalf("%s: an ended context gave %d rows and error %v", name, len(c.Raw[0]), err)
		}
		// Stopped part way: by a deadline that passes while rows are explained.
		ctx, stop := context.WithTimeoutCause(context.Background(), time.Millisecond, ErrTimeout)
		c, err = ex.ExplainContext(ctx, X, 1)
		stop()
		n := len(c.Raw[0])
		if (err == nil) != (n == 400) {
			t.Fatalf("%s: %d rows with error %v", name, n, err)
		}
		for i := range n {
			if c.Raw[0][i] != full.Raw[0][i] || !slices.Equal(c.Phi[0].RawRowView(i), full.Phi[0].RawRowView(i)) {
				t.Fatalf("%s: row %d of a stopped run differs from the full run's", name, i)
			}
		}
	}
}
