// Package automltest runs searches without fitting models: a scripted
// Executor whose trials take the durations, scores, failures and panics a
// test gives them, and a Searcher that proposes plain trials forever.
package automltest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/store"
)

// Step is what one scripted trial does.
type Step struct {
	// Duration is how long the trial runs (keep it short: tests should not
	// sleep more than 100 ms). A trial still running when its context ends
	// is cut short, unless Hang.
	Duration time.Duration
	// Score is the trial's validation score under the script's metric
	// (0 means 0.5).
	Score float64
	// Fail makes the trial a failed trial with this error.
	Fail string
	// Panic makes the executor's Run panic.
	Panic bool
	// Hang makes the trial ignore its context: it runs until Release.
	Hang bool
	// Block makes the trial run until its context ends (then it is cut).
	Block bool
}

// Script is an Executor that runs trials as scripted.
type Script struct {
	Workers int           // slots (default 1)
	Metric  string        // the metric scores are recorded under (default roc_auc)
	Steps   map[int]Step  // by trial ID
	Default Step          // for the IDs Steps does not name
	release chan struct{} // closed by Release
	once    sync.Once
	mu      sync.Mutex
	started []int
	ended   []int
}

// Slots implements automl.Executor.
func (s *Script) Slots() int { return max(1, s.Workers) }

// Release ends the trials that hang.
func (s *Script) Release() {
	s.init()
	s.once.Do(func() { close(s.release) })
}

func (s *Script) init() {
	s.mu.Lock()
	if s.release == nil {
		s.release = make(chan struct{})
	}
	s.mu.Unlock()
}

// Started lists the trial IDs Run was called for, in increasing order.
func (s *Script) Started() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(slices.Values(s.started))
}

// Ended lists the trial IDs whose Run returned a finished trial, in
// increasing order.
func (s *Script) Ended() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(slices.Values(s.ended))
}

// Run implements automl.Executor.
func (s *Script) Run(ctx context.Context, spec automl.TrialSpec) (automl.Outcome, error) {
	s.init()
	step, ok := s.Steps[spec.ID]
	if !ok {
		step = s.Default
	}
	s.mu.Lock()
	s.started = append(s.started, spec.ID)
	release := s.release
	s.mu.Unlock()
	if step.Panic {
		panic(fmt.Sprintf("scripted panic in trial %d", spec.ID))
	}
	t := automl.Trial{TrialSpec: spec, Timing: automl.Timing{Started: time.Now().UTC()}}
	start := time.Now()
	timer := time.NewTimer(step.Duration)
	defer timer.Stop()
	switch {
	case step.Hang:
		<-release
	case step.Block:
		<-ctx.Done()
	default:
		select {
		case <-timer.C:
		case <-ctx.Done():
		}
	}
	if ctx.Err() != nil {
		return automl.Outcome{Trial: t}, context.Cause(ctx)
	}
	t.Timing.WallSeconds = time.Since(start).Seconds()
	s.mu.Lock()
	s.ended = append(s.ended, spec.ID)
	s.mu.Unlock()
	if step.Fail != "" {
		t.Status, t.Error = "failed", step.Fail
		return automl.Outcome{Trial: t}, nil
	}
	metric, score := s.Metric, step.Score
	if metric == "" {
		metric = "roc_auc"
	}
	if score == 0 {
		score = 0.5
	}
	t.Status, t.Val = "ok", map[string]float64{metric: score}
	p := &automl.Predictions{Rows: []int{0, 1}, Classes: 2, Prob: []float64{1 - score, score, score, 1 - score}}
	return automl.Outcome{Trial: t, Predictions: p, Bundle: bundle{t}}, nil
}

// bundle writes a stand-in model.json naming its trial.
type bundle struct{ t automl.Trial }

func (b bundle) WriteBundle(dir string) error {
	return store.WriteJSON(store.Bundle(dir), map[string]any{"scripted": true, "trial_id": b.t.ID})
}

// Endless is a Searcher that proposes trial after trial (seeded by ID) and
// records what it is told.
type Endless struct {
	mu   sync.Mutex
	told []int
}

// Ask implements automl.Searcher.
func (e *Endless) Ask(id int) (automl.TrialSpec, bool) {
	return automl.TrialSpec{ID: id, Seed: uint64(id)}, true
}

// Tell implements automl.Searcher.
func (e *Endless) Tell(t automl.Trial) {
	e.mu.Lock()
	e.told = append(e.told, t.ID)
	e.mu.Unlock()
}

// Told lists the trial IDs told, in the order told.
func (e *Endless) Told() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.told)
}

// LogIDs reads the trial IDs of an experiment's trials.jsonl, in file order.
// A line that is not a record fails.
func LogIDs(dir string) ([]int, error) {
	b, err := readFile(store.At(dir).TrialLog())
	if err != nil {
		return nil, err
	}
	var ids []int
	for i, line := range splitLines(b) {
		var rec struct {
			ID *int `json:"id"`
		}
		if err := json.Unmarshal(line, &rec); err != nil || rec.ID == nil {
			return nil, fmt.Errorf("trials.jsonl line %d is not a trial record: %q", i+1, line)
		}
		ids = append(ids, *rec.ID)
	}
	return ids, nil
}
