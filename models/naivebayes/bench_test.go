package naivebayes

import (
	"context"
	"testing"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/modelstest"
)

// go test -run '^$' -bench . -benchtime 3x ./models/naivebayes

func BenchmarkBayesFitPredict(b *testing.B) {
	X, y := modelstest.Synthetic(15, 50000, 40, 3)
	for b.Loop() {
		m := New(Params{Kind: "gaussian", VarSmoothing: 1e-9}, models.Setup{Classes: 3})
		if err := m.Fit(context.Background(), X, y, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := m.PredictProba(X); err != nil {
			b.Fatal(err)
		}
	}
}
