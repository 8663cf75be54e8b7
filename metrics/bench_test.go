package metrics

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// benchData draws n rows of k-class probabilities that lean towards the
// true class, rounded to 1e-3 so that scores tie as real model outputs do.
func benchData(n, k int) ([]int, *mat.Dense) {
	r := rand.New(rand.NewPCG(7, uint64(k)))
	y := make([]int, n)
	P := mat.NewDense(n, k, nil)
	for i := range n {
		y[i] = r.IntN(k)
		row := P.RawRowView(i)
		total := 0.0
		for j := range row {
			row[j] = r.Float64()
			if j == y[i] {
				row[j] += 0.5
			}
			total += row[j]
		}
		for j := range row {
			row[j] = float64(int(row[j]/total*1000)) / 1000
		}
	}
	return y, P
}

func BenchmarkROCAUC(b *testing.B) {
	const n = 100_000
	y, P := benchData(n, 2)
	score := mat.Col(nil, 1, P)
	b.ResetTimer()
	for b.Loop() {
		ROCAUC(y, score, 1)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkEvaluate(b *testing.B) {
	const n = 100_000
	for _, k := range []int{2, 5} {
		b.Run(fmt.Sprintf("classes=%d", k), func(b *testing.B) {
			y, P := benchData(n, k)
			b.ResetTimer()
			for b.Loop() {
				Evaluate(y, P, 1)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkValue rates by one metric, as the ensemble selection does for
// every blend it tries; compare with BenchmarkEvaluate, which computes all.
func BenchmarkValue(b *testing.B) {
	const n = 5000 // the ensemble selection's most rows
	for _, k := range []int{2, 5} {
		y, P := benchData(n, k)
		for _, name := range []string{"log_loss", "accuracy", "f1", "roc_auc", "all"} {
			b.Run(fmt.Sprintf("classes=%d/%s", k, name), func(b *testing.B) {
				for b.Loop() {
					if name == "all" {
						Evaluate(y, P, 1)
					} else {
						Value(name, y, P, 1)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
