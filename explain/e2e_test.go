package explain

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/decisiontree"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/logistic"
	"github.com/goautoml/automl/models/naivebayes"
	"github.com/goautoml/automl/store"
)

// runExperiment runs a small search on a testdata file.
func runExperiment(t *testing.T, file string, keep int, fams ...models.Family) *automl.Result {
	t.Helper()
	data, err := filepath.Abs(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	cfg := automl.Config{Data: data, Target: "class", MaxTrials: 2 * len(fams), Seed: 5, Include: fams,
		RunsDir: t.TempDir(), Name: "e", Workers: 2, KeepBundles: keep}
	res, err := automl.Run(context.Background(), cfg, automl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// readMetrics reads an explanation's metrics.json.
func readMetrics(t *testing.T, dir string) Metrics {
	t.Helper()
	var m Metrics
	raw, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// readSHAP reads shap_values.csv and checks additivity from the file alone.
func readSHAP(t *testing.T, path string, tol float64) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := recs[0]
	if head[0] != "row" || head[1] != "class" || head[2] != "base_value" || head[len(head)-1] != "raw_prediction" {
		t.Fatalf("%s: header %v", path, head)
	}
	for i, r := range recs[1:] {
		sum := 0.0
		for _, s := range r[2 : len(r)-1] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s line %d: %v", path, i+2, err)
			}
			sum += v
		}
		raw, _ := strconv.ParseFloat(r[len(r)-1], 64)
		if math.Abs(sum-raw) > tol {
			t.Fatalf("%s line %d: base + values %.15g, raw prediction %.15g", path, i+2, sum, raw)
		}
	}
	return recs
}

func TestExperimentFiles(t *testing.T) {
	res := runExperiment(t, "german_credit.csv", 1, logistic.Name, gbdt.Name)
	reps, err := Experiment(context.Background(), res.Dir, 2, Options{Rows: 40, Permutations: 2, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 2 {
		t.Fatalf("%d trials explained, want 2", len(reps))
	}
	if reps[0].Trial != *res.Experiment.Best {
		t.Errorf("first explained trial %d, best is %d", reps[0].Trial, *res.Experiment.Best)
	}
	refits := 0
	for _, r := range reps {
		if r.Refit {
			refits++
		}
		for _, f := range r.Files {
			if st, err := os.Stat(f); err != nil || st.Size() == 0 {
				t.Errorf("trial %d: %s missing or empty", r.Trial, f)
			}
		}
		recs := readSHAP(t, filepath.Join(r.Dir, SHAPFile), 1e-9)
		if len(recs) != 41 {
			t.Errorf("trial %d: %d SHAP lines, want 40 (binary: one class)", r.Trial, len(recs)-1)
		}
		if len(recs[0]) != 3+20+1 {
			t.Errorf("trial %d: %d columns, want one per input column (20) and 4 more", r.Trial, len(recs[0]))
		}
		m := readMetrics(t, r.Dir)
		trial := findTrial(t, res.Trials, r.Trial)
		for name, want := range map[string]map[string]float64{"validation": trial.Val, "test": trial.Test} {
			got := m.Splits[name]
			if got == nil {
				t.Fatalf("trial %d: no %s metrics", r.Trial, name)
			}
			for k, v := range want {
				if math.Abs(got.Metrics[k]-v) > 1e-12 {
					t.Errorf("trial %d %s %s: explain %.15g, search %.15g", r.Trial, name, k, got.Metrics[k], v)
				}
			}
		}
		if m.Permutation == nil || m.Permutation.Split != "validation" {
			t.Errorf("trial %d: permutation importance %+v", r.Trial, m.Permutation)
		}
		wantMethod := "tree_path_dependent"
		if trial.Model.Family == logistic.Name {
			wantMethod = "permutation"
		}
		if m.SHAP.Method != wantMethod || m.SHAP.Rows != 40 || m.SHAP.Partial {
			t.Errorf("trial %d (%s): SHAP %+v", r.Trial, trial.Model.Family, m.SHAP)
		}
	}
	if refits == 0 {
		t.Error("KeepBundles 1 but no trial was refitted")
	}
	for _, f := range []string{"score_over_time.png", "score_by_family.png"} {
		if _, err := os.Stat(filepath.Join(store.At(res.Dir).ExperimentExplain(), f)); err != nil {
			t.Error(err)
		}
	}
	// PNG only by default (Options.Plots): no SVG anywhere.
	svgs, _ := filepath.Glob(filepath.Join(res.Dir, "*", "*", "explain", "*.svg"))
	more, _ := filepath.Glob(filepath.Join(store.At(res.Dir).ExperimentExplain(), "*.svg"))
	if svgs = append(svgs, more...); len(svgs) > 0 {
		t.Errorf("SVG files with the default plots setting: %v", svgs)
	}
}

func findTrial(t *testing.T, ts []automl.Trial, id int) automl.Trial {
	for _, tr := range ts {
		if tr.ID == id {
			return tr
		}
	}
	t.Fatalf("no trial %d", id)
	return automl.Trial{}
}

// TestTrialMulticlass explains iris trials one by one: TreeSHAP gives one
// line per class and row, sampling likewise (probabilities of each class).
func TestTrialMulticlass(t *testing.T) {
	res := runExperiment(t, "iris.csv", -1, decisiontree.Name, naivebayes.Name)
	seen := map[models.Family]bool{}
	for _, tr := range res.Trials {
		if tr.Status != "ok" || seen[tr.Model.Family] {
			continue
		}
		seen[tr.Model.Family] = true
		r, err := Trial(context.Background(), res.Dir, tr.ID, Options{Rows: 10, Permutations: 2, Background: 20, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		recs := readSHAP(t, filepath.Join(r.Dir, SHAPFile), 1e-9)
		if len(recs) != 1+3*10 {
			t.Errorf("trial %d (%s): %d SHAP lines, want 30", tr.ID, tr.Model.Family, len(recs)-1)
		}
		if recs[1][1] != "Iris-setosa" || recs[2][1] != "Iris-versicolor" {
			t.Errorf("trial %d: classes %q, %q", tr.ID, recs[1][1], recs[2][1])
		}
		if r.Refit {
			t.Errorf("trial %d refitted although every trial has a bundle", tr.ID)
		}
	}
	if len(seen) != 2 {
		t.Fatalf("families explained: %v", seen)
	}
	s, err := open(res.Dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if best, err := s.trial(-1); err != nil || best.ID != *res.Experiment.Best {
		t.Errorf("trial -1 is %d (%v), best is %d", best.ID, err, *res.Experiment.Best)
	}
	if _, err := Trial(context.Background(), res.Dir, 999, Options{}); err == nil {
		t.Error("unknown trial gave no error")
	}
	if _, err := Trial(context.Background(), t.TempDir(), 0, Options{}); err == nil {
		t.Error("a folder without an experiment gave no error")
	}
}

// TestExperimentTimeBound: a bound already past explains nothing but the
// experiment plots, without an error.
func TestExperimentTimeBound(t *testing.T) {
	res := runExperiment(t, "iris.csv", 0, naivebayes.Name)
	reps, err := Experiment(context.Background(), res.Dir, 5, Options{Timeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 0 {
		t.Errorf("%d trials explained after the bound", len(reps))
	}
	if _, err := os.Stat(filepath.Join(store.At(res.Dir).ExperimentExplain(), "score_by_family.png")); err != nil {
		t.Error(err)
	}
	reps, err = Experiment(context.Background(), res.Dir, 0, Options{})
	if err != nil || len(reps) != 0 {
		t.Errorf("top 0: %d reports, %v", len(reps), err)
	}
}

// TestLargeSplitsSampled: a split above SplitRows is explained on a
// stratified sample of that many rows, which metrics.json reports with the
// split's size, and permutation importance scores ImportanceRows of them.
func TestLargeSplitsSampled(t *testing.T) {
	res := runExperiment(t, "german_credit.csv", -1, logistic.Name)
	tr := res.Trials[0]
	r, err := Trial(context.Background(), res.Dir, tr.ID, Options{Rows: 10, Permutations: 2, Workers: 2, SplitRows: 60, ImportanceRows: 30})
	if err != nil {
		t.Fatal(err)
	}
	m := readMetrics(t, r.Dir)
	for _, name := range []string{"validation", "test"} {
		sm := m.Splits[name]
		if sm == nil || sm.Rows != 60 || sm.Of != 200 {
			t.Fatalf("%s split: %+v, want 60 rows of 200", name, sm)
		}
		n := 0
		for _, row := range sm.Confusion {
			for _, c := range row {
				n += c
			}
		}
		if n != 60 {
			t.Errorf("%s confusion matrix counts %d rows, want 60", name, n)
		}
	}
	if p := m.Permutation; p == nil || p.Rows != 30 {
		t.Errorf("permutation importance %+v, want 30 rows", m.Permutation)
	}
}

func TestStratifiedSubset(t *testing.T) {
	labels := make([]int, 1000)
	for i := range labels {
		labels[i] = map[bool]int{true: 1}[i%10 == 0] // 10 % class 1
		if i%97 == 0 {
			labels[i] = 2 // a rare class: 11 rows
		}
	}
	count := func(idx []int) [3]int {
		var c [3]int
		for _, i := range idx {
			c[labels[i]]++
		}
		return c
	}
	all := count(stratifiedSubset(labels, 0, 1))
	for _, k := range []int{1, 3, 50, 333, 999} {
		idx := stratifiedSubset(labels, k, 1)
		if len(idx) != k || !slices.IsSorted(idx) || len(slices.Compact(slices.Clone(idx))) != k {
			t.Fatalf("k=%d: %d indices, sorted %v, want k distinct increasing", k, len(idx), slices.IsSorted(idx))
		}
		got := count(idx)
		for c := range got {
			share := float64(all[c]) * float64(k) / 1000
			if math.Abs(float64(got[c])-share) > 1 && got[c] != 1 {
				t.Errorf("k=%d class %d: %d rows, its share is %.1f", k, c, got[c], share)
			}
		}
		if !slices.Equal(idx, stratifiedSubset(labels, k, 1)) {
			t.Errorf("k=%d: not reproducible", k)
		}
		if k == 50 && slices.Equal(idx, stratifiedSubset(labels, k, 2)) {
			t.Errorf("k=%d: the seed changes nothing", k)
		}
	}
	if got := stratifiedSubset(labels, 2000, 1); len(got) != 1000 {
		t.Errorf("k above n: %d rows", len(got))
	}
}
