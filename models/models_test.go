package models_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/extratrees"
	_ "github.com/goautoml/automl/models/families"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/knn"
	"github.com/goautoml/automl/models/logistic"
	"github.com/goautoml/automl/models/modelstest"
	"github.com/goautoml/automl/models/naivebayes"
	"github.com/goautoml/automl/models/randomforest"
	"github.com/goautoml/automl/models/tree"
)

var ref = modelstest.Ref{Dir: "testdata/ref"}

func TestSaveLoadBitIdentical(t *testing.T) {
	man := ref.Manifest(t)
	d := ref.Data(t, man, "german_mixed", 2)
	iris := ref.Data(t, man, "iris", 3)
	specs := []struct {
		name string
		spec models.Spec
		data modelstest.Data
	}{
		{"logistic_l2", models.Spec{Family: logistic.Name, Params: &logistic.Params{C: 0.5, Penalty: "l2"}}, d},
		{"logistic_l1_multi", models.Spec{Family: logistic.Name, Params: &logistic.Params{C: 0.5, Penalty: "l1"}}, iris},
		{"knn", models.Spec{Family: knn.Name, Params: &knn.Params{K: 7, Weights: "distance", Metric: "euclidean"}}, d},
		{"nb_mixed", models.Spec{Family: naivebayes.Name, Params: &naivebayes.Params{Kind: "categorical", VarSmoothing: 1e-9, Alpha: 1}}, d},
		{"nb_gaussian", models.DefaultSpec(naivebayes.Name), iris},
	}
	for _, tc := range specs {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.spec.New(tc.data.Setup)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(context.Background(), tc.data.Xtr, tc.data.Ytr, tc.data.W); err != nil {
				t.Fatal(err)
			}
			want, err := m.PredictProba(tc.data.Xte)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := models.Save(dir, tc.spec, m); err != nil {
				t.Fatal(err)
			}
			back, err := models.Load(dir, tc.spec, tc.data.Setup)
			if err != nil {
				t.Fatal(err)
			}
			got, err := back.PredictProba(tc.data.Xte)
			if err != nil {
				t.Fatal(err)
			}
			if !mat.Equal(got, want) {
				t.Errorf("loaded model predicts differently (max diff %g)", modelstest.MaxAbsDiff(got, want))
			}
			other := models.DefaultSpec(knn.Name)
			if tc.spec.Family == knn.Name {
				other = models.DefaultSpec(logistic.Name)
			}
			if _, err := models.Load(dir, other, tc.data.Setup); err == nil {
				t.Errorf("Load with family %s of a %s file: no error", other.Family, tc.spec.Family)
			}
		})
	}
}

func TestSaveUnfitted(t *testing.T) {
	s := models.DefaultSpec(logistic.Name)
	m, err := s.New(models.Setup{Classes: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := models.Save(t.TempDir(), s, m); err == nil || !strings.Contains(err.Error(), "not a fitted") {
		t.Errorf("Save of an unfitted model: %v", err)
	}
}

func TestDefaultSpecs(t *testing.T) {
	for _, d := range models.All() {
		s := models.DefaultSpec(d.Name)
		if err := s.Validate(); err != nil {
			t.Errorf("DefaultSpec(%s): %v", d.Name, err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back models.Spec
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, s) {
			t.Errorf("%s: JSON round trip changed the spec: %s", d.Name, b)
		}
	}
	g, _ := models.ParamsOf[*tree.GBDTParams](models.DefaultSpec(gbdt.Name))
	if g.Rounds != 100 || g.LearningRate != 0.1 || g.NumLeaves != 31 || g.MaxBins != 255 ||
		g.MinDataInLeaf != 20 || g.L2 != 1 || g.Growth != "leafwise" {
		t.Errorf("GBDT defaults %+v", *g)
	}
	rf, _ := models.ParamsOf[*tree.ForestParams](models.DefaultSpec(randomforest.Name))
	et, _ := models.ParamsOf[*tree.ForestParams](models.DefaultSpec(extratrees.Name))
	if !rf.Bootstrap || et.Bootstrap {
		t.Error("bootstrap: want true for random_forest, false for extra_trees")
	}
}

// TestSearchOrder pins the default search order: the golden runs and every
// seeded experiment depend on it.
func TestSearchOrder(t *testing.T) {
	want := []models.Family{"logistic", "naive_bayes", "knn", "decision_tree", "gbdt", "random_forest", "extra_trees"}
	if got := models.Names(false); !slices.Equal(got, want) {
		t.Errorf("Names(false) = %v, want %v", got, want)
	}
	for _, d := range models.All() {
		if d.Label == "" || d.Package == "" || d.Describe == nil {
			t.Errorf("%s: built-in family without a label, package or Describe", d.Name)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := func(f func(*logistic.Params)) models.Spec {
		s := models.DefaultSpec(logistic.Name)
		f(s.Params.(*logistic.Params))
		return s
	}
	gb := models.DefaultSpec(gbdt.Name)
	gb.Params.(*tree.GBDTParams).Growth = "sideways"
	cases := []struct {
		spec models.Spec
		want string
	}{
		{models.Spec{Family: "svm"}, "unknown family"},
		{models.Spec{Family: logistic.Name}, "has no logistic params"},
		{models.Spec{Family: logistic.Name, Params: models.DefaultSpec(knn.Name).Params}, "holds *knn.Params params"},
		{bad(func(p *logistic.Params) { p.C = 0 }), "c 0"},
		{bad(func(p *logistic.Params) { p.C = math.NaN() }), "c NaN"},
		{bad(func(p *logistic.Params) { p.Penalty = "elasticnet" }), "penalty"},
		{bad(func(p *logistic.Params) { p.Tol = -1 }), "tol"},
		{models.Spec{Family: knn.Name, Params: &knn.Params{K: 0, Weights: "uniform", Metric: "euclidean"}}, "k 0"},
		{models.Spec{Family: knn.Name, Params: &knn.Params{K: 3, Weights: "uniform", Metric: "manhattan"}}, "metric"},
		{models.Spec{Family: naivebayes.Name, Params: &naivebayes.Params{Kind: "bernoulli"}}, "kind"},
		{models.Spec{Family: naivebayes.Name, Params: &naivebayes.Params{Kind: "gaussian", VarSmoothing: -1}}, "var_smoothing"},
		{gb, "growth"},
	}
	for _, c := range cases {
		err := c.spec.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want an error containing %q", c.spec, err, c.want)
		}
		if _, err := c.spec.New(models.Setup{Classes: 2}); err == nil {
			t.Errorf("New(%+v): no error", c.spec)
		}
	}
	if _, err := models.DefaultSpec(knn.Name).New(models.Setup{Classes: 1}); err == nil {
		t.Error("New with 1 class: no error")
	}
}

// TestSpecJSON checks the on-disk form: specs recorded before the registry
// (testdata/specs.jsonl, one model spec of each family taken from
// trials.jsonl files written then) decode to their family's params and
// encode back byte for byte.
func TestSpecJSON(t *testing.T) {
	data, err := os.ReadFile("testdata/specs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[models.Family]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var s models.Spec
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", line, err)
		}
		seen[s.Family] = true
		back, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if string(back) != line {
			t.Errorf("round trip changed the spec:\n got %s\nwant %s", back, line)
		}
	}
	for _, f := range models.Names(false) {
		if !seen[f] {
			t.Errorf("testdata/specs.jsonl has no %s spec", f)
		}
	}
	for _, c := range []struct{ in, want string }{
		{`{"family":"logistic","logistic":{"c":1},"knn":{"k":3}}`, "also sets params of knn"},
		{`{"family":"logistic","logistic":{"c":"x"}}`, "logistic params"},
		{`[1]`, "cannot unmarshal"},
	} {
		var s models.Spec
		if err := json.Unmarshal([]byte(c.in), &s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Unmarshal(%s) = %v, want an error containing %q", c.in, err, c.want)
		}
	}
	// A family this program does not know keeps its params as written, and
	// is refused when used.
	in := `{"family":"someone_elses","someone_elses":{"depth":3}}`
	var s models.Spec
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if back, _ := json.Marshal(s); string(back) != in {
		t.Errorf("unknown family: %s written back as %s", in, back)
	}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "unknown family") {
		t.Errorf("Validate of an unknown family: %v", err)
	}
	if b, _ := json.Marshal(models.Spec{}); string(b) != `{"family":""}` {
		t.Errorf("zero spec: %s", b)
	}
}

func TestRegisterRefuses(t *testing.T) {
	for name, d := range map[string]*models.Descriptor{
		"nil":       nil,
		"no name":   {},
		"no New":    {Name: "x"},
		"duplicate": func() *models.Descriptor { d, _ := models.Lookup(logistic.Name); return d }(),
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register did not panic", name)
				}
			}()
			models.Register(d)
		}()
	}
}

func TestBadInput(t *testing.T) {
	X, y := modelstest.Synthetic(1, 30, 3, 2)
	nan := mat.DenseCopyOf(X)
	nan.Set(4, 2, math.NaN())
	setup := models.Setup{Classes: 2}
	for _, f := range []models.Family{logistic.Name, knn.Name, naivebayes.Name} {
		m, err := models.DefaultSpec(f).New(setup)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, c := range []struct {
			name string
			err  error
			want string
		}{
			{"short y", m.Fit(ctx, X, y[:5], nil), "5 labels for 30"},
			{"class", m.Fit(ctx, X, append(append([]int(nil), y[:29]...), 2), nil), "row 29: class index 2"},
			{"weight", m.Fit(ctx, X, y, append(make([]float64, 29), -1)), "row 29: sample weight -1"},
			{"zero weights", m.Fit(ctx, X, y, make([]float64, 30)), "sum to 0"},
			{"nan", m.Fit(ctx, nan, y, nil), "row 4, column 2"},
		} {
			if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
				t.Errorf("%s: %s: %v, want %q", f, c.name, c.err, c.want)
			}
		}
		if _, err := m.PredictProba(X); err == nil || !strings.Contains(err.Error(), "not fitted") {
			t.Errorf("%s: predict before fit: %v", f, err)
		}
		if err := m.Fit(ctx, X, y, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := m.PredictProba(mat.NewDense(2, 4, nil)); err == nil || !strings.Contains(err.Error(), "4 columns") {
			t.Errorf("%s: wrong width: %v", f, err)
		}
		if _, err := m.PredictProba(nan); err == nil || !strings.Contains(err.Error(), "row 4, column 2") {
			t.Errorf("%s: NaN input: %v", f, err)
		}
	}
}
