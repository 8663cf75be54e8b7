package golearn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/trees"
	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/golearn"
	"github.com/goautoml/automl/models/logistic"
	"github.com/goautoml/automl/models/modelstest"
	"github.com/goautoml/automl/store"
)

// The families these tests register, as a user's program would.
const (
	id3      models.Family = "golearn_id3"      // golearn's ID3 tree: probabilities, deterministic without pruning
	centroid models.Family = "golearn_centroid" // a user's own golearn classifier: labels only
)

func init() {
	golearn.Register(id3, "ID3 tree (golearn)", func(uint64) base.Classifier { return trees.NewID3DecisionTree(0) })
	golearn.Register(centroid, "Nearest centroid (golearn)", func(uint64) base.Classifier { return &nearestCentroid{} })
}

// fitPredict fits family f on X, y and returns its probabilities on Xq.
func fitPredict(t *testing.T, f models.Family, setup models.Setup, X *mat.Dense, y []int, Xq *mat.Dense) (models.Classifier, *mat.Dense) {
	t.Helper()
	m, err := models.DefaultSpec(f).New(setup)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	P, err := m.PredictProba(Xq)
	if err != nil {
		t.Fatal(err)
	}
	return m, P
}

func TestFamilies(t *testing.T) {
	// One draw (one random linear model), split into 300 training rows
	// and 200 test rows.
	all, ally := modelstest.Synthetic(3, 500, 4, 3)
	X, y := mat.DenseCopyOf(all.Slice(0, 300, 0, 4)), ally[:300]
	Xq, yq := mat.DenseCopyOf(all.Slice(300, 500, 0, 4)), ally[300:]
	setup := models.Setup{Classes: 3, Categorical: make([]bool, 4), Cardinality: make([]int, 4), Seed: 1}
	for _, f := range []models.Family{id3, centroid} {
		t.Run(string(f), func(t *testing.T) {
			m, P := fitPredict(t, f, setup, X, y, Xq)
			_, P2 := fitPredict(t, f, setup, X, y, Xq)
			if !mat.Equal(P, P2) {
				t.Error("two fits on the same data predict differently")
			}
			soft := false
			for i := range 200 {
				s := 0.0
				for _, v := range P.RawRowView(i) {
					s += v
					soft = soft || v > 0 && v < 1
				}
				if math.Abs(s-1) > 1e-12 {
					t.Fatalf("row %d sums to %v", i, s)
				}
			}
			// ID3's leaves give class frequencies; the centroid model only labels.
			if want := f == id3; soft != want {
				t.Errorf("probabilities strictly between 0 and 1: %v, want %v", soft, want)
			}
			auc := modelstest.AUC(yq, P)
			if auc < 0.7 {
				t.Errorf("test AUC %.3f: the adapter loses the signal", auc)
			}
			t.Logf("%s: test AUC %.3f", f, auc)
			dir := t.TempDir()
			spec := models.DefaultSpec(f)
			if err := models.Save(dir, spec, m); err != nil {
				t.Fatal(err)
			}
			back, err := models.Load(dir, spec, setup)
			if err != nil {
				t.Fatal(err)
			}
			got, err := back.PredictProba(Xq)
			if err != nil {
				t.Fatal(err)
			}
			if !mat.Equal(got, P) {
				t.Errorf("the loaded model predicts differently (max diff %g)", modelstest.MaxAbsDiff(got, P))
			}
			if _, err := models.Load(dir, spec, models.Setup{Classes: 2}); err == nil || !strings.Contains(err.Error(), "3 classes") {
				t.Errorf("load with 2 classes: %v", err)
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	d, ok := models.Lookup(id3)
	if !ok || !d.OptIn || d.Label != "ID3 tree (golearn)" {
		t.Fatalf("Lookup(%s) = %+v, %v", id3, d, ok)
	}
	for _, f := range models.Names(false) {
		if f == id3 || f == centroid {
			t.Errorf("opt-in family %s is in the default search", f)
		}
	}
	b, err := json.Marshal(models.DefaultSpec(id3))
	if err != nil || string(b) != `{"family":"golearn_id3","golearn_id3":{}}` {
		t.Errorf("spec JSON %s, %v", b, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Register of a taken name did not panic")
		}
	}()
	golearn.Register(id3, "again", func(uint64) base.Classifier { return trees.NewID3DecisionTree(0) })
}

func TestBadInput(t *testing.T) {
	m, err := models.DefaultSpec(id3).New(models.Setup{Classes: 2})
	if err != nil {
		t.Fatal(err)
	}
	X, y := modelstest.Synthetic(5, 20, 2, 2)
	if _, err := m.PredictProba(X); err == nil || !strings.Contains(err.Error(), "not fitted") {
		t.Errorf("predict before fit: %v", err)
	}
	if err := m.Fit(context.Background(), X, y[:3], nil); err == nil || !strings.Contains(err.Error(), "3 labels for 20") {
		t.Errorf("short labels: %v", err)
	}
	if err := models.Save(t.TempDir(), models.DefaultSpec(id3), m); err == nil || !strings.Contains(err.Error(), "not a fitted") {
		t.Errorf("save unfitted: %v", err)
	}
}

// TestRun runs the search on a golearn grid read by golearn itself, with
// the ID3 family beside one of ours, and checks that its trials are scored
// and that its bundle loads and predicts.
func TestRun(t *testing.T) {
	grid, err := base.ParseCSVToInstances("../testdata/iris.csv", true)
	if err != nil {
		t.Fatal(err)
	}
	runs := t.TempDir()
	cfg := automl.Config{Seed: 3, Workers: 1, MaxTrials: 4, RunsDir: runs, Name: "iris",
		Include: []models.Family{logistic.Name, id3}, KeepBundles: -1}
	res, err := golearn.Run(context.Background(), grid, "", cfg, automl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Experiment.Config.Target != "class" {
		t.Errorf("target %q, want the grid's class attribute", res.Experiment.Config.Target)
	}
	n := 0
	for _, tr := range res.Trials {
		if tr.Model.Family != id3 {
			continue
		}
		n++
		if tr.Status != "ok" || tr.Val["accuracy"] < 0.8 {
			t.Errorf("trial %d: %s %s, validation %v", tr.ID, tr.Status, tr.Error, tr.Val)
		}
		m, err := automl.LoadBundle(store.At(res.Dir).Trial(tr.ID))
		if err != nil {
			t.Fatalf("bundle of trial %d: %v", tr.ID, err)
		}
		if m.Family != id3 {
			t.Errorf("bundle family %s", m.Family)
		}
	}
	if n == 0 {
		t.Fatalf("no %s trial in %d trials", id3, len(res.Trials))
	}
	// The data file the experiment names holds the grid's values.
	data, err := os.ReadFile(res.Experiment.Config.Data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("sepallength,sepalwidth,petallength,petalwidth,class\n5.1,3.5,1.4,0.2,Iris-setosa\n")) {
		t.Errorf("data file starts %q", data[:80])
	}
	if _, err := golearn.Run(context.Background(), grid, "colour", cfg, automl.Options{}); err == nil || !strings.Contains(err.Error(), `no attribute "colour"`) {
		t.Errorf("unknown target: %v", err)
	}
}
