package models

import (
	"context"
	"fmt"
	"testing"
)

// go test -run '^$' -bench . -benchtime 3x ./models

func BenchmarkLogisticFit(b *testing.B) {
	X, y := synthetic(11, 50000, 40, 2)
	X3, y3 := synthetic(12, 50000, 40, 3)
	for _, tc := range []struct {
		name    string
		pen     string
		classes int
	}{{"l2_binary", "l2", 2}, {"l2_3class", "l2", 3}, {"l1_binary", "l1", 2}, {"l1_3class", "l1", 3}} {
		b.Run(fmt.Sprintf("%s_50000x40", tc.name), func(b *testing.B) {
			Xb, yb := X, y
			if tc.classes == 3 {
				Xb, yb = X3, y3
			}
			var iter int
			for b.Loop() {
				m := NewLogistic(LogisticParams{C: 1, Penalty: tc.pen}, Setup{Classes: tc.classes})
				if err := m.Fit(context.Background(), Xb, yb, nil); err != nil {
					b.Fatal(err)
				}
				iter = m.State.Iter
			}
			b.ReportMetric(float64(iter), "iters")
		})
	}
}

func BenchmarkKNNPredict(b *testing.B) {
	Xtr, ytr := synthetic(13, 20000, 40, 2)
	Xq, _ := synthetic(14, 2000, 40, 2)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("2000x20000x40_k15_workers%d", workers), func(b *testing.B) {
			m := NewKNN(KNNParams{K: 15, Weights: "distance", Metric: "euclidean"}, Setup{Classes: 2, Workers: workers})
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

func BenchmarkBayesFitPredict(b *testing.B) {
	X, y := synthetic(15, 50000, 40, 3)
	for b.Loop() {
		m := NewBayes(NaiveBayesParams{Kind: "gaussian", VarSmoothing: 1e-9}, Setup{Classes: 3})
		if err := m.Fit(context.Background(), X, y, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := m.PredictProba(X); err != nil {
			b.Fatal(err)
		}
	}
}
