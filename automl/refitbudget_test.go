package automl

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

// TestRefitAllEstimate works the estimate of a refit on every row by hand:
// per member, its wall time per fit scaled to every row, a quarter more,
// and its bundle's write; then the combined bundle's 0.2 s.
func TestRefitAllEstimate(t *testing.T) {
	const mb = 1 << 20
	cv := &dataset.Split{Train: make([]int, 600), Val: make([]int, 200), Test: make([]int, 200), Folds: make([][]int, 5)}
	a := Trial{TrialSpec: TrialSpec{ID: 1}, Timing: Timing{WallSeconds: 6}}
	b := Trial{TrialSpec: TrialSpec{ID: 2}, Timing: Timing{WallSeconds: 12}}
	bytes := map[int]int64{1: 10 * mb}
	// 5 folds and the fit on 800 non-test rows: 1 s a fit, × 1000/800 ×
	// 1.25 = 1.5625 s, 10 MB written at 0.1 s a MB: 1.048576 s.
	one := 0.2 + 1.5625 + 10*mb*loadSecondsPerByte
	two := one + 1.25*2*1000.0/800
	for _, c := range []struct {
		name    string
		members []Trial
		split   *dataset.Split
		want    float64
	}{
		{"one trial, folds", []Trial{a}, cv, one},
		{"two members, folds", []Trial{a, b}, cv, two},
		// one split: one fit on the 600 training rows
		{"one split", []Trial{b}, &dataset.Split{Train: make([]int, 600), Val: make([]int, 200), Test: make([]int, 200)}, 0.2 + 1.25*12*1000.0/600},
		// a trial on a sample of 100 rows scales from its own rows
		{"sample", []Trial{{TrialSpec: TrialSpec{ID: 3, Rows: 100}, Timing: Timing{WallSeconds: 1}}},
			&dataset.Split{Train: make([]int, 600), Val: make([]int, 200), Test: make([]int, 200)}, 0.2 + 1.25*1000.0/100},
	} {
		got := refitAllEstimate(c.members, c.split, bytes).Seconds()
		if math.Abs(got-c.want) > 1e-6 {
			t.Errorf("%s: %.6f s, want %.6f s", c.name, got, c.want)
		}
	}
	// An ensemble's refit is its members'.
	e := Trial{TrialSpec: TrialSpec{ID: 9, Ensemble: &EnsembleSpec{Members: []EnsembleMember{{Trial: 2, Weight: 0.5}, {Trial: 1, Weight: 0.5}}}}}
	if m := refitMembers(e, []Trial{a, b}); len(m) != 2 || m[0].ID != 2 || m[1].ID != 1 {
		t.Errorf("members of the ensemble: %+v, want trials 2 and 1", m)
	}
	if m := refitMembers(a, []Trial{a, b}); len(m) != 1 || m[0].ID != 1 {
		t.Errorf("members of a trial: %+v, want the trial", m)
	}
}

// TestRefitNeed: with Refit "all" in a timed run the search keeps back the
// refit of its best trial, or of the ensembleMaxMembers best when an
// ensemble may blend them, up to a tenth of the budget (the blend's
// heaviest members are refit in it); nothing without the refit, nor when
// the best trial's refit alone is more than that tenth.
func TestRefitNeed(t *testing.T) {
	split := &dataset.Split{Train: make([]int, 600), Val: make([]int, 200), Test: make([]int, 200), Folds: make([][]int, 5)}
	var trials []Trial
	bytes := map[int]int64{}
	aucs := []float64{0.70, 0.90, 0.80, 0.85, 0.60, 0.75, 0.72, 0.71, 0.74, 0.65}
	for i, auc := range aucs {
		trials = append(trials, Trial{TrialSpec: TrialSpec{ID: i}, Status: "ok", Val: map[string]float64{"roc_auc": auc},
			Timing: Timing{WallSeconds: float64(i + 1)}})
		bytes[i] = 1000
	}
	mk := func(refit, ens string) *search {
		return &search{cfg: Config{Metric: "roc_auc", Refit: refit, Ensemble: ens, Timeout: 10 * time.Minute},
			data: &Data{Split: split}, res: &Result{Trials: trials}, bundleBytes: bytes}
	}
	if got, want := mk(RefitAll, EnsembleNone).refitNeed(), refitAllEstimate([]Trial{trials[1]}, split, bytes); got != want {
		t.Errorf("no ensemble: %v, want the best trial's refit, %v", got, want)
	}
	// the 8 best: every trial but 4 and 9, the two worst
	eight := []Trial{trials[1], trials[3], trials[2], trials[5], trials[8], trials[6], trials[7], trials[0]}
	if got, want := mk(RefitAll, EnsembleAuto).refitNeed(), refitAllEstimate(eight, split, bytes); got != want {
		t.Errorf("with the ensemble: %v, want the eight best trials' refit, %v", got, want)
	}
	if got := mk(RefitNone, EnsembleAuto).refitNeed(); got != 0 {
		t.Errorf("no refit: %v, want 0", got)
	}
	// More than a tenth of the budget: a tenth, for the heaviest members.
	short := mk(RefitAll, EnsembleAuto)
	short.cfg.Timeout = 10 * refitAllEstimate(eight, split, bytes)
	if got, want := short.refitNeed(), refitAllEstimate(eight, split, bytes); got != want {
		t.Errorf("a refit of exactly a tenth of the budget: need %v, want its estimate %v", got, want)
	}
	short.cfg.Timeout = 5 * refitAllEstimate(eight, split, bytes)
	if got, want := short.refitNeed(), short.cfg.Timeout/10; got != want {
		t.Errorf("a refit of a fifth of the budget: need %v, want a tenth, %v", got, want)
	}
	// ... but nothing when not even the best trial's refit fits in it.
	short.cfg.Timeout = 10*refitAllEstimate(eight[:1], split, bytes) - 10
	if got := short.refitNeed(); got != 0 {
		t.Errorf("the best trial's refit alone over a tenth of the budget: need %v, want 0", got)
	}
	single := mk(RefitAll, EnsembleNone)
	single.cfg.Timeout = 10*refitAllEstimate(eight[:1], split, bytes) - 10
	if got := single.refitNeed(); got != 0 {
		t.Errorf("no ensemble, a refit over a tenth of the budget: need %v, want 0", got)
	}
}

// TestRefitPlan: a single trial is refit whole or not at all; an
// ensemble's members are refit heaviest first while their estimates fit
// in the time left, a member too slow passed over for lighter ones.
func TestRefitPlan(t *testing.T) {
	split := &dataset.Split{Train: make([]int, 600), Val: make([]int, 200), Test: make([]int, 200), Folds: make([][]int, 5)}
	// 6 fits each: trial i takes i s a fit, 1.5625·i s refit on 1,000 rows
	var trials []Trial
	for i := 1; i <= 4; i++ {
		trials = append(trials, Trial{TrialSpec: TrialSpec{ID: i}, Status: "ok", Timing: Timing{WallSeconds: 6 * float64(i)}})
	}
	refit := func(i int) float64 { return 1.5625 * float64(i) }
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	single := trials[1]
	if plan, need := refitPlan(single, trials, split, nil, sec(0.2+refit(2)+0.01)); !slices.Equal(plan, []int{2}) || need != refitAllEstimate([]Trial{single}, split, nil) {
		t.Errorf("single trial with time: plan %v need %v, want [2] and its estimate", plan, need)
	}
	if plan, _ := refitPlan(single, trials, split, nil, sec(0.2+refit(2)-0.01)); plan != nil {
		t.Errorf("single trial without time: plan %v, want none", plan)
	}
	// weights: trial 3 heaviest, then 4, 1, 2
	ens := Trial{TrialSpec: TrialSpec{ID: 9, Ensemble: &EnsembleSpec{Members: []EnsembleMember{
		{Trial: 1, Weight: 0.2}, {Trial: 2, Weight: 0.1}, {Trial: 3, Weight: 0.4}, {Trial: 4, Weight: 0.3}}}}}
	whole := refitAllEstimate(trials, split, nil)
	for _, c := range []struct {
		left float64
		want []int
	}{
		{0.2 + refit(1+2+3+4) + 0.01, []int{3, 4, 1, 2}},
		// 3 and 4 fit, 1 then fits too, 2 does not
		{0.2 + refit(3+4+1) + 0.01, []int{3, 4, 1}},
		// 3 fits; 4 does not, 1 and 2 do
		{0.2 + refit(3+1+2) + 0.01, []int{3, 1, 2}},
		{0.2 + refit(2) + 0.01, []int{1}},
		{0.2 + refit(1) - 0.01, nil},
	} {
		plan, need := refitPlan(ens, trials, split, nil, sec(c.left))
		if !slices.Equal(plan, c.want) || need != whole {
			t.Errorf("%.2f s left: plan %v need %v, want %v and %v", c.left, plan, need, c.want, whole)
		}
	}
}

// TestRefitAllOutOfTime: when the refit on every row would not be done by
// the end of the budget, it is not started: the run says why, best stays
// the searched trial, and an earlier run's refit does not stand for it.
func TestRefitAllOutOfTime(t *testing.T) {
	dir := t.TempDir()
	lay := store.At(dir)
	old := filepath.Join(dir, store.BestAlias)
	if err := os.MkdirAll(old, 0o755); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	best := Trial{TrialSpec: TrialSpec{ID: 3}, Status: "ok", Timing: Timing{WallSeconds: 60}}
	split := &dataset.Split{Train: make([]int, 600), Val: make([]int, 200), Test: make([]int, 200), Folds: make([][]int, 5)}
	s := &search{cfg: Config{Refit: RefitAll, Timeout: 10 * time.Second, Grace: 500 * time.Millisecond},
		start: time.Now().Add(-8 * time.Second), best: &best, res: &Result{Trials: []Trial{best}},
		data: &Data{Split: split}, st: &Store{Layout: lay}, log: slog.New(slog.NewTextHandler(&log, nil))}
	// about 15 s of refit, 2 s or so left: not started (a start would fail
	// at once on this search's empty data, and say so)
	s.refitStep(context.Background())
	msg := log.String()
	if !strings.Contains(msg, "refit of trial 3 on every row would take about 15.") || strings.Contains(msg, "failed") {
		t.Errorf("log %q: want the refit of trial 3 declined for lack of time", msg)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("an earlier run's best folder is still there (%v)", err)
	}
}

// TestRefitPart: the refit of some members of an ensemble (the budget
// ended before the others') writes a bundle whose refit members differ
// from the searched ones and whose other members are the searched ones
// to the bit, lists those in NotRefit, and keeps the searched
// calibration, threshold and scores. A refit the budget cuts before any
// member is done fails, and leaves no best folder.
func TestRefitPart(t *testing.T) {
	data, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Data: data, Target: "class", MaxTrials: 16, Seed: 4, Workers: 2, RunsDir: t.TempDir(), Name: "part",
		Include: []models.Family{"logistic", "gbdt", "naive_bayes"}, Ensemble: EnsembleAuto,
		Calibration: CalibrationAuto, Search: SearchAdaptive}
	cfg.Split.TrainFrac, cfg.Split.ValFrac = 0.6, 0.2
	p, err := Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunPrepared(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	best := *res.Best
	if best.Ensemble == nil || len(best.Ensemble.Members) < 2 {
		t.Fatalf("best is trial %d (%s): this test needs an ensemble of two or more members", best.ID, best.Model.Family)
	}
	lay := store.At(res.Dir)
	ms := best.Ensemble.Members
	plan := []int{ms[len(ms)-1].Trial}
	var want []int
	for _, m := range ms[:len(ms)-1] {
		want = append(want, m.Trial)
	}
	kept, err := refitBest(context.Background(), lay, p.Data, p.Experiment.Name, best, res.Trials, 2, plan)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kept, want) {
		t.Fatalf("kept %v, want %v", kept, want)
	}
	bestDir := filepath.Join(res.Dir, store.BestAlias)
	refit, err := bundle.Load(bestDir)
	if err != nil {
		t.Fatal(err)
	}
	searched, err := bundle.Load(lay.Trial(best.ID))
	if err != nil {
		t.Fatal(err)
	}
	if refit.Refit != RefitAll || !slices.Equal(refit.NotRefit, want) || refit.TrialID != best.ID {
		t.Errorf("refit %q, not refit %v, trial %d; want all, %v, %d", refit.Refit, refit.NotRefit, refit.TrialID, want, best.ID)
	}
	if (refit.Calibration == nil) != (searched.Calibration == nil) || refit.Val[cfg.Metric] != searched.Val[cfg.Metric] {
		t.Errorf("the partly refit bundle does not keep the searched calibration and scores")
	}
	rows := p.Data.Split.Test
	proba := func(m bundle.Loaded) *mat.Dense {
		x, err := m.Prep.Transform(p.Data.Frame, rows)
		if err != nil {
			t.Fatal(err)
		}
		q, err := m.Classifier.PredictProba(x)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	for k, m := range refit.Members() {
		same := mat.Equal(proba(m), proba(searched.Members()[k]))
		if isKept := slices.Contains(want, m.TrialID); same != isKept {
			t.Errorf("member %d (trial %d): probabilities unchanged %v, want %v (kept as searched: %v)", k, m.TrialID, same, isKept, isKept)
		}
	}
	// The budget already over: no member refit, an error, no best.
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(ErrBudget)
	os.RemoveAll(bestDir)
	if _, err := refitBest(ctx, lay, p.Data, p.Experiment.Name, best, res.Trials, 2, plan); err == nil {
		t.Errorf("a refit cut before any member is done: no error")
	}
	if _, err := os.Stat(bestDir); !os.IsNotExist(err) {
		t.Errorf("a refit cut before any member is done left a best folder (%v)", err)
	}
}
