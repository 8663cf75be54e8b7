package logistic

import (
	"context"
	"fmt"
	"testing"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/modelstest"
)

// go test -run '^$' -bench . -benchtime 3x ./models/logistic

func BenchmarkLogisticFit(b *testing.B) {
	X, y := modelstest.Synthetic(11, 50000, 40, 2)
	X3, y3 := modelstest.Synthetic(12, 50000, 40, 3)
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
				m := New(Params{C: 1, Penalty: tc.pen}, models.Setup{Classes: tc.classes})
				if err := m.Fit(context.Background(), Xb, yb, nil); err != nil {
					b.Fatal(err)
				}
				iter = m.State.Iter
			}
			b.ReportMetric(float64(iter), "iters")
		})
	}
}
