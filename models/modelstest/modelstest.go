// Package modelstest holds what the model families' tests share: synthetic
// data, and the scikit-learn reference cases of models/testdata (made by
// models/testdata/make_reference.py; see its README) with a runner that
// checks one family against them.
package modelstest

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
)

// Synthetic returns n rows of d standard-normal features and labels drawn
// from a softmax of a random linear model.
func Synthetic(seed uint64, n, d, classes int) (*mat.Dense, []int) {
	r := rand.New(rand.NewPCG(seed, 7))
	W := make([]float64, classes*d)
	for i := range W {
		W[i] = r.NormFloat64()
	}
	X := mat.NewDense(n, d, nil)
	y := make([]int, n)
	z := make([]float64, classes)
	for i := 0; i < n; i++ {
		row := X.RawRowView(i)
		for j := range row {
			row[j] = r.NormFloat64()
		}
		for k := range z {
			z[k] = 0
			for j, v := range row {
				z[k] += W[k*d+j] * v
			}
		}
		models.SoftmaxInto(z, z)
		u, c := r.Float64(), 0
		for c < classes-1 && u > z[c] {
			u -= z[c]
			c++
		}
		y[i] = c
	}
	return X, y
}

// Case is one reference case of the manifest.
type Case struct {
	Name     string         `json:"name"`
	Data     string         `json:"data"`
	Weighted bool           `json:"weighted"`
	Classes  int            `json:"classes"`
	Params   map[string]any `json:"params"` // "family" and the scikit-learn settings
	Proba    string         `json:"proba"`
	TestAUC  float64        `json:"test_auc"`
}

// Manifest is testdata/ref/manifest.json.
type Manifest struct {
	GermanMixed struct {
		Numeric     int   `json:"numeric"`
		Cardinality []int `json:"cardinality"`
	} `json:"german_mixed"`
	Cases []Case `json:"cases"`
}

// Data is one reference data set, as scikit-learn saw it.
type Data struct {
	Xtr, Xte *mat.Dense
	Ytr, Yte []int
	W        []float64 // training sample weights
	Setup    models.Setup
}

// Ref reads the reference files under Dir (models/testdata/ref).
type Ref struct {
	Dir string
}

// ReadCSV reads a matrix of the reference files.
func (r Ref) ReadCSV(t testing.TB, name string) *mat.Dense {
	t.Helper()
	f, err := os.Open(filepath.Join(r.Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	m := mat.NewDense(len(recs), len(recs[0]), nil)
	for i, rec := range recs {
		for j, s := range rec {
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

// Manifest reads manifest.json.
func (r Ref) Manifest(t testing.TB) Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.Dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Data reads data set name ("german", "german_mixed", "german_codes" (the
// categorical codes of german_mixed alone), "iris", "wine").
func (r Ref) Data(t testing.TB, man Manifest, name string, classes int) Data {
	t.Helper()
	file := name
	if name == "german_codes" {
		file = "german_mixed"
	}
	d := Data{
		Xtr: r.ReadCSV(t, file+"_X_train.csv"), Xte: r.ReadCSV(t, file+"_X_test.csv"),
		Ytr: labels(r.ReadCSV(t, file+"_y_train.csv")), Yte: labels(r.ReadCSV(t, file+"_y_test.csv")),
		W: r.ReadCSV(t, file+"_w_train.csv").RawMatrix().Data,
	}
	d.Setup = models.Setup{Classes: classes, Workers: 2}
	_, p := d.Xtr.Dims()
	switch name {
	case "german_mixed":
		nn := man.GermanMixed.Numeric
		d.Setup.Categorical = make([]bool, p)
		d.Setup.Cardinality = make([]int, p)
		for j := nn; j < p; j++ {
			d.Setup.Categorical[j] = true
			d.Setup.Cardinality[j] = man.GermanMixed.Cardinality[j-nn]
		}
	case "german_codes":
		nn := man.GermanMixed.Numeric
		d.Xtr = mat.DenseCopyOf(d.Xtr.Slice(0, d.Xtr.RawMatrix().Rows, nn, p))
		d.Xte = mat.DenseCopyOf(d.Xte.Slice(0, d.Xte.RawMatrix().Rows, nn, p))
		d.Setup.Categorical = make([]bool, p-nn)
		d.Setup.Cardinality = append([]int(nil), man.GermanMixed.Cardinality...)
		for j := range d.Setup.Categorical {
			d.Setup.Categorical[j] = true
		}
	}
	return d
}

// Run checks family f against every reference case of its family: the
// probabilities within the tolerance spec gives, and the test AUC within
// 1e-6 of scikit-learn's. It fails when the manifest has no case of f.
func (r Ref) Run(t *testing.T, f models.Family, spec func(Case) (models.Spec, float64)) {
	man := r.Manifest(t)
	cache := map[string]Data{}
	n := 0
	for _, c := range man.Cases {
		if c.Params["family"] != string(f) {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			d, ok := cache[c.Data]
			if !ok {
				d = r.Data(t, man, c.Data, c.Classes)
				cache[c.Data] = d
			}
			s, tol := spec(c)
			m, err := s.New(d.Setup)
			if err != nil {
				t.Fatal(err)
			}
			var w []float64
			if c.Weighted {
				w = d.W
			}
			if err := m.Fit(context.Background(), d.Xtr, d.Ytr, w); err != nil {
				t.Fatal(err)
			}
			P, err := m.PredictProba(d.Xte)
			if err != nil {
				t.Fatal(err)
			}
			diff := MaxAbsDiff(P, r.ReadCSV(t, c.Proba))
			if diff > tol {
				t.Errorf("max |p - sklearn| = %.3g, want <= %g", diff, tol)
			}
			if auc := AUC(d.Yte, P); math.Abs(auc-c.TestAUC) > 1e-6 {
				t.Errorf("test AUC %.9f, sklearn %.9f", auc, c.TestAUC)
			}
			if testing.Verbose() {
				t.Logf("%s: max |p - sklearn| = %.3g", c.Name, diff)
			}
		})
	}
	if n == 0 {
		t.Fatalf("no reference case of family %s in %s", f, r.Dir)
	}
}

// MaxAbsDiff is the largest absolute difference of two matrices (+Inf when
// their shapes differ).
func MaxAbsDiff(a, b *mat.Dense) float64 {
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

// AUC is ROC AUC (binary: column 1) or one-vs-rest macro AUC, with tied
// scores counted half, as scikit-learn's roc_auc_score.
func AUC(y []int, P *mat.Dense) float64 {
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
