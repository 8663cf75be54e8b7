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

// TestQuantileCutsMatchXGBoost checks BinQuantile's cuts against XGBoost
// 1.7.4 (testdata/xgb_cuts.json, made by xgb_reference.py cuts) on columns
// short enough for XGBoost to summarise exactly (500 rows) and long enough
// to go through its streaming merges (20,000 rows): every threshold
// XGBoost's hist trees split on must be one of our cuts, and its trees use
// nearly all of them, so the two sets are compared almost whole.
func TestQuantileCutsMatchXGBoost(t *testing.T) {
	data, err := os.ReadFile("testdata/xgb_cuts.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Sets []struct {
			Rows    int                             `json:"rows"`
			Columns []string                        `json:"columns"`
			X       [][]float64                     `json:"X"`
			Splits  map[string]map[string][]float64 `json:"splits"`
		} `json:"sets"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Sets) != 2 {
		t.Fatalf("%d reference sets, want 2", len(ref.Sets))
	}
	for _, set := range ref.Sets {
		for bins, per := range set.Splits {
			maxBins, _ := strconv.Atoi(bins)
			for j, name := range set.Columns {
				if len(set.X[j]) != set.Rows {
					t.Fatalf("%s: %d values, want %d", name, len(set.X[j]), set.Rows)
				}
				f := numericFeature(slices.Clone(set.X[j]), false, maxBins, BinQuantile)
				if !f.atCuts {
					t.Fatalf("%s: quantile feature not marked atCuts", name)
				}
				ours := map[float64]bool{}
				for _, u := range f.upper[:len(f.upper)-1] {
					ours[math.Nextafter(u, math.Inf(1))] = true
				}
				if len(f.upper) > maxBins {
					t.Errorf("%d rows, max_bin %d, %s: %d bins", set.Rows, maxBins, name, len(f.upper))
				}
				xgb := per[strconv.Itoa(j)]
				for _, s := range xgb {
					if !ours[s] {
						t.Errorf("%d rows, max_bin %d, %s: XGBoost splits at %v, not one of our %d cuts", set.Rows, maxBins, name, s, len(ours))
					}
				}
				if len(xgb) < len(ours)*3/4 {
					t.Errorf("%d rows, max_bin %d, %s: XGBoost used %d of our %d cuts: too few to compare", set.Rows, maxBins, name, len(xgb), len(ours))
				}
				t.Logf("%5d rows, max_bin %3d, %-10s: %3d cuts, XGBoost split on %3d of them", set.Rows, maxBins, name, len(ours), len(xgb))
			}
		}
	}
}
