package automl

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/goautoml/automl/store"
)

// TestAbandonedEnsembleStopsWriting: an ensemble step still working at the
// deadline is abandoned; it is told to stop, writes nothing into a trial's
// folder, removes its temporary folder, and Options.Background counts it
// until then, so a server or a test can remove the experiment once the
// group is done (web's TestStartForgetsFrame failed in CI on files written
// into a folder being removed).
func TestAbandonedEnsembleStopsWriting(t *testing.T) {
	held := make(chan string, 1)
	ensembleBuilt = func(ctx context.Context, dir string) {
		held <- dir
		<-ctx.Done()
		// A phase that only notices the cancellation a moment later.
		time.Sleep(300 * time.Millisecond)
		os.WriteFile(filepath.Join(dir, "late"), []byte("x"), 0o644)
	}
	t.Cleanup(func() { ensembleBuilt = nil })
	// The trial budget ends the search well before the time budget (cheap
	// families, even under the race detector on a loaded machine); the
	// step, held by the hook, is then abandoned near the time budget's end.
	cfg := Config{Data: germanCredit(t), Target: "class", MaxTrials: 6, Seed: 2, Workers: 2, RunsDir: t.TempDir(),
		Include: fastFamilies, Timeout: 15 * time.Second, Ensemble: EnsembleAuto}
	var bg sync.WaitGroup
	res, err := Run(context.Background(), cfg, Options{Background: &bg})
	if err != nil {
		t.Fatal(err)
	}
	var tmp string
	select {
	case tmp = <-held:
	default:
		t.Fatalf("the ensemble step never reached its bundle (%d trials, %s): nothing was abandoned", len(res.Trials), res.Experiment.StopReason)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("the abandoned step's folder is gone before it stopped: %v (the test cannot tell)", err)
	}
	bg.Wait()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the abandoned step left its folder %s: %v", filepath.Base(tmp), err)
	}
	for _, tr := range res.Trials {
		if tr.Ensemble != nil {
			t.Errorf("trial %d: an abandoned ensemble was recorded", tr.ID)
		}
	}
	lay := store.At(res.Dir)
	ents, err := os.ReadDir(lay.Trials())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() && e.Name() == "6" {
			t.Errorf("the abandoned ensemble's trial folder %s exists", e.Name())
		}
		if e.Name()[0] == '.' {
			t.Errorf("left in the trials folder: %s", e.Name())
		}
	}
}
