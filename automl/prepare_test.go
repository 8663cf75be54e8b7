package automl_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/samples"
)

// countdown is a context that ends at its n-th Err call: a test hook that
// puts the end of a budget at each of the checks a preparation makes, with
// no huge file and no timing.
type countdown struct {
	context.Context
	mu    sync.Mutex
	n     int // checks left before it ends (< 0: never)
	calls int
	done  chan struct{}
}

func newCountdown(n int) *countdown {
	return &countdown{Context: context.Background(), n: n, done: make(chan struct{})}
}

func (c *countdown) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.n == 0 {
		return context.DeadlineExceeded
	}
	if c.n > 0 {
		if c.n--; c.n == 0 {
			close(c.done)
		}
	}
	return nil
}

func (c *countdown) Done() <-chan struct{} { return c.done }

// TestPrepareStopsAtEveryCheck: a budget that ends at any of the checks of
// the preparation (profile, split, duplicate rows, leakage) stops it with
// an error naming the file and wrapping the cause; one that does not end
// prepares as PrepareFrame does.
func TestPrepareStopsAtEveryCheck(t *testing.T) {
	path, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f, err := dataset.Read(path, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := automl.Config{Data: path, Target: "class", Seed: 1}
	cfg.Split.TrainFrac, cfg.Split.ValFrac = 0.6, 0.2
	all := newCountdown(-1)
	p, err := automl.PrepareFrameContext(all, f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want, err := automl.PrepareFrame(f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Experiment.Plan.Columns) != len(want.Experiment.Plan.Columns) || len(p.Experiment.Plan.Guardrails) != len(want.Experiment.Plan.Guardrails) {
		t.Errorf("plan with a context %+v, without %+v", p.Experiment.Plan, want.Experiment.Plan)
	}
	// One check per column profiled and per column scored for leakage at least.
	if all.calls < 2*len(p.Experiment.Plan.Columns) {
		t.Fatalf("the preparation checks its context %d times, for %d feature columns", all.calls, len(p.Experiment.Plan.Columns))
	}
	for n := range all.calls {
		p, err := automl.PrepareFrameContext(newCountdown(n), f, cfg)
		if p != nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), path) {
			t.Fatalf("budget ending at check %d of %d: %v", n+1, all.calls, err)
		}
	}
}

// TestPrepareExpiredIsPrompt: a context already ended stops the preparation
// of 200,000 rows before it profiles anything, in a small part of what the
// whole preparation takes.
func TestPrepareExpiredIsPrompt(t *testing.T) {
	if testing.Short() {
		t.Skip("prepares 200,000 rows")
	}
	const rows = 200_000
	num := make([]float64, rows)
	miss := make([]bool, rows)
	ys := make([]string, rows)
	for i := range rows {
		num[i] = float64(i%977) * 1.5
		ys[i] = []string{"a", "b"}[i%3%2]
	}
	f := &dataset.Frame{Path: "big.csv", Columns: []*dataset.Column{
		{Name: "x", Kind: dataset.Numeric, Num: num, Missing: miss},
		{Name: "y", Kind: dataset.Categorical, Str: ys, Missing: miss}}}
	cfg := automl.Config{Data: f.Path, Target: "y", Seed: 1}
	cfg.Split.TrainFrac, cfg.Split.ValFrac = 0.6, 0.2
	start := time.Now()
	if _, err := automl.PrepareFrame(f, cfg); err != nil {
		t.Fatal(err)
	}
	full := time.Since(start)
	ctx, cancel := context.WithCancelCause(context.Background())
	budget := errors.New("the time budget ran out")
	cancel(budget)
	start = time.Now()
	_, err := automl.PrepareFrameContext(ctx, f, cfg)
	took := time.Since(start)
	if !errors.Is(err, budget) || !strings.Contains(err.Error(), "big.csv") {
		t.Errorf("error %v, want one naming big.csv and wrapping %v", err, budget)
	}
	if took > full/4 {
		t.Errorf("an expired context took %v to stop the preparation; the whole preparation takes %v", took, full)
	}
}
