package explain

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/preprocess"
)

func TestGroupsAndSum(t *testing.T) {
	feats := []preprocess.Feature{{Name: "age", Source: 0}, {Name: "city=a", Source: 1}, {Name: "city=b", Source: 1},
		{Name: "when_year", Source: 2}, {Name: "when_month", Source: 2}, {Name: "city=c", Source: 1}}
	g, err := Groups(feats, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{0}, {1, 2, 5}, {3, 4}}
	for i := range want {
		if len(g[i]) != len(want[i]) {
			t.Fatalf("groups %v, want %v", g, want)
		}
		for k := range want[i] {
			if g[i][k] != want[i][k] {
				t.Fatalf("groups %v, want %v", g, want)
			}
		}
	}
	phi := mat.NewDense(2, 6, []float64{1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6})
	got := Sum(phi, g)
	if !mat.Equal(got, mat.NewDense(2, 3, []float64{1, 11, 9, -1, -11, -9})) {
		t.Errorf("sum %v", mat.Formatted(got))
	}
	imp := MeanAbs([]*mat.Dense{got, got})
	if imp[0] != 2 || imp[1] != 22 || imp[2] != 18 {
		t.Errorf("mean |SHAP| over two outputs %v, want [2 22 18]", imp)
	}
	if _, err := Groups([]preprocess.Feature{{Name: "x", Source: 4}}, 3); err == nil {
		t.Error("a feature from an unknown input gave no error")
	}
}

func TestPermutationImportance(t *testing.T) {
	X, y := logisticData(600, 11)
	m := fitLogistic(t, X, y)
	auc := func(y []int, P *mat.Dense) float64 { return metrics.ROCAUC(y, mat.Col(nil, 1, P), 1) }
	groups := [][]int{{0}, {1}, {2}, {3}, {4}, {5}}
	run := func(seed uint64) *Permutation {
		p, err := PermutationImportance(context.Background(), m.PredictProba, X, y, groups, auc, 4, seed)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := run(1)
	if want := auc(y, must(m.PredictProba(X))); p.Baseline != want {
		t.Errorf("baseline %v, want the unshuffled AUC %v", p.Baseline, want)
	}
	// Column 1 (coefficient -2, largest spread) matters most; column 3 has
	// a zero coefficient in the generating model.
	for j := range 6 {
		if j != 1 && p.Mean[j] >= p.Mean[1] {
			t.Errorf("column %d importance %.4f >= column 1's %.4f", j, p.Mean[j], p.Mean[1])
		}
	}
	if math.Abs(p.Mean[3]) > 0.01 {
		t.Errorf("column without effect has importance %.4f", p.Mean[3])
	}
	q := run(1)
	for j := range 6 {
		if p.Mean[j] != q.Mean[j] || p.Std[j] != q.Std[j] {
			t.Fatal("same seed, different importances")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := PermutationImportance(ctx, m.PredictProba, X, y, groups, auc, 2, 1); err == nil {
		t.Error("cancelled context gave no error")
	}
	if _, err := PermutationImportance(context.Background(), m.PredictProba, X, y[:5], groups, auc, 2, 1); err == nil {
		t.Error("mismatched labels gave no error")
	}
}

func must(P *mat.Dense, err error) *mat.Dense {
	if err != nil {
		panic(err)
	}
	return P
}
