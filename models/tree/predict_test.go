package tree

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestBlockScoringSameBits: PredictProba over many rows (trees laid out
// flat, applied a block at a time) gives the same bits as scoring row by
// row through Raw, for boosted and averaged ensembles, binary and
// multiclass, with missing values and native categorical splits.
func TestBlockScoringSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n, d = 3000, 6
	X := mat.NewDense(n, d, nil)
	y2, y3 := make([]int, n), make([]int, n)
	for i := range n {
		x := X.RawRowView(i)
		for j := range d {
			x[j] = rng.NormFloat64()
			if rng.IntN(20) == 0 {
				x[j] = math.NaN()
			}
		}
		x[5] = float64(rng.IntN(7)) // a categorical column of 7 codes
		s := x[0] + x[1]*x[2] + 0.5*x[5] + rng.NormFloat64()
		if s > 1 {
			y2[i] = 1
		}
		y3[i] = min(2, max(0, int(s+1.5)))
	}
	cfg := func(classes int) Config {
		return Config{Classes: classes, Categorical: []bool{false, false, false, false, false, true},
			Cardinality: []int{0, 0, 0, 0, 0, 7}, Seed: 5, Workers: 2}
	}
	type fitter interface {
		Fit(context.Context, *mat.Dense, []int, []float64) error
		Ensemble() *Ensemble
	}
	for name, c := range map[string]struct {
		m fitter
		y []int
	}{
		"gbdt binary":     {NewGBDT(GBDTParams{Rounds: 40, LearningRate: 0.1, NumLeaves: 15, MinDataInLeaf: 10, L2: 1, MaxBins: 63, CategoricalSplits: true}, cfg(2)), y2},
		"gbdt multiclass": {NewGBDT(GBDTParams{Rounds: 20, LearningRate: 0.1, NumLeaves: 15, MinDataInLeaf: 10, L2: 1, MaxBins: 63}, cfg(3)), y3},
		"random forest":   {NewRandomForest(ForestParams{Trees: 30, Criterion: "gini", MinSamplesLeaf: 1, Bootstrap: true, MaxBins: 255, CategoricalSplits: true}, cfg(3)), y3},
	} {
		if err := c.m.Fit(context.Background(), X, c.y, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		e := c.m.Ensemble()
		got, err := e.PredictProba(X, 2)
		if err != nil {
			t.Fatal(err)
		}
		raw := make([]float64, e.Outputs)
		want := make([]float64, e.Classes)
		cats := 0
		for _, tr := range e.Trees {
			for _, nd := range tr.Nodes {
				if nd.Categorical {
					cats++
				}
			}
		}
		for i := range n {
			e.Raw(X.RawRowView(i), raw)
			e.Proba(raw, want)
			for k, w := range want {
				if g := got.At(i, k); math.Float64bits(g) != math.Float64bits(w) {
					t.Fatalf("%s: row %d class %d: block scoring %v, row by row %v", name, i, k, g, w)
				}
			}
		}
		if name != "gbdt multiclass" && cats == 0 {
			t.Errorf("%s: no categorical split: the test does not cover them", name)
		}
	}
}

// benchForest is a 100-tree forest of unlimited depth grown on 10,000
// rows of 20 columns (a trial on a sample of a large table).
func benchForest(b *testing.B) *Ensemble {
	X, y := benchData(10000, 20)
	m := NewRandomForest(ForestParams{Trees: 100, Criterion: "gini", MinSamplesLeaf: 1, Bootstrap: true, MaxBins: 255}, Config{Classes: 2, Workers: 2})
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		b.Fatal(err)
	}
	return m.Ensemble()
}

// BenchmarkPredictForest scores 50,000 rows (a sampled search's validation
// rows) with a 100-tree forest of unlimited depth grown on 10,000 rows, on
// one goroutine: PredictProba (blocks of flat trees) against the row-by-row
// walk of the Nodes it replaced, as the reference.
func BenchmarkPredictForest(b *testing.B) {
	e := benchForest(b)
	V, _ := benchData(50000, 20)
	b.Run("blocks", func(b *testing.B) {
		for b.Loop() {
			e.PredictProba(V, 1)
		}
		b.ReportMetric(float64(50000*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("rows", func(b *testing.B) {
		raw, p := make([]float64, e.Outputs), make([]float64, e.Classes)
		for b.Loop() {
			for i := range 50000 {
				e.Raw(V.RawRowView(i), raw)
				e.Proba(raw, p)
			}
		}
		b.ReportMetric(float64(50000*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkSaveForest writes the bundle files of a 100-tree forest of
// unlimited depth grown on 10,000 rows (a trial on a sample of a large
// table): Save (the LightGBM text gzipped, the view's head), the text
// alone and the head alone. bundle-MB is the size of the files Save leaves.
func BenchmarkSaveForest(b *testing.B) {
	e := benchForest(b)
	dir := b.TempDir()
	b.Run("save", func(b *testing.B) {
		for b.Loop() {
			if err := Save(dir, e); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(dirMB(b, dir), "bundle-MB")
	})
	b.Run("lightgbm-text", func(b *testing.B) {
		for b.Loop() {
			if err := e.WriteLightGBM(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("head", func(b *testing.B) {
		for b.Loop() {
			if err := json.NewEncoder(io.Discard).Encode(headOf(e)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoadForest loads the bundle of the forest of BenchmarkSaveForest
// for scoring (Load) and then for an explainer (Load and Ensemble).
func BenchmarkLoadForest(b *testing.B) {
	e := benchForest(b)
	dir := b.TempDir()
	if err := Save(dir, e); err != nil {
		b.Fatal(err)
	}
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			if _, err := Load(dir, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("load+ensemble", func(b *testing.B) {
		for b.Loop() {
			s, err := Load(dir, 1)
			if err != nil {
				b.Fatal(err)
			}
			if s.Ensemble(); s.EnsembleError() != nil {
				b.Fatal(s.EnsembleError())
			}
		}
	})
}

// dirMB is the size of the files in dir, in MB.
func dirMB(b *testing.B, dir string) float64 {
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	for _, ent := range ents {
		fi, err := ent.Info()
		if err != nil {
			b.Fatal(err)
		}
		size += fi.Size()
	}
	return float64(size) / 1e6
}
