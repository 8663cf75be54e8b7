package automl

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/logistic"
)

// smallSizes makes German Credit (600 training rows of 20 columns) a
// "large" table: rungs of 50, 150 and 450 rows.
func smallSizes(t *testing.T) {
	old := sizes
	sizes.cells, sizes.rungCells, sizes.minRung, sizes.maxRung, sizes.score, sizes.test = 1000, 1000, 50, 50, 150, 100
	t.Cleanup(func() { sizes = old })
}

// TestSampledSearchReproducible: a search on samples proposes and scores
// the same trials bit for bit whatever the number of slots; trials carry
// their rows, configurations that lead climb the rungs with the same
// model, preprocessing and seed, and the best is refit on every training
// row at the end (and no ensemble of sampled trials follows).
func TestSampledSearchReproducible(t *testing.T) {
	smallSizes(t)
	data := germanCredit(t)
	var logs [2][]string
	var res [2]*Result
	for i, workers := range []int{1, 3} {
		// Ensemble auto, as the CLI's default: a search on samples has no
		// ensemble step, so the refit is the last trial.
		cfg := Config{Data: data, Target: "class", MaxTrials: 40, Seed: 5, Workers: workers, Include: fastFamilies,
			RunsDir: t.TempDir(), Name: "sampled", Ensemble: EnsembleAuto}
		res[i] = runFor(t, cfg)
		logs[i] = stripTiming(t, filepath.Join(res[i].Dir, "trials.jsonl"))
	}
	if !reflect.DeepEqual(logs[0], logs[1]) {
		t.Fatalf("1 and 3 slots gave different trials:\n%v\n%v", logs[0], logs[1])
	}
	r := res[0]
	s := r.Experiment.Sampling
	if s == nil || !reflect.DeepEqual(s.Rungs, []int{50, 150, 450}) || s.ValRows != 150 || s.TrainRows != 600 {
		t.Fatalf("sampling %+v, want rungs [50 150 450] of 600 training rows, 150 validation rows", s)
	}
	byID := map[int]Trial{}
	rungs := map[int]int{}
	for _, tr := range r.Trials {
		byID[tr.ID] = tr
		rungs[tr.Rows]++
	}
	if len(r.Trials) != 41 {
		t.Errorf("%d trials, want 40 and the refit", len(r.Trials))
	}
	if rungs[50] == 0 || rungs[150] == 0 || rungs[450] == 0 {
		t.Errorf("trials per rung %v: want some on every rung", rungs)
	}
	// A promoted trial repeats a configuration of the rung below.
	for _, tr := range r.Trials {
		if tr.Rows == 50 || tr.Rows == 600 {
			continue
		}
		found := false
		for _, o := range r.Trials {
			if o.ID < tr.ID && o.Rows < tr.Rows && o.Seed == tr.Seed && reflect.DeepEqual(o.Model, tr.Model) && reflect.DeepEqual(o.Prep, tr.Prep) {
				found = true
			}
		}
		if !found {
			t.Errorf("trial %d on %d rows repeats no configuration of a lower rung", tr.ID, tr.Rows)
		}
	}
	last := r.Trials[len(r.Trials)-1]
	if last.Rows != 600 || last.Status != "ok" {
		t.Fatalf("last trial %+v: want the refit on all 600 training rows", last)
	}
	// The refit is the best sampled configuration, scored on the same
	// validation rows and on the whole test set (200 rows).
	var best *Trial
	for i, tr := range r.Trials[:len(r.Trials)-1] {
		if best == nil || better(r.Experiment.Config.Metric, tr.Score(r.Experiment.Config.Metric), best.Score(r.Experiment.Config.Metric)) {
			best = &r.Trials[i]
		}
	}
	if last.Seed != best.Seed || !reflect.DeepEqual(last.Model, best.Model) {
		t.Errorf("refit %v of %v, want the best trial %d's configuration", last.Model, last.Seed, best.ID)
	}
}

// TestSampleOff: below the threshold, or with Sample off, trials carry no
// rows and the experiment no sampling.
func TestSampleOff(t *testing.T) {
	smallSizes(t)
	cfg := Config{Data: germanCredit(t), Target: "class", MaxTrials: 3, Seed: 5, Include: fastFamilies, Sample: SampleOff,
		RunsDir: t.TempDir(), Name: "off"}
	r := runFor(t, cfg)
	if r.Experiment.Sampling != nil {
		t.Errorf("sampling %+v with --sample off", r.Experiment.Sampling)
	}
	for _, tr := range r.Trials {
		if tr.Rows != 0 {
			t.Errorf("trial %d has rows %d", tr.ID, tr.Rows)
		}
	}
}

// TestStratifiedOrder: every prefix holds each class within one row of its
// share, and the order is a permutation of the rows.
func TestStratifiedOrder(t *testing.T) {
	var rows []int
	classOf := make([]int, 3000)
	counts := map[int]int{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 {
		rows = append(rows, i*3)
		c := 0
		switch x := r.Float64(); {
		case x < 0.07:
			c = 2
		case x < 0.3:
			c = 1
		}
		classOf[i*3] = c
		counts[c]++
	}
	order := stratifiedOrder(rows, classOf, rand.New(rand.NewPCG(3, 4)))
	if got := slices.Sorted(slices.Values(order)); !slices.Equal(got, rows) {
		t.Fatal("the order is not a permutation of the rows")
	}
	seen := map[int]int{}
	for n, row := range order {
		seen[classOf[row]]++
		for c, total := range counts {
			want := float64(n+1) * float64(total) / float64(len(rows))
			if d := float64(seen[c]) - want; d > 1 || d < -1 {
				t.Fatalf("prefix of %d rows holds %d of class %c, want %.1f", n+1, seen[c], 'a'+c, want)
			}
		}
	}
}

// TestPlanSampling: the threshold, the rungs and the cases without
// sampling.
func TestPlanSampling(t *testing.T) {
	rows := func(n int) []int { return make([]int, n) }
	sp := &dataset.Split{Train: rows(600_000), Val: rows(200_000), Test: rows(200_000)}
	s := planSampling(Config{}, sp, 19)
	if s == nil || !reflect.DeepEqual(s.Rungs, []int{10526, 31578, 94734, 284202}) || s.ValRows != 25_000 || s.TestRows != 10_000 {
		t.Fatalf("600,000 × 19: %+v", s)
	}
	if s := planSampling(Config{Sample: SampleOff}, sp, 19); s != nil {
		t.Errorf("sample off: %+v", s)
	}
	if s := planSampling(Config{}, &dataset.Split{Train: rows(100_000), Val: rows(10)}, 19); s != nil {
		t.Errorf("1,900,000 cells: %+v", s)
	}
	if s := planSampling(Config{}, &dataset.Split{Train: rows(600_000), Val: rows(10), Folds: [][]int{{1}, {2}}}, 19); s != nil {
		t.Errorf("cross-validation: %+v", s)
	}
}

// TestChunkedTransform: a matrix made by chunks equals the one made at
// once (preprocessing is row by row), and a cut context stops it.
func TestChunkedTransform(t *testing.T) {
	old := chunkRows
	chunkRows = 7
	t.Cleanup(func() { chunkRows = old })
	p, err := Prepare(Config{Data: germanCredit(t), Target: "class", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	d := p.Data
	spec := p.Base
	spec.NumericImpute, spec.CategoricalImpute, spec.Encoding, spec.Scale = "median", "most_frequent", "onehot", true
	pipe, err := spec.Fit(d.Frame, d.Split.Train)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pipe.Transform(d.Frame, d.Split.Test)
	if err != nil {
		t.Fatal(err)
	}
	got, err := transform(context.Background(), pipe, d, d.Split.Test)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(got, want) {
		t.Error("the chunked transform differs from the transform at once")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := transform(ctx, pipe, d, d.Split.Test); err == nil {
		t.Error("a cancelled transform returned no error")
	}
}

// TestLeaderboardRows: the leaderboards show each trial's training rows
// when the search ran on samples, and have no rows column otherwise.
func TestLeaderboardRows(t *testing.T) {
	mk := func(id, rows int, auc float64) Trial {
		return Trial{TrialSpec: TrialSpec{ID: id, Rows: rows, Model: models.DefaultSpec(logistic.Name)}, Status: "ok",
			Val: map[string]float64{"roc_auc": auc}, Test: map[string]float64{"roc_auc": auc}}
	}
	var b strings.Builder
	if err := WriteLeaderboard(&b, []Trial{mk(0, 10526, 0.7), mk(1, 600000, 0.8)}, "roc_auc", 0); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if !strings.Contains(lines[0], " rows ") || !strings.Contains(lines[1], " 600000 ") || !strings.Contains(lines[2], " 10526 ") {
		t.Errorf("leaderboard without the rows of each trial:\n%s", b.String())
	}
	b.Reset()
	if err := WriteLeaderboardCSV(&b, []Trial{mk(0, 10526, 0.7)}, "roc_auc"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), ",rows\n") || !strings.Contains(b.String(), ",10526\n") {
		t.Errorf("CSV leaderboard without rows:\n%s", b.String())
	}
	b.Reset()
	if err := WriteLeaderboard(&b, []Trial{mk(0, 0, 0.7)}, "roc_auc", 0); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "rows") {
		t.Errorf("a search on every row shows rows:\n%s", b.String())
	}
}

// TestSampledResume: a resumed search on samples goes on from the trials
// of the earlier run (the halving learns them again), and its best is
// fitted on every training row.
func TestSampledResume(t *testing.T) {
	smallSizes(t)
	cfg := Config{Data: germanCredit(t), Target: "class", MaxTrials: 15, Seed: 5, Include: fastFamilies, RunsDir: t.TempDir(), Name: "r"}
	res := runFor(t, cfg)
	st, err := OpenStore(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := st.Experiment()
	e.Config.MaxTrials = 30
	if err := st.WriteExperiment(e); err != nil {
		t.Fatal(err)
	}
	st.Close()
	res2, err := Resume(context.Background(), res.Dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]bool{}
	refits := 0
	for _, tr := range res2.Trials {
		if ids[tr.ID] {
			t.Fatalf("trial %d twice", tr.ID)
		}
		ids[tr.ID] = true
		if tr.Rows == 600 {
			refits++
		} else if !slices.Contains(res2.Experiment.Sampling.Rungs, tr.Rows) {
			t.Errorf("trial %d on %d rows, no rung's", tr.ID, tr.Rows)
		}
	}
	// The earlier refit counts against the trial budget; the best is a
	// refit (the earlier one, unless a new configuration beat it).
	if len(res2.Trials) < 30 || refits == 0 || res2.Best == nil || res2.Best.Rows != 600 {
		t.Errorf("%d trials, %d refits, best %+v after the resume: want 30 or 31, the best on all 600 rows", len(res2.Trials), refits, res2.Best)
	}
}

// TestRefitChoice: the refit runs the best configuration when its
// estimated refit fits in the time left, else the best one whose does,
// else the best anyway.
func TestRefitChoice(t *testing.T) {
	mk := func(id int, auc, fit float64) Trial {
		return Trial{TrialSpec: TrialSpec{ID: id, Rows: 100}, Status: "ok", Val: map[string]float64{"roc_auc": auc},
			Timing: Timing{FitSeconds: fit, WallSeconds: fit + 0.1}}
	}
	trials := []Trial{mk(0, 0.80, 0.1), mk(1, 0.90, 10), mk(2, 0.85, 5), mk(3, 0.95, 0.1)}
	trials[3].Rows = 1000 // a refit already on every row is no candidate
	s := &search{cfg: Config{Metric: "roc_auc"}, res: &Result{Trials: trials}, best: &trials[1]}
	for _, c := range []struct {
		left time.Duration
		want int
	}{{time.Hour, 1}, {100 * time.Second, 2}, {10 * time.Second, 0}, {time.Second, 1}} {
		if got := s.refitChoice(1000, 1, c.left); got.ID != c.want {
			t.Errorf("%v left: refit of trial %d, want %d (estimates %v, %v, %v)", c.left, got.ID, c.want,
				refitEstimate(trials[1], 1000, 1), refitEstimate(trials[2], 1000, 1), refitEstimate(trials[0], 1000, 1))
		}
	}
	// More cores shorten the estimate of the fit.
	if refitEstimate(trials[1], 1000, 4) >= refitEstimate(trials[1], 1000, 1) {
		t.Error("4 cores are estimated no faster than 1")
	}
}
