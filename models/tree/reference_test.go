package tree

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// readWine reads testdata/wine.csv (features, then the class index).
func readWine(t testing.TB) (*mat.Dense, []int) {
	f, err := os.Open("testdata/wine.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	recs = recs[1:]
	d := len(recs[0]) - 1
	X := mat.NewDense(len(recs), d, nil)
	y := make([]int, len(recs))
	for i, r := range recs {
		for j := 0; j < d; j++ {
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				t.Fatal(err)
			}
			X.Set(i, j, v)
		}
		y[i], _ = strconv.Atoi(r[d])
	}
	return X, y
}

// TestDecisionTreeMatchesSklearn compares with scikit-learn's
// DecisionTreeClassifier (testdata/sklearn_dt.json, made by
// sklearn_reference.py) on wine, where every distinct value has its own
// bin so the thresholds are the same midpoints.
func TestDecisionTreeMatchesSklearn(t *testing.T) {
	X, y := readWine(t)
	data, err := os.ReadFile("testdata/sklearn_dt.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Settings []struct {
			Criterion      string      `json:"criterion"`
			MaxDepth       int         `json:"max_depth"`
			MinSamplesLeaf int         `json:"min_samples_leaf"`
			Leaves         int         `json:"leaves"`
			Proba          [][]float64 `json:"proba"`
		} `json:"settings"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	for _, s := range ref.Settings {
		m := NewDecisionTree(TreeParams{Criterion: s.Criterion, MaxDepth: s.MaxDepth,
			MinSamplesLeaf: s.MinSamplesLeaf, MaxBins: 255}, Config{Classes: 3, Workers: 1})
		if err := m.Fit(context.Background(), X, y, nil); err != nil {
			t.Fatal(err)
		}
		leaves := 0
		for _, n := range m.Ensemble().Trees[0].Nodes {
			if n.IsLeaf() {
				leaves++
			}
		}
		if leaves != s.Leaves {
			t.Errorf("%s depth %d: %d leaves, sklearn has %d", s.Criterion, s.MaxDepth, leaves, s.Leaves)
		}
		P, err := m.PredictProba(X)
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range s.Proba {
			for k, want := range row {
				if got := P.At(i, k); math.Abs(got-want) > 1e-12 {
					t.Fatalf("%s depth %d row %d class %d: P = %v, sklearn %v", s.Criterion, s.MaxDepth, i, k, got, want)
				}
			}
		}
	}
}
