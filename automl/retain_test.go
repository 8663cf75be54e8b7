package automl

import (
	"cmp"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goautoml/automl/store"
)

// GC keeps the best trials' and pinned trials' bundles and removes the
// others; Recreate brings a removed one back from its spec, with the
// recorded metrics (issue 17, finding 10).
func TestGCAndRecreate(t *testing.T) {
	cfg := Config{Data: germanCredit(t), Target: "class", MaxTrials: 8, Seed: 3, Workers: 2, RunsDir: t.TempDir(), Name: "gc",
		KeepBundles: -1, Include: fastFamilies}
	res := runFor(t, cfg)
	l := store.At(res.Dir)
	metric := res.Experiment.Config.Metric
	var ok []Trial
	for _, tr := range res.Trials {
		if tr.Status == "ok" {
			ok = append(ok, tr)
		}
	}
	if len(ok) < 5 {
		t.Fatalf("%d successful trials", len(ok))
	}
	slices.SortStableFunc(ok, func(a, b Trial) int {
		if a.Score(metric) > b.Score(metric) {
			return -1
		}
		if a.Score(metric) < b.Score(metric) {
			return 1
		}
		return a.ID - b.ID
	})
	worst := ok[len(ok)-1].ID
	if err := Pin(l.Trial(worst), "served"); err != nil {
		t.Fatal(err)
	}
	before := Size(res.Dir)
	dry, err := GC(res.Dir, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	if Size(res.Dir) != before {
		t.Fatal("a dry run removed files")
	}
	r, err := GC(res.Dir, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Removed, dry.Removed) || len(r.Removed) != len(ok)-3 {
		t.Fatalf("removed %v (dry run %v), want %d bundles", r.Removed, dry.Removed, len(ok)-3)
	}
	for _, id := range []int{ok[0].ID, ok[1].ID, worst, *res.Experiment.Best} {
		if _, err := os.Stat(l.Bundle(id)); err != nil || !slices.Contains(r.Kept, id) {
			t.Errorf("trial %d (best two, pinned, or best) lost its bundle", id)
		}
	}
	if r.Freed <= 0 || r.Size >= before {
		t.Errorf("freed %d bytes, size %d -> %d", r.Freed, before, r.Size)
	}
	gone := r.Removed[0]
	if _, err := os.Stat(l.Bundle(gone)); !os.IsNotExist(err) {
		t.Fatalf("trial %d: bundle still there", gone)
	}
	dir, err := Recreate(context.Background(), res.Dir, gone, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	rec := res.Trials[slices.IndexFunc(res.Trials, func(tr Trial) bool { return tr.ID == gone })]
	if m.TrialID != gone || m.Test[metric] != rec.Test[metric] {
		t.Errorf("re-created bundle: trial %d, test %v; recorded test %v", m.TrialID, m.Test, rec.Test)
	}
	// Changed data: refused, never a silently different model.
	os.WriteFile(cfg.Data, []byte(strings.Replace(string(mustRead(t, cfg.Data)), "A11", "A12", 1)), 0o644)
	if _, err := Recreate(context.Background(), res.Dir, r.Removed[1], 1); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("re-creation on changed data: %v", err)
	}
	if _, err := Recreate(context.Background(), res.Dir, 999, 1); err == nil {
		t.Error("re-created a trial that does not exist")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBundlesWrittenAhead: with trials writing their bundles ahead of the
// commit, the trials that keep a bundle are exactly those among the best
// KeepBundles committed before them (in ID order), whatever the slots, and
// nothing is left in the pending folder.
func TestBundlesWrittenAhead(t *testing.T) {
	data := germanCredit(t)
	for _, workers := range []int{1, 3} {
		cfg := Config{Data: data, Target: "class", MaxTrials: 24, Seed: 9, Workers: workers, Include: fastFamilies,
			RunsDir: t.TempDir(), Name: "ahead", KeepBundles: 3}
		res := runFor(t, cfg)
		lay := store.At(res.Dir)
		var best []float64
		for _, tr := range res.Trials {
			if tr.Ensemble != nil {
				continue
			}
			sc := tr.Score(res.Experiment.Config.Metric) // roc_auc: higher is better
			want := tr.Status == "ok" && (len(best) < 3 || sc > best[2])
			if want {
				best = append(best, sc)
				slices.SortFunc(best, func(a, b float64) int { return cmp.Compare(b, a) })
				best = best[:min(3, len(best))]
			}
			_, err := os.Stat(lay.Bundle(tr.ID))
			if got := err == nil; got != want {
				t.Errorf("%d slots, trial %d (score %.4f): bundle %v, want %v", workers, tr.ID, sc, got, want)
			}
		}
		if _, err := os.Stat(lay.Pending()); !os.IsNotExist(err) {
			t.Errorf("%d slots: the pending folder is still there (%v)", workers, err)
		}
	}
}
