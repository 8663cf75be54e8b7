package tree

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/dmitryikh/leaves"
	"gonum.org/v1/gonum/mat"
)

// synth makes a classification problem with n rows: numeric columns, a
// column with missing values and, when cat is set, a categorical column of
// codes 0..9 whose effect is not monotone in the code.
func synth(n, classes int, cat bool, seed uint64) (*mat.Dense, []int, Config) {
	rng := rand.New(rand.NewPCG(seed, 7))
	d := 6
	X := mat.NewDense(n, d, nil)
	y := make([]int, n)
	catEffect := []float64{0.5, -1, 2, 0, -2, 1, 0.3, -0.7, 1.5, -1.2}
	for i := 0; i < n; i++ {
		x := X.RawRowView(i)
		for j := 0; j < 4; j++ {
			x[j] = rng.NormFloat64()
		}
		x[4] = rng.NormFloat64()
		if rng.Float64() < 0.2 {
			x[4] = math.NaN()
		}
		x[5] = float64(rng.IntN(10))
		s := x[0] + 0.5*x[1]*x[2] - 0.8*x[3]
		if math.IsNaN(x[4]) {
			s += 1
		} else {
			s += 0.5 * x[4]
		}
		if cat {
			s += catEffect[int(x[5])]
		}
		s += 0.5 * rng.NormFloat64()
		switch {
		case classes == 2:
			if s > 0 {
				y[i] = 1
			}
		case s < -0.7:
			y[i] = 0
		case s < 0.7:
			y[i] = 1
		default:
			y[i] = 2
		}
	}
	cfg := Config{Classes: classes, Categorical: []bool{false, false, false, false, false, cat},
		Cardinality: []int{0, 0, 0, 0, 0, 10}, Seed: seed, Workers: 2}
	return X, y, cfg
}

// model is what every family provides.
type model interface {
	Fit(ctx context.Context, X *mat.Dense, y []int, w []float64) error
	PredictProba(X *mat.Dense) (*mat.Dense, error)
	Ensemble() *Ensemble
}

func families(cfg Config, rounds int) map[string]model {
	return map[string]model{
		"decision_tree": NewDecisionTree(TreeParams{Criterion: "gini", MaxDepth: 8, MinSamplesLeaf: 2,
			MaxBins: 255, CategoricalSplits: true}, cfg),
		"decision_tree_entropy_leaves": NewDecisionTree(TreeParams{Criterion: "entropy", MaxLeaves: 12,
			MinSamplesLeaf: 1, MaxBins: 32}, cfg),
		"random_forest": NewRandomForest(ForestParams{Trees: 8, Criterion: "gini", MinSamplesLeaf: 1,
			Bootstrap: true, MaxBins: 255, CategoricalSplits: true}, cfg),
		"extra_trees": NewExtraTrees(ForestParams{Trees: 8, Criterion: "entropy", MinSamplesLeaf: 2,
			MaxFeatures: 0.5, MaxBins: 64, CategoricalSplits: true}, cfg),
		"gbdt": NewGBDT(GBDTParams{Rounds: rounds, LearningRate: 0.1, NumLeaves: 15, Growth: "leafwise",
			MinDataInLeaf: 5, MinSumHessian: 1e-3, L1: 0.1, L2: 1, MaxBins: 255, CategoricalSplits: true,
			FeatureFraction: 0.8, BaggingFraction: 0.8, BaggingFreq: 1}, cfg),
		"gbdt_depthwise": NewGBDT(GBDTParams{Rounds: rounds, LearningRate: 0.2, NumLeaves: 31, MaxDepth: 4,
			Growth: "depthwise", MinDataInLeaf: 10, L2: 1, MaxBins: 63, FeatureFractionByNode: 0.7}, cfg),
	}
}

func accuracy(P *mat.Dense, y []int) float64 {
	ok := 0
	for i, c := range y {
		row := P.RawRowView(i)
		best := 0
		for k := range row {
			if row[k] > row[best] {
				best = k
			}
		}
		if best == c {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}

// TestLeavesAgree fits every family, binary and multiclass, saves it in
// LightGBM's format and checks that leaves reproduces the trainer's
// probabilities to 1e-12 on held-out rows (with missing values and codes
// never seen in training).
func TestLeavesAgree(t *testing.T) {
	for _, classes := range []int{2, 3} {
		X, y, cfg := synth(700, classes, true, 11)
		Xt, yt, _ := synth(300, classes, true, 12)
		Xt.Set(0, 5, 42) // unseen category code
		Xt.Set(1, 5, -3) // negative code
		Xt.Set(2, 5, math.NaN())
		Xt.Set(3, 0, math.NaN()) // missing where training had none
		for name, m := range families(cfg, 15) {
			if err := m.Fit(context.Background(), X, y, nil); err != nil {
				t.Fatalf("%s/%d: fit: %v", name, classes, err)
			}
			P, err := m.PredictProba(Xt)
			if err != nil {
				t.Fatal(err)
			}
			acc := accuracy(P, yt)
			// chance is about 0.5 (binary) and 0.4 (three classes)
			if want := []float64{0, 0, 0.7, 0.5}[classes]; acc < want {
				t.Errorf("%s/%d classes: test accuracy %.3f, want >= %v", name, classes, acc, want)
			}
			dir := t.TempDir()
			if err := Save(dir, m.Ensemble()); err != nil {
				t.Fatal(err)
			}
			s, err := Load(dir, 2)
			if err != nil {
				t.Fatalf("%s: load: %v", name, err)
			}
			Q, err := s.PredictProba(Xt)
			if err != nil {
				t.Fatal(err)
			}
			r, c := P.Dims()
			worst := 0.0
			for i := 0; i < r; i++ {
				sum := 0.0
				for k := 0; k < c; k++ {
					worst = max(worst, math.Abs(P.At(i, k)-Q.At(i, k)))
					sum += P.At(i, k)
				}
				if math.Abs(sum-1) > 1e-9 {
					t.Fatalf("%s: row %d probabilities sum to %v", name, i, sum)
				}
			}
			if worst > 1e-12 {
				t.Errorf("%s/%d classes: trainer and leaves differ by %g", name, classes, worst)
			}
		}
	}
}

// TestLeavesTransformation loads boosted models with leaves' own
// transformation (sigmoid, softmax from the objective line) and checks it
// gives the trainer's probabilities: the file's header is what LightGBM
// tools expect.
func TestLeavesTransformation(t *testing.T) {
	for _, classes := range []int{2, 3} {
		X, y, cfg := synth(400, classes, true, 21)
		m := NewGBDT(GBDTParams{Rounds: 10, LearningRate: 0.2, NumLeaves: 8, MinDataInLeaf: 5, L2: 1,
			MaxBins: 255, CategoricalSplits: true}, cfg)
		if err := m.Fit(context.Background(), X, y, nil); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := m.WriteModel(&buf); err != nil {
			t.Fatal(err)
		}
		model, err := leaves.LGEnsembleFromReader(bufio.NewReader(&buf), true)
		if err != nil {
			t.Fatal(err)
		}
		P, _ := m.PredictProba(X)
		out := make([]float64, model.NOutputGroups())
		for i := 0; i < 400; i++ {
			if err := model.Predict(X.RawRowView(i), 0, out); err != nil {
				t.Fatal(err)
			}
			want := P.RawRowView(i)
			if classes == 2 {
				want = want[1:]
			}
			for k := range out {
				if math.Abs(out[k]-want[k]) > 1e-12 {
					t.Fatalf("%d classes, row %d: leaves %v, trainer %v", classes, i, out, P.RawRowView(i))
				}
			}
		}
	}
}

// TestLoadModelFile: LoadModel reads the LightGBM file alone.
func TestLoadModelFile(t *testing.T) {
	X, y, cfg := synth(300, 2, false, 2)
	m := NewRandomForest(ForestParams{Trees: 4, Criterion: "gini", MinSamplesLeaf: 3, Bootstrap: true, MaxBins: 255}, cfg)
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WriteModel(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	P, _ := m.PredictProba(X)
	Q, err := s.PredictProba(X)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.EqualApprox(P, Q, 1e-12) {
		t.Error("forest read back by LoadModel scores differently")
	}
	if _, err := s.PredictProba(mat.NewDense(2, 3, nil)); err == nil {
		t.Error("scoring a matrix with the wrong column count: no error")
	}
	if _, err := LoadModel(filepath.Join(t.TempDir(), "missing.txt")); err == nil {
		t.Error("loading a missing file: no error")
	}
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("tree\nversion=v4\n\n"), 0o644)
	if _, err := LoadModel(bad); err == nil {
		t.Error("loading a v4 file: no error")
	}
}

// TestBlockedScoring: batches of at least minBlockedRows rows go through
// the model's blocks of trees; they agree with the trainer and with the
// whole model scoring one row at a time to 1e-12, for sums (GBDT, binary
// and multiclass) and averages (forests), over several row chunks.
func TestBlockedScoring(t *testing.T) {
	for _, classes := range []int{2, 3} {
		X, y, cfg := synth(600, classes, true, 31)
		Xt, _, _ := synth(2*blockRows+100, classes, true, 32)
		Xt.Set(0, 5, math.NaN())
		for name, m := range map[string]model{
			"gbdt": NewGBDT(GBDTParams{Rounds: 40, LearningRate: 0.1, NumLeaves: 15, MinDataInLeaf: 5, L2: 1,
				MaxBins: 255, Binning: BinQuantile, CategoricalSplits: true}, cfg),
			"random_forest": NewRandomForest(ForestParams{Trees: 37, Criterion: "gini", MinSamplesLeaf: 1,
				Bootstrap: true, MaxBins: 255, CategoricalSplits: true}, cfg),
		} {
			s := fitSaveLoad(t, m, X, y, 2)
			if len(s.blocks) < 3 {
				t.Fatalf("%s/%d: %d blocks, want several", name, classes, len(s.blocks))
			}
			P, _ := m.PredictProba(Xt)
			Q, err := s.PredictProba(Xt)
			if err != nil {
				t.Fatal(err)
			}
			if !mat.EqualApprox(P, Q, 1e-12) {
				t.Errorf("%s/%d classes: blocked scoring differs from the trainer", name, classes)
			}
			for _, i := range []int{0, 1, blockRows, 2*blockRows + 99} {
				R, err := s.PredictProba(Xt.Slice(i, i+1, 0, Xt.RawMatrix().Cols).(*mat.Dense))
				if err != nil {
					t.Fatal(err)
				}
				for k := 0; k < classes; k++ {
					if d := math.Abs(R.At(0, k) - Q.At(i, k)); d > 1e-12 {
						t.Errorf("%s/%d classes, row %d: one row %v, in a batch %v", name, classes, i, R.RawRowView(0), Q.RawRowView(i))
					}
				}
			}
		}
	}
}

// fitSaveLoad fits m on X, y, saves it and loads it back for scoring on
// workers goroutines.
func fitSaveLoad(t testing.TB, m model, X *mat.Dense, y []int, workers int) *Scorer {
	t.Helper()
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Save(dir, m.Ensemble()); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir, workers)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
