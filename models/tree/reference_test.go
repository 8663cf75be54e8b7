package tree

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"slices"
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

// TestQuantileCutsMatchXGBoost checks BinQuantile's cut rule against
// XGBoost 1.7.4 (testdata/xgb_cuts.json, made by xgb_reference.py cuts):
// every threshold XGBoost's hist trees split on must be one of our cuts,
// and its trees use nearly all of them, so the two sets are compared
// almost whole.
func TestQuantileCutsMatchXGBoost(t *testing.T) {
	data, err := os.ReadFile("testdata/xgb_cuts.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Columns []string                        `json:"columns"`
		X       [][]float64                     `json:"X"`
		Splits  map[string]map[string][]float64 `json:"splits"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Splits) == 0 {
		t.Fatal("no reference splits")
	}
	for bins, per := range ref.Splits {
		maxBins, _ := strconv.Atoi(bins)
		for j, name := range ref.Columns {
			f := numericFeature(slices.Clone(ref.X[j]), false, maxBins, BinQuantile)
			if !f.atCuts {
				t.Fatalf("%s: quantile feature not marked atCuts", name)
			}
			ours := map[float64]bool{}
			for _, u := range f.upper[:len(f.upper)-1] {
				ours[math.Nextafter(u, math.Inf(1))] = true
			}
			if len(f.upper) > maxBins {
				t.Errorf("max_bin %d, %s: %d bins", maxBins, name, len(f.upper))
			}
			xgb := per[strconv.Itoa(j)]
			for _, s := range xgb {
				if !ours[s] {
					t.Errorf("max_bin %d, %s: XGBoost splits at %v, not one of our %d cuts", maxBins, name, s, len(ours))
				}
			}
			if len(xgb) < len(ours)*3/4 {
				t.Errorf("max_bin %d, %s: XGBoost used %d of our %d cuts: too few to compare", maxBins, name, len(xgb), len(ours))
			}
			t.Logf("max_bin %d, %-10s: %2d cuts, XGBoost split on %2d of them", maxBins, name, len(ours), len(xgb))
		}
	}
}
