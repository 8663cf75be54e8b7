package explain

import (
	"context"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models/tree"
)

// BenchmarkTreeSHAP explains 1,000 rows of a 200-round, 31-leaf binary
// GBDT (the target: at most 1 s on the 2-core build machine).
func BenchmarkTreeSHAP(b *testing.B) {
	X, y := synth(3000, 2, 9)
	cfg := tree.Config{Classes: 2, Categorical: []bool{false, false, false, false, false, true, false},
		Cardinality: []int{0, 0, 0, 0, 0, 6, 0}, Seed: 1, Workers: 2}
	m := tree.NewGBDT(tree.GBDTParams{Rounds: 200, LearningRate: 0.05, NumLeaves: 31, Growth: "leafwise",
		MinDataInLeaf: 5, L2: 1, MaxBins: 255, CategoricalSplits: true}, cfg)
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		b.Fatal(err)
	}
	e := m.Ensemble()
	leaves := 0
	for _, t := range e.Trees {
		for _, n := range t.Nodes {
			if n.Left < 0 {
				leaves++
			}
		}
	}
	ex, err := NewTreeExplainer(e)
	if err != nil {
		b.Fatal(err)
	}
	X1k := mat.DenseCopyOf(X.Slice(0, 1000, 0, 7))
	b.ResetTimer()
	cpu := cpuSeconds()
	for b.Loop() {
		if _, err := ex.Explain(X1k, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(len(e.Trees)), "trees")
	b.ReportMetric(float64(leaves)/float64(len(e.Trees)), "leaves/tree")
	b.ReportMetric(float64(ex.maxDepth), "max_depth")
	b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSampler explains 20 rows of a logistic regression over 6
// columns with 10 permutation pairs against 100 background rows.
func BenchmarkSampler(b *testing.B) {
	X, y := logisticData(500, 1)
	m := fitLogistic(b, X, y)
	s := Sampler{Background: Background(X, 100, 1), Permutations: 10, Seed: 1}
	rows := mat.DenseCopyOf(X.Slice(0, 20, 0, 6))
	for b.Loop() {
		if _, err := s.Explain(context.Background(), m.PredictProba, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(20*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkTreeSHAPRow explains one row at a time on one goroutine (the
// per-row cost, free of scheduling).
func BenchmarkTreeSHAPRow(b *testing.B) {
	X, y := synth(3000, 2, 9)
	cfg := tree.Config{Classes: 2, Categorical: []bool{false, false, false, false, false, true, false},
		Cardinality: []int{0, 0, 0, 0, 0, 6, 0}, Seed: 1, Workers: 2}
	m := tree.NewGBDT(tree.GBDTParams{Rounds: 200, LearningRate: 0.05, NumLeaves: 31, Growth: "leafwise",
		MinDataInLeaf: 5, L2: 1, MaxBins: 255, CategoricalSplits: true}, cfg)
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		b.Fatal(err)
	}
	ex, err := NewTreeExplainer(m.Ensemble())
	if err != nil {
		b.Fatal(err)
	}
	phi := [][]float64{make([]float64, 7)}
	var scratch []step
	i := 0
	for b.Loop() {
		scratch = ex.Row(X.RawRowView(i%1000), phi, scratch)
		i++
	}
}
