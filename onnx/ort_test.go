package onnx_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/decisiontree"
	"github.com/goautoml/automl/models/extratrees"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/knn"
	"github.com/goautoml/automl/models/logistic"
	"github.com/goautoml/automl/models/naivebayes"
	"github.com/goautoml/automl/models/randomforest"
	"github.com/goautoml/automl/models/tree"
	"github.com/goautoml/automl/onnx"
	"github.com/goautoml/automl/preprocess"
)

// ortTolerance is the acceptance bound between ONNX Runtime's probabilities
// and the Go scorer's (the graph computes in double precision, so the
// differences seen are rounding, about 1e-15).
const ortTolerance = 1e-5

// ortDir returns the folder holding node_modules/onnxruntime-node
// (AUTOML_ORT_NODE; .ci/run installs it). Without it the test skips,
// unless AUTOML_CI=1.
func ortDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AUTOML_ORT_NODE")
	_, err := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node"))
	_, nodeErr := exec.LookPath("node")
	if dir == "" || err != nil || nodeErr != nil {
		if os.Getenv("AUTOML_CI") == "1" {
			t.Fatalf("AUTOML_CI=1 but no node or onnxruntime-node under AUTOML_ORT_NODE=%q (npm install --ignore-scripts --prefix DIR onnxruntime-node@1.30)", dir)
		}
		t.Skip("set AUTOML_ORT_NODE to a folder with node_modules/onnxruntime-node to run ONNX Runtime")
	}
	return dir
}

// data is a CSV split into training rows and a test frame whose rows have
// missing values and unseen categories put in.
type data struct {
	name    string
	frame   *dataset.Frame
	target  *dataset.Target
	columns []preprocess.Input
	train   []int
	y       []int
	test    *dataset.Frame
}

func loadData(t *testing.T, name, path, target string) *data {
	t.Helper()
	f, err := dataset.Read(path, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := dataset.EncodeTarget(f, target, "")
	if err != nil {
		t.Fatal(err)
	}
	d := &data{name: name, frame: f, target: tg}
	kinds := map[string]dataset.Kind{}
	for _, c := range f.Columns {
		if c.Name == target || (c.Kind != dataset.Numeric && c.Kind != dataset.Categorical && c.Kind != dataset.Boolean) {
			continue
		}
		d.columns = append(d.columns, preprocess.Input{Name: c.Name, Kind: c.Kind})
		kinds[c.Name] = c.Kind
	}
	var test []int
	for i, r := range tg.Rows {
		if i%10 < 7 {
			d.train = append(d.train, r)
			d.y = append(d.y, tg.Y[i])
		} else if len(test) < 150 {
			test = append(test, r)
		}
	}
	// The test rows, written out with holes and unseen categories.
	path = filepath.Join(t.TempDir(), name+"_test.csv")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(out)
	head := make([]string, len(d.columns))
	for j, c := range d.columns {
		head[j] = c.Name
	}
	w.Write(head)
	for i, r := range test {
		rec := make([]string, len(d.columns))
		for j, c := range d.columns {
			col := f.Column(c.Name)
			if !col.Missing[r] {
				rec[j] = col.String(r)
			}
			switch {
			case (i+j)%9 == 0:
				rec[j] = ""
			case c.Kind == dataset.Categorical && (i+2*j)%7 == 0:
				rec[j] = "unseen value " + strconv.Itoa(i)
			}
		}
		w.Write(rec)
	}
	w.Flush()
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if d.test, err = dataset.Read(path, dataset.Options{Kinds: kinds}); err != nil {
		t.Fatal(err)
	}
	holes := 0
	for _, c := range d.test.Columns {
		for _, m := range c.Missing {
			if m {
				holes++
			}
		}
	}
	if holes == 0 {
		t.Fatalf("%s: the test rows have no missing values", name)
	}
	return d
}

// fitted is one fitted and reloaded pipeline with its probabilities on the
// test frame.
type fitted struct {
	member onnx.Member
	proba  *mat.Dense
}

func fit(t *testing.T, d *data, prep preprocess.Spec, spec models.Spec) fitted {
	t.Helper()
	prep.Columns = d.columns
	p, err := prep.Fit(d.frame, d.train)
	if err != nil {
		t.Fatal(err)
	}
	X, err := p.Transform(d.frame, d.train)
	if err != nil {
		t.Fatal(err)
	}
	setup := models.Setup{Classes: len(d.target.Classes), Seed: 3, Workers: 1}
	for _, ft := range p.Features() {
		setup.Categorical = append(setup.Categorical, ft.Categorical)
		setup.Cardinality = append(setup.Cardinality, ft.Cardinality)
	}
	c, err := spec.New(setup)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Fit(context.Background(), X, d.y, nil); err != nil {
		t.Fatal(err)
	}
	// Score through the saved model, as automl predict does.
	dir := t.TempDir()
	if err := models.Save(dir, spec, c); err != nil {
		t.Fatal(err)
	}
	loaded, err := models.Load(dir, spec, setup)
	if err != nil {
		t.Fatal(err)
	}
	Xt, err := p.Transform(d.test, nil)
	if err != nil {
		t.Fatal(err)
	}
	P, err := loaded.PredictProba(Xt)
	if err != nil {
		t.Fatal(err)
	}
	return fitted{onnx.Member{Weight: 1, Prep: p, Family: spec.Family, Model: loaded}, P}
}

// request is what testdata/score.js reads.
type request struct {
	Model  string                 `json:"model"`
	Rows   int                    `json:"rows"`
	Inputs map[string]inputColumn `json:"inputs"`
}

type inputColumn struct {
	Type   string `json:"type"`
	Values []any  `json:"values"`
}

// answer is ONNX Runtime's output for one request.
type answer struct {
	Probabilities [][]float64 `json:"probabilities"`
	Label         []string    `json:"label"`
	Error         string      `json:"error"`
}

// newRequest writes model into dir and describes d's test frame as its input.
func newRequest(t *testing.T, dir string, d *data, model []byte) request {
	t.Helper()
	f, err := os.CreateTemp(dir, "model-*.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(model); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	req := request{Model: f.Name(), Rows: d.test.NumRows(), Inputs: map[string]inputColumn{}}
	for _, c := range d.test.Columns {
		in := inputColumn{Type: "string"}
		if c.Kind != dataset.Categorical {
			in.Type = "double"
		}
		for r := range c.Len() {
			switch {
			case in.Type == "string" && c.Missing[r]:
				in.Values = append(in.Values, "")
			case in.Type == "string":
				in.Values = append(in.Values, c.String(r))
			case c.Missing[r]:
				in.Values = append(in.Values, nil)
			default:
				in.Values = append(in.Values, c.Num[r])
			}
		}
		req.Inputs[c.Name] = in
	}
	return req
}

// scoreAll runs every request through ONNX Runtime in one node process.
func scoreAll(t *testing.T, ort, dir string, reqs []request) []answer {
	t.Helper()
	body, err := json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "requests.json")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join("testdata", "score.js"), path)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(ort, "node_modules"))
	var stderr bytesBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("onnxruntime-node: %v\n%s", err, stderr.String())
	}
	var res []answer
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(reqs) {
		t.Fatalf("onnxruntime-node answered %d of %d requests: %v", len(res), len(reqs), err)
	}
	return res
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *bytesBuffer) String() string              { return string(w.b) }

// compare checks ONNX Runtime's answer against the Go probabilities.
func compare(t *testing.T, d *data, want *mat.Dense, got [][]float64, labels []string, th *onnx.Threshold) {
	t.Helper()
	n, k := want.Dims()
	if len(got) != n || len(labels) != n {
		t.Fatalf("ONNX Runtime gave %d rows and %d labels, want %d", len(got), len(labels), n)
	}
	worst := 0.0
	for i := range n {
		if len(got[i]) != k {
			t.Fatalf("row %d: %d probabilities, want %d", i, len(got[i]), k)
		}
		best := 0
		for j := range k {
			worst = max(worst, math.Abs(got[i][j]-want.At(i, j)))
			if want.At(i, j) > want.At(i, best) {
				best = j
			}
		}
		if th != nil {
			best = 1 - th.Positive
			if want.At(i, th.Positive) >= th.Value {
				best = th.Positive
			}
			if math.Abs(want.At(i, th.Positive)-th.Value) < ortTolerance {
				continue // too close to call
			}
		}
		if labels[i] != d.target.Classes[best] && (th != nil || math.Abs(want.At(i, best)-got[i][slicesIndex(d.target.Classes, labels[i])]) > ortTolerance) {
			t.Errorf("row %d: label %q, want %q", i, labels[i], d.target.Classes[best])
		}
	}
	if worst > ortTolerance {
		t.Errorf("largest probability difference %.3g, want <= %g", worst, ortTolerance)
	}
	t.Logf("%d rows, largest probability difference %.3g", n, worst)
}

// calibrate is package bundle's calibration (bundle.Calibration.Apply), written out from its
// documentation.
func calibrate(P *mat.Dense, c *onnx.Calibration) {
	apply := func(m *onnx.CalibrationMap, p float64) float64 {
		if c.Method == "platt" {
			return 1 / (1 + math.Exp(m.A*p+m.B))
		}
		n := len(m.X)
		if p <= m.X[0] {
			return m.Y[0]
		}
		if p >= m.X[n-1] {
			return m.Y[n-1]
		}
		j := sort.SearchFloat64s(m.X, p)
		if p == m.X[j] {
			return m.Y[j]
		}
		return (m.Y[j]-m.Y[j-1])/(m.X[j]-m.X[j-1])*(p-m.X[j-1]) + m.Y[j-1]
	}
	r, k := P.Dims()
	for i := range r {
		row := P.RawRowView(i)
		if c.Prior != nil {
			s := 0.0
			for j := range row {
				row[j] /= c.Prior[j]
				s += row[j]
			}
			for j := range row {
				if s > 0 {
					row[j] /= s
				} else {
					row[j] = 1 / float64(k)
				}
			}
		}
		if c.Method == "prior" {
			continue
		}
		if c.Method == "temperature" {
			s := 0.0
			for j := range row {
				row[j] = math.Pow(max(row[j], 1e-15), 1/c.Temperature)
				s += row[j]
			}
			for j := range row {
				row[j] /= s
			}
			continue
		}
		if k == 2 {
			m := &c.Maps[0]
			p := apply(m, row[m.Class])
			row[m.Class], row[1-m.Class] = p, 1-p
		} else {
			cal := make([]float64, k)
			sum := 0.0
			for j := range c.Maps {
				m := &c.Maps[j]
				cal[m.Class] = apply(m, row[m.Class])
				sum += cal[m.Class]
			}
			for j := range k {
				if sum != 0 {
					row[j] = cal[j] / sum
				} else {
					row[j] = 1 / float64(k)
				}
			}
		}
		for j, v := range row {
			if v > 1 && v <= 1+1e-5 {
				row[j] = 1
			}
		}
	}
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return 0
}

func smallSpec(f models.Family, categorical bool) models.Spec {
	s := models.DefaultSpec(f)
	switch p := s.Params.(type) {
	case *tree.ForestParams:
		p.Trees, p.CategoricalSplits = 12, categorical
	case *tree.GBDTParams:
		p.Rounds, p.CategoricalSplits, p.MinDataInLeaf = 25, categorical, 5
	case *tree.TreeParams:
		p.CategoricalSplits, p.MaxDepth = categorical, 8
	case *naivebayes.Params:
		if categorical {
			p.Kind = "categorical"
		}
	}
	return s
}

// TestONNXRuntime scores every exportable family, on German Credit, adult
// and iris test rows with missing values and unseen categories put in, with
// ONNX Runtime (onnxruntime-node) and compares with the Go scorer.
func TestONNXRuntime(t *testing.T) {
	ort := ortDir(t)
	sets := []*data{
		loadData(t, "german", "../samples/german_credit.csv", "class"),
		loadData(t, "adult", "../dataset/testdata/adult_slice.csv", "class"),
		loadData(t, "iris", "../dataset/testdata/iris.csv", "class"),
	}
	onehot := preprocess.Spec{Encoding: preprocess.EncodeOneHot, Scale: true, NumericImpute: preprocess.ImputeMedian}
	ordinal := preprocess.Spec{Encoding: preprocess.EncodeOrdinal, MaxCategories: 5,
		CategoricalImpute: preprocess.ImputeConstant}
	cases := []struct {
		prep        preprocess.Spec
		family      models.Family
		categorical bool
	}{
		{onehot, logistic.Name, false},
		{ordinal, logistic.Name, false},
		{onehot, naivebayes.Name, false},
		{ordinal, naivebayes.Name, true},
		{onehot, decisiontree.Name, false},
		{ordinal, decisiontree.Name, true},
		{ordinal, randomforest.Name, true},
		{onehot, extratrees.Name, false},
		{ordinal, gbdt.Name, true},
		{onehot, gbdt.Name, false},
	}
	// Fit and convert everything, score it all in one node process, then compare.
	type check struct {
		name      string
		d         *data
		want      *mat.Dense
		index     int
		threshold *onnx.Threshold
	}
	dir := t.TempDir()
	var checks []check
	var reqs []request
	add := func(name string, d *data, want *mat.Dense, b onnx.Bundle) {
		model, err := onnx.Marshal(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checks = append(checks, check{name, d, want, len(reqs), b.Threshold})
		reqs = append(reqs, newRequest(t, dir, d, model))
	}
	for _, d := range sets {
		for _, c := range cases {
			name := d.name + "/" + string(c.family) + "/" + c.prep.Encoding
			f := fit(t, d, c.prep, smallSpec(c.family, c.categorical))
			if e, ok := f.member.Model.(interface{ Ensemble() *tree.Ensemble }); ok && c.categorical && d.name != "iris" {
				splits := 0
				for _, tr := range e.Ensemble().Trees {
					for _, n := range tr.Nodes {
						if n.Categorical {
							splits++
						}
					}
				}
				if splits == 0 {
					t.Fatalf("%s: no categorical split to export", name)
				}
			}
			add(name, d, f.proba, onnx.Bundle{Name: name, Classes: d.target.Classes, Members: []onnx.Member{f.member}})
		}
		a := fit(t, d, onehot, smallSpec(logistic.Name, false))
		b := fit(t, d, ordinal, smallSpec(gbdt.Name, true))
		c := fit(t, d, ordinal, smallSpec(randomforest.Name, true))
		a.member.Weight, b.member.Weight, c.member.Weight = 0.5, 0.3, 0.2
		want := mat.DenseCopyOf(a.proba)
		want.Scale(0.5, want)
		for _, m := range []fitted{b, c} {
			var s mat.Dense
			s.Scale(m.member.Weight, m.proba)
			want.Add(want, &s)
		}
		add(d.name+"/bundle", d, want, onnx.Bundle{Classes: d.target.Classes, Members: []onnx.Member{a.member, b.member, c.member}})
	}
	// Bank marketing has boolean columns (yes/no), which the graph reads as 0/1 doubles.
	bank := loadData(t, "bank", "../dataset/testdata/bank_full_head.csv", "y")
	booleans := 0
	for _, c := range bank.columns {
		if c.Kind == dataset.Boolean {
			booleans++
		}
	}
	if booleans == 0 {
		t.Fatal("bank: no boolean column")
	}
	for _, c := range cases[:4] {
		f := fit(t, bank, c.prep, smallSpec(c.family, c.categorical))
		add("bank/"+string(c.family)+"/"+c.prep.Encoding, bank, f.proba, onnx.Bundle{Classes: bank.target.Classes, Members: []onnx.Member{f.member}})
	}
	f := fit(t, bank, ordinal, smallSpec(gbdt.Name, true))
	add("bank/gbdt/ordinal", bank, f.proba, onnx.Bundle{Classes: bank.target.Classes, Members: []onnx.Member{f.member}})
	// Calibrated bundles: Platt with a threshold on German Credit, isotonic on iris (three
	// classes, renormalised) and on German Credit (points the probabilities hit exactly).
	german, iris := sets[0], sets[2]
	for _, c := range []struct {
		d   *data
		cal onnx.Calibration
		th  *onnx.Threshold
	}{
		{german, onnx.Calibration{Method: "platt", Maps: []onnx.CalibrationMap{{Class: 1, A: -3.1, B: 1.2}}}, &onnx.Threshold{Value: 0.3, Positive: 1}},
		{iris, onnx.Calibration{Method: "isotonic", Maps: []onnx.CalibrationMap{
			{Class: 0, X: []float64{0.1, 0.4, 0.7, 0.95}, Y: []float64{0.05, 0.3, 0.6, 0.99}},
			{Class: 2, X: []float64{0.2, 0.5}, Y: []float64{0, 1}},
			{Class: 1, X: []float64{0.5}, Y: []float64{0.4}}}}, nil},
		{german, onnx.Calibration{Method: "isotonic", Maps: []onnx.CalibrationMap{{Class: 0, X: []float64{0, 0.25, 0.5, 1}, Y: []float64{0, 0.2, 0.7, 1.000001}}}}, nil},
		// Class-weighted training undone: prior correction alone (iris), then with Platt
		// and a threshold (German Credit).
		{iris, onnx.Calibration{Method: "prior", Prior: []float64{0.5, 1.5, 2}}, nil},
		{german, onnx.Calibration{Method: "platt", Prior: []float64{2.3, 1}, Maps: []onnx.CalibrationMap{{Class: 1, A: -2.5, B: 1}}}, &onnx.Threshold{Value: 0.6, Positive: 1}},
		// Temperature scaling: softened (iris), and sharpened after a prior correction.
		{iris, onnx.Calibration{Method: "temperature", Temperature: 2.7}, nil},
		{iris, onnx.Calibration{Method: "temperature", Prior: []float64{0.5, 1.5, 2}, Temperature: 0.4}, nil},
	} {
		a := fit(t, c.d, onehot, smallSpec(logistic.Name, false))
		b := fit(t, c.d, ordinal, smallSpec(gbdt.Name, true))
		a.member.Weight, b.member.Weight = 0.6, 0.4
		want := mat.NewDense(c.d.test.NumRows(), len(c.d.target.Classes), nil)
		for _, m := range []fitted{a, b} {
			var s mat.Dense
			s.Scale(m.member.Weight, m.proba)
			want.Add(want, &s)
		}
		calibrate(want, &c.cal)
		name := c.d.name + "/calibrated/" + c.cal.Method
		if c.cal.Prior != nil {
			name += "+prior"
		}
		add(name, c.d, want, onnx.Bundle{Classes: c.d.target.Classes,
			Members: []onnx.Member{a.member, b.member}, Calibration: &c.cal, Threshold: c.th})
	}
	answers := scoreAll(t, ort, dir, reqs)
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			a := answers[c.index]
			if a.Error != "" {
				t.Fatalf("onnxruntime-node: %s", a.Error)
			}
			compare(t, c.d, c.want, a.Probabilities, a.Label, c.threshold)
		})
	}
}

// TestUnsupported checks that k-nearest neighbours is refused with an error
// naming the family.
func TestUnsupported(t *testing.T) {
	d := loadData(t, "iris", "../dataset/testdata/iris.csv", "class")
	f := fit(t, d, preprocess.Spec{Scale: true}, models.DefaultSpec(knn.Name))
	_, err := onnx.Marshal(onnx.Bundle{Classes: d.target.Classes, Members: []onnx.Member{f.member}})
	if !errors.Is(err, onnx.ErrUnsupported) {
		t.Fatalf("knn export: error %v, want ErrUnsupported", err)
	}
	if want := "family knn"; !contains(err.Error(), want) {
		t.Errorf("error %q does not name %q", err, want)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
