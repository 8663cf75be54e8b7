package automl

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goautoml/automl/dataset"
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
// refit of its best trial, or of the three best when an ensemble may blend
// them, up to a tenth of the budget; nothing without the refit or above
// that.
func TestRefitNeed(t *testing.T) {
	split := &dataset.Split{Train: make([]int, 600), Val: make([]int, 200), Test: make([]int, 200), Folds: make([][]int, 5)}
	var trials []Trial
	bytes := map[int]int64{}
	for i, auc := range []float64{0.70, 0.90, 0.80, 0.85, 0.60} {
		trials = append(trials, Trial{TrialSpec: TrialSpec{ID: i}, Status: "ok", Val: map[string]float64{"roc_auc": auc},
			Timing: Timing{WallSeconds: float64(i + 1)}})
		bytes[i] = 1000
	}
	mk := func(refit, ens string) *search {
		return &search{cfg: Config{Metric: "roc_auc", Refit: refit, Ensemble: ens, Timeout: time.Minute},
			data: &Data{Split: split}, res: &Result{Trials: trials}, bundleBytes: bytes}
	}
	if got, want := mk(RefitAll, EnsembleNone).refitNeed(), refitAllEstimate([]Trial{trials[1]}, split, bytes); got != want {
		t.Errorf("no ensemble: %v, want the best trial's refit, %v", got, want)
	}
	if got, want := mk(RefitAll, EnsembleAuto).refitNeed(), refitAllEstimate([]Trial{trials[1], trials[3], trials[2]}, split, bytes); got != want {
		t.Errorf("with the ensemble: %v, want the three best trials' refit, %v", got, want)
	}
	if got := mk(RefitNone, EnsembleAuto).refitNeed(); got != 0 {
		t.Errorf("no refit: %v, want 0", got)
	}
	// More than a tenth of the budget: the search does not shorten for it.
	short := mk(RefitAll, EnsembleAuto)
	short.cfg.Timeout = 10 * refitAllEstimate([]Trial{trials[1], trials[3], trials[2]}, split, bytes)
	if got := short.refitNeed(); got == 0 {
		t.Errorf("a refit of exactly a tenth of the budget: need 0, want its estimate")
	}
	short.cfg.Timeout--
	if got := short.refitNeed(); got != 0 {
		t.Errorf("a refit of more than a tenth of the budget: need %v, want 0", got)
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
