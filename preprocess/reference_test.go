package preprocess

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/goautoml/automl/dataset"
	"gonum.org/v1/gonum/mat"
)

// referenceCase is the metadata written by testdata/make_reference.py.
type referenceCase struct {
	Name      string   `json:"name"`
	Data      string   `json:"data"`
	Columns   []Input  `json:"columns"`
	Spec      Spec     `json:"spec"`
	TrainRows []int    `json:"train_rows"`
	TestRows  []int    `json:"test_rows"`
	Features  []string `json:"features"`
}

// loadCase reads a reference case and builds its frame with the spec columns
// in reverse order after an unused column, so Transform must look them up by
// name.
func loadCase(t *testing.T, path string) (referenceCase, *dataset.Frame, [][]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rc referenceCase
	if err := json.Unmarshal(b, &rc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	header, cols := readCSV(t, filepath.Join("testdata", rc.Data))
	byName := map[string][]string{}
	for j, h := range header {
		byName[h] = cols[j]
	}
	n := len(cols[0])
	unused := make([]string, n)
	for i := range unused {
		unused[i] = "u" + strconv.Itoa(i%3)
	}
	tcs := []testColumn{{name: "unused", kind: dataset.Categorical, cells: unused}}
	raw := make([][]string, len(rc.Columns))
	for k := len(rc.Columns) - 1; k >= 0; k-- {
		in := rc.Columns[k]
		cells, ok := byName[in.Name]
		if !ok {
			t.Fatalf("%s: column %q not in %s", path, in.Name, rc.Data)
		}
		raw[k] = cells
		tcs = append(tcs, testColumn{name: in.Name, kind: in.Kind, cells: cells})
	}
	return rc, buildFrame(t, rc.Data, tcs...), raw
}

// expected reads a reference matrix keyed by feature name.
func expected(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	header, cols := readCSV(t, path)
	out := make(map[string][]float64, len(header))
	for j, h := range header {
		for i, s := range cols[j] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s row %d col %q: %v", path, i, h, err)
			}
			out[h] = append(out[h], v)
		}
	}
	return out
}

func TestReferenceSklearn(t *testing.T) {
	paths, err := filepath.Glob("testdata/case_*.json")
	if err != nil || len(paths) < 6 {
		t.Fatalf("reference cases: %v, %d found", err, len(paths))
	}
	for _, path := range paths {
		rc, f, raw := loadCase(t, path)
		t.Run(rc.Name, func(t *testing.T) {
			p, err := rc.Spec.Fit(f, rc.TrainRows)
			if err != nil {
				t.Fatal(err)
			}
			feats := p.Features()
			if len(feats) != len(rc.Features) {
				t.Fatalf("%d features, sklearn has %d:\ngo: %v\nsklearn: %v", len(feats), len(rc.Features), feats, rc.Features)
			}
			for _, part := range []struct {
				name string
				rows []int
			}{{"train", rc.TrainRows}, {"test", rc.TestRows}} {
				want := expected(t, filepath.Join("testdata", "case_"+rc.Name+"_"+part.name+".csv"))
				got, err := p.Transform(f, part.rows)
				if err != nil {
					t.Fatal(err)
				}
				compareByName(t, part.name, feats, got, want)
			}
			checkRowPath(t, p, rc, raw, f)
			if p.Spec.Encoding == EncodeOrdinal {
				for _, ft := range feats {
					kind := rc.Columns[ft.Source].Kind
					if (kind == dataset.Categorical) != ft.Categorical || (ft.Categorical && ft.Cardinality < 2) {
						t.Errorf("feature %+v of a %s column", ft, kind)
					}
				}
			}
		})
	}
}

// compareByName checks every output column against sklearn's column of the
// same name to 1e-12.
func compareByName(t *testing.T, part string, feats []Feature, got *mat.Dense, want map[string][]float64) {
	t.Helper()
	r, _ := got.Dims()
	for j, ft := range feats {
		col, ok := want[ft.Name]
		if !ok {
			t.Errorf("%s: feature %q not produced by sklearn", part, ft.Name)
			continue
		}
		if len(col) != r {
			t.Fatalf("%s: %d rows, sklearn %d", part, r, len(col))
		}
		bad := 0
		for i, w := range col {
			if g := got.At(i, j); math.Abs(g-w) > 1e-12 {
				if bad < 3 {
					t.Errorf("%s: row %d feature %q: got %.17g, sklearn %.17g", part, i, ft.Name, g, w)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: feature %q: %d of %d values differ", part, ft.Name, bad, r)
		}
	}
}

// checkRowPath scores each test row from its raw strings and requires the
// same bits as Transform.
func checkRowPath(t *testing.T, p *Pipeline, rc referenceCase, raw [][]string, f *dataset.Frame) {
	t.Helper()
	X, err := p.Transform(f, rc.TestRows)
	if err != nil {
		t.Fatal(err)
	}
	index := map[string]int{}
	for k, in := range rc.Columns {
		index[in.Name] = k
	}
	dst := make([]float64, p.NumFeatures())
	for i, r := range rc.TestRows {
		get := func(col string) (string, bool) {
			k, ok := index[col]
			if !ok {
				return "", false
			}
			return raw[k][r], true
		}
		if err := p.TransformRow(get, dst); err != nil {
			t.Fatalf("test row %d: %v", r, err)
		}
		for j, v := range dst {
			if math.Float64bits(v) != math.Float64bits(X.At(i, j)) {
				t.Fatalf("row %d feature %q: TransformRow %v, Transform %v", r, p.features[j].Name, v, X.At(i, j))
			}
		}
	}
}

func TestJSONRoundTripBits(t *testing.T) {
	for _, name := range []string{"german_mean_scale_onehot", "german_median_scale_constant_ordinal", "dates_median_scale", "german_max_categories"} {
		rc, f, _ := loadCase(t, filepath.Join("testdata", "case_"+name+".json"))
		p, err := rc.Spec.Fit(f, rc.TrainRows)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var q Pipeline
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b2, err := json.Marshal(&q)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(b2) {
			t.Errorf("%s: JSON changed after a round trip", name)
		}
		X1, err := p.Transform(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		X2, err := q.Transform(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		d1, d2 := X1.RawMatrix().Data, X2.RawMatrix().Data
		for i := range d1 {
			if math.Float64bits(d1[i]) != math.Float64bits(d2[i]) {
				t.Fatalf("%s: element %d: %v before JSON, %v after", name, i, d1[i], d2[i])
			}
		}
		if len(q.Features()) != len(p.Features()) {
			t.Errorf("%s: features %d after decoding, %d before", name, len(q.Features()), len(p.Features()))
		}
	}
}
