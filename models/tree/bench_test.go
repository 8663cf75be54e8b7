package tree

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// benchData is a dense numeric problem of n rows and d columns.
func benchData(n, d int) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(3, 4))
	X := mat.NewDense(n, d, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		x := X.RawRowView(i)
		for j := range x {
			x[j] = rng.NormFloat64()
		}
		if x[0]+x[1]*x[2]+rng.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	return X, y
}

func BenchmarkBinning(b *testing.B) {
	X, _ := benchData(50000, 20)
	for _, binning := range []string{BinQuantile, BinGreedy} {
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", binning, w), func(b *testing.B) {
				for b.Loop() {
					newBinned(X, Config{Classes: 2}, 255, binning, false, false, w)
				}
				b.ReportMetric(float64(50000*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// gradGrower returns a boosting grower over X with log-loss gradients at 0.
func gradGrower(X *mat.Dense, y []int, workers int) *grower {
	d := newBinned(X, Config{Classes: 2}, 255, BinQuantile, false, false, workers)
	g := newGrower(d, growParams{maxLeaves: 31, minCount: 20, l2: 1, leafwise: true}, modeGrad, 2, workers)
	g.g, g.h = make([]float64, len(y)), make([]float64, len(y))
	for i, c := range y {
		g.g[i], g.h[i] = 0.5-float64(c), 0.25
	}
	return g
}

// BenchmarkHistogram builds gradient histograms on 100,000 rows (bin
// counts estimated from hessians) and on 20,000 (counted exactly: a third
// slot per bin, see exactCountRows).
func BenchmarkHistogram(b *testing.B) {
	for _, n := range []int{100000, exactCountRows} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) { benchHistogram(b, n) })
	}
}

func benchHistogram(b *testing.B, n int) {
	X, y := benchData(n, 50)
	for _, w := range []int{1, 2} {
		g := gradGrower(X, y, w)
		feats := intRange(50)
		all := make([]int32, len(y))
		for i := range all {
			all[i] = int32(i)
		}
		// a node of a third of the rows, picked at random and kept in row
		// order, as the partition leaves them in a grown tree
		var node []int32
		pick := rand.New(rand.NewPCG(5, 6))
		for i := 0; i < len(y); i++ {
			if pick.IntN(3) == 0 {
				node = append(node, int32(i))
			}
		}
		tot := []float64{0, 0, 0}
		hist := make([]float64, g.d.total*g.stride)
		b.Run(fmt.Sprintf("root/workers=%d", w), func(b *testing.B) {
			for b.Loop() {
				g.build(hist, all, tot, feats, true)
			}
			b.ReportMetric(float64(len(all)*50*b.N)/b.Elapsed().Seconds(), "bins/s")
		})
		b.Run(fmt.Sprintf("node/workers=%d", w), func(b *testing.B) {
			for b.Loop() {
				g.build(hist, node, tot, feats, false)
			}
			b.ReportMetric(float64(len(node)*50*b.N)/b.Elapsed().Seconds(), "bins/s")
		})
	}
}

func BenchmarkSplitFinding(b *testing.B) {
	X, y := benchData(100000, 50)
	g := gradGrower(X, y, 1)
	all := make([]int32, len(y))
	tot := make([]float64, 3)
	for i := range all {
		all[i] = int32(i)
		tot[0] += g.g[i]
		tot[1] += g.h[i]
	}
	tot[2] = float64(len(all))
	feats := intRange(50)
	hist := make([]float64, g.d.total*g.stride)
	g.build(hist, all, tot, feats, true)
	sp := split{lstats: make([]float64, 3), rstats: make([]float64, 3)}
	for b.Loop() {
		g.findBest(hist, all, tot, feats, &sp)
	}
	if !sp.valid() {
		b.Fatal("no split found")
	}
}

func BenchmarkPredict(b *testing.B) {
	X, y := benchData(20000, 20)
	m := NewGBDT(GBDTParams{Rounds: 100, LearningRate: 0.1, NumLeaves: 31, MinDataInLeaf: 20, L2: 1, MaxBins: 255},
		Config{Classes: 2, Workers: 2})
	s := fitSaveLoad(b, m, X, y, 1)
	b.Run("trainer/workers=1", func(b *testing.B) {
		for b.Loop() {
			m.Ensemble().PredictProba(X, 1)
		}
		b.ReportMetric(float64(20000*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("leaves/workers=1", func(b *testing.B) {
		for b.Loop() {
			s.PredictProba(X)
		}
		b.ReportMetric(float64(20000*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkScoreBlocks scores 10,000 rows with a 500-tree model through
// leaves on one goroutine: the whole model row by row, and the Scorer's
// blocks of blockTrees trees.
func BenchmarkScoreBlocks(b *testing.B) {
	X, y := benchData(10000, 20)
	m := NewGBDT(GBDTParams{Rounds: 500, LearningRate: 0.05, NumLeaves: 31, MinDataInLeaf: 20, L2: 1, MaxBins: 255,
		Binning: BinQuantile}, Config{Classes: 2, Workers: 2})
	s := fitSaveLoad(b, m, X, y, 1)
	raw := X.RawMatrix()
	pred := make([]float64, raw.Rows)
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			if err := s.model.PredictDense(raw.Data, raw.Rows, raw.Cols, pred, 0, 1); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(raw.Rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("blocks", func(b *testing.B) {
		for b.Loop() {
			if err := s.predictBlocked(raw.Data, raw.Rows, raw.Cols, pred); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(raw.Rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkPartition splits a node's rows on a bin threshold, as each
// split of a grown tree does: the root of 200,000 rows on a median cut, and
// a node of a third of them (in row order) on a cut that sends a fifth left.
func BenchmarkPartition(b *testing.B) {
	const n = 200000
	r := rand.New(rand.NewPCG(7, 8))
	col := make([]uint8, n)
	for i := range col {
		col[i] = uint8(r.IntN(255))
	}
	var all, node []int32
	for i := range int32(n) {
		all = append(all, i)
		if r.IntN(3) == 0 {
			node = append(node, i)
		}
	}
	for _, c := range []struct {
		name string
		rows []int32
		cut  int
	}{{"root", all, 127}, {"node", node, 51}} {
		var goLeft [256]bool
		for bin := range c.cut {
			goLeft[bin] = true
		}
		rows, tmp := make([]int32, len(c.rows)), make([]int32, len(c.rows))
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				copy(rows, c.rows)
				partition(rows, tmp, col, &goLeft)
			}
			b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
