package mlflow

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goautoml/automl/mlflow/mlflowtest"
)

// TestConcurrentExports runs two exports of the same experiment at once, as two machines
// would (separate clients, a server that drops some answers): the lock on the server makes
// them end with one parent run and one run per trial, and the lock is gone afterwards.
func TestConcurrentExports(t *testing.T) {
	dir := germanCredit(t)
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 3})
	defer s.Close()
	var wg sync.WaitGroup
	reps := make([]*ExportReport, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			reps[i], errs[i] = Export(context.Background(), exportClient(s, uint64(10+i)), dir,
				ExportOptions{ExperimentName: "German credit", Workers: 4})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("export %d: %v", i, err)
		}
	}
	checkExport(t, s, dir)
	if got := reps[0].Exported + reps[1].Exported; got != 30 {
		t.Errorf("the two exports wrote %d trial runs (%+v, %+v), want 30 in all", got, reps[0], reps[1])
	}
	if reps[0].ParentRunID != reps[1].ParentRunID {
		t.Errorf("parent runs %s and %s", reps[0].ParentRunID, reps[1].ParentRunID)
	}
	for _, n := range s.RegisteredModelNames() {
		if strings.HasPrefix(n, "goautoml-export-lock-") {
			t.Errorf("lock %s left behind", n)
		}
	}
}

// TestAbandonedLock checks that a lock left by a killed export is taken over once it has not
// been refreshed for lockStale.
func TestAbandonedLock(t *testing.T) {
	dir := germanCredit(t)
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 4})
	defer s.Close()
	defer func(old time.Duration) { lockStale = old }(lockStale)
	lockStale = 300 * time.Millisecond
	c := exportClient(s, 1)
	ctx := context.Background()
	x, err := NewExporter(c, dir, ExportOptions{ExperimentName: "German credit"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := x.experimentID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRegisteredModel(ctx, ExportLockName(id, x.exp.Name), "left by a killed export",
		[]Tag{{Key: TagLockToken, Value: "dead"}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := Export(ctx, c, dir, ExportOptions{ExperimentName: "German credit"}); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < lockStale {
		t.Errorf("the export did not wait for the lock (%v)", waited)
	}
	checkExport(t, s, dir)
	if names := s.RegisteredModelNames(); len(names) != 0 {
		t.Errorf("registered models left: %v", names)
	}
}
