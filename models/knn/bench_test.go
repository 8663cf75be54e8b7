package knn

import (
	"context"
	"fmt"
	"testing"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/modelstest"
)

// go test -run '^$' -bench . -benchtime 3x ./models/knn

func BenchmarkKNNPredict(b *testing.B) {
	Xtr, ytr := modelstest.Synthetic(13, 20000, 40, 2)
	Xq, _ := modelstest.Synthetic(14, 2000, 40, 2)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("2000x20000x40_k15_workers%d", workers), func(b *testing.B) {
			m := New(Params{K: 15, Weights: "distance", Metric: "euclidean"}, models.Setup{Classes: 2, Workers: workers})
			if err := m.Fit(context.Background(), Xtr, ytr, nil); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := m.PredictProba(Xq); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
