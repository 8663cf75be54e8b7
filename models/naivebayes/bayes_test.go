package naivebayes

import (
	"context"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/modelstest"
)

func TestBayesEmptyClass(t *testing.T) {
	X, y := modelstest.Synthetic(6, 200, 3, 2)
	m := New(Params{Kind: "gaussian", VarSmoothing: 1e-9}, models.Setup{Classes: 3})
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	P, err := m.PredictProba(X)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if P.At(i, 2) != 0 || math.IsNaN(P.At(i, 0)) || math.Abs(P.At(i, 0)+P.At(i, 1)-1) > 1e-12 {
			t.Fatalf("row %d: %v", i, P.RawRowView(i))
		}
	}
}

// TestBadCode checks that a category code outside 0..cardinality-1 is
// reported with its row and column.
func TestBadCode(t *testing.T) {
	X, y := modelstest.Synthetic(1, 30, 3, 2)
	s := models.Setup{Classes: 2, Categorical: []bool{false, false, true}, Cardinality: []int{0, 0, 3}}
	codes := mat.DenseCopyOf(X)
	for i := 0; i < 30; i++ {
		codes.Set(i, 2, float64(i%3))
	}
	m := New(Params{Kind: "categorical", Alpha: 1}, s)
	if err := m.Fit(context.Background(), codes, y, nil); err != nil {
		t.Fatal(err)
	}
	codes.Set(7, 2, 3)
	if _, err := m.PredictProba(codes); err == nil || !strings.Contains(err.Error(), "row 7, column 2: category code 3") {
		t.Errorf("bad code: %v", err)
	}
}
