package models

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Reference outputs come from testdata/make_reference.py (scikit-learn
// 1.2.1); see testdata/README.md.

type refCase struct {
	Name     string         `json:"name"`
	Data     string         `json:"data"`
	Weighted bool           `json:"weighted"`
	Classes  int            `json:"classes"`
	Params   map[string]any `json:"params"`
	Proba    string         `json:"proba"`
	TestAUC  float64        `json:"test_auc"`
}

type refManifest struct {
	GermanMixed struct {
		Numeric     int   `json:"numeric"`
		Cardinality []int `json:"cardinality"`
	} `json:"german_mixed"`
	Cases []refCase `json:"cases"`
}

type refData struct {
	Xtr, Xte *mat.Dense
	ytr, yte []int
	w        []float64
	setup    Setup
}

func readCSV(t testing.TB, name string) *mat.Dense {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "ref", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	m := mat.NewDense(len(recs), len(recs[0]), nil)
	for i, r := range recs {
		for j, s := range r {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s row %d col %d: %v", name, i, j, err)
			}
			m.Set(i, j, v)
		}
	}
	return m
}

func labels(m *mat.Dense) []int {
	n, _ := m.Dims()
	y := make([]int, n)
	for i := range y {
		y[i] = int(m.At(i, 0))
	}
	return y
}

func loadManifest(t testing.TB) refManifest {
	t.Helper()
	b, err := os.ReadFile("testdata/ref/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m refManifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func loadRefData(t testing.TB, man refManifest, name string, classes int) refData {
	t.Helper()
	file := name
	if name == "german_codes" {
		file = "german_mixed"
	}
	d := refData{
		Xtr: readCSV(t, file+"_X_train.csv"), Xte: readCSV(t, file+"_X_test.csv"),
		ytr: labels(readCSV(t, file+"_y_train.csv")), yte: labels(readCSV(t, file+"_y_test.csv")),
		w: readCSV(t, file+"_w_train.csv").RawMatrix().Data,
	}
	d.setup = Setup{Classes: classes, Workers: 2}
	_, p := d.Xtr.Dims()
	switch name {
	case "german_mixed":
		nn := man.GermanMixed.Numeric
		d.setup.Categorical = make([]bool, p)
		d.setup.Cardinality = make([]int, p)
		for j := nn; j < p; j++ {
			d.setup.Categorical[j] = true
			d.setup.Cardinality[j] = man.GermanMixed.Cardinality[j-nn]
		}
	case "german_codes":
		nn := man.GermanMixed.Numeric
		d.Xtr = mat.DenseCopyOf(d.Xtr.Slice(0, d.Xtr.RawMatrix().Rows, nn, p))
		d.Xte = mat.DenseCopyOf(d.Xte.Slice(0, d.Xte.RawMatrix().Rows, nn, p))
		d.setup.Categorical = make([]bool, p-nn)
		d.setup.Cardinality = append([]int(nil), man.GermanMixed.Cardinality...)
		for j := range d.setup.Categorical {
			d.setup.Categorical[j] = true
		}
	}
	return d
}

// specOf turns a manifest case into a Spec, and the tolerance on
// probabilities the family is held to.
func specOf(c refCase) (Spec, float64) {
	p := c.Params
	switch Family(p["family"].(string)) {
	case Logistic:
		// Both sides are solved far below the default tolerance, so they
		// agree on the unique optimum to what the solvers' stopping
		// rules allow.
		lp := &LogisticParams{C: p["c"].(float64), Penalty: p["penalty"].(string), MaxIter: 100000, Tol: 1e-10}
		// newton-cg (tol 1e-8) reaches the L2 optimum: we agree to 1e-7.
		tol := 1e-6
		// saga at tol 1e-10 against OWL-QN at 1e-10: we agree to 1.5e-7.
		if p["solver"] == "lbfgs" {
			// scipy's L-BFGS-B stops on a relative objective change of
			// 64 eps, with a max gradient of up to 7e-6 here.
			tol = 5e-4
		}
		return Spec{Family: Logistic, Logistic: lp}, tol
	case KNN:
		return Spec{Family: KNN, KNN: &KNNParams{K: int(p["k"].(float64)), Weights: p["weights"].(string),
			Metric: "euclidean"}}, 1e-9
	case NaiveBayes:
		np := &NaiveBayesParams{Kind: p["kind"].(string)}
		if v, ok := p["var_smoothing"]; ok {
			np.VarSmoothing = v.(float64)
		}
		if v, ok := p["alpha"]; ok {
			np.Alpha = v.(float64)
		}
		return Spec{Family: NaiveBayes, NaiveBayes: np}, 1e-9
	}
	panic(fmt.Sprintf("unknown family in %v", p))
}

func TestReference(t *testing.T) {
	man := loadManifest(t)
	cache := map[string]refData{}
	for _, c := range man.Cases {
		t.Run(c.Name, func(t *testing.T) {
			d, ok := cache[c.Data]
			if !ok {
				d = loadRefData(t, man, c.Data, c.Classes)
				cache[c.Data] = d
			}
			spec, tol := specOf(c)
			m, err := spec.New(d.setup)
			if err != nil {
				t.Fatal(err)
			}
			var w []float64
			if c.Weighted {
				w = d.w
			}
			if err := m.Fit(context.Background(), d.Xtr, d.ytr, w); err != nil {
				t.Fatal(err)
			}
			P, err := m.PredictProba(d.Xte)
			if err != nil {
				t.Fatal(err)
			}
			want := readCSV(t, c.Proba)
			diff := maxAbsDiff(P, want)
			if diff > tol {
				t.Errorf("max |p - sklearn| = %.3g, want <= %g", diff, tol)
			}
			if auc := testAUC(d.yte, P); math.Abs(auc-c.TestAUC) > 1e-6 {
				t.Errorf("test AUC %.9f, sklearn %.9f", auc, c.TestAUC)
			}
			if testing.Verbose() {
				t.Logf("%s: max |p - sklearn| = %.3g", c.Name, diff)
			}
		})
	}
}

func maxAbsDiff(a, b *mat.Dense) float64 {
	ra, ca := a.Dims()
	rb, cb := b.Dims()
	if ra != rb || ca != cb {
		return math.Inf(1)
	}
	m := 0.0
	for i := 0; i < ra; i++ {
		for j := 0; j < ca; j++ {
			m = math.Max(m, math.Abs(a.At(i, j)-b.At(i, j)))
		}
	}
	return m
}

// testAUC is ROC AUC (binary: column 1) or one-vs-rest macro AUC, with
// tied scores counted half, as scikit-learn's roc_auc_score.
func testAUC(y []int, P *mat.Dense) float64 {
	_, k := P.Dims()
	if k == 2 {
		return binaryAUC(y, mat.Col(nil, 1, P), 1)
	}
	s := 0.0
	for c := 0; c < k; c++ {
		s += binaryAUC(y, mat.Col(nil, c, P), c)
	}
	return s / float64(k)
}

func binaryAUC(y []int, score []float64, pos int) float64 {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	// Mann-Whitney U with average ranks for ties.
	rankSum, nPos := 0.0, 0
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2
		for _, r := range idx[i:j] {
			if y[r] == pos {
				rankSum += avg
				nPos++
			}
		}
		i = j
	}
	nNeg := len(y) - nPos
	return (rankSum - float64(nPos*(nPos+1))/2) / float64(nPos*nNeg)
}
