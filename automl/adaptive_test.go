package automl_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/automl/automltest"
)

// TestAdaptiveSearchIgnoresTiming runs one adaptive search with one slot
// and with four, on a script whose durations make trials finish in another
// order each time (scores depend on the trial ID only; one trial is slow
// enough that more than the lag overtake it), and expects the
// same proposals: the searcher learns only from trials older than its lag,
// and the search tells it those first. With a time budget too, where the
// scheduling weighs trials by their estimated cost.
func TestAdaptiveSearchIgnoresTiming(t *testing.T) {
	for _, budget := range []time.Duration{0, time.Hour} {
		t.Run(budget.String(), func(t *testing.T) { adaptiveIgnoresTiming(t, budget) })
	}
}

func adaptiveIgnoresTiming(t *testing.T, budget time.Duration) {
	var logs [][]automl.TrialSpec
	for _, slots := range []int{1, 4} {
		p := scripted(t, automl.Config{MaxTrials: 60, Seed: 5, Search: automl.SearchAdaptive, Timeout: budget})
		steps := map[int]automltest.Step{}
		for id := range 60 {
			d := time.Duration((id*7)%5) * time.Millisecond
			if slots > 1 {
				d = time.Duration(((id*3)%4)*2) * time.Millisecond
				if id == 30 {
					d = 90 * time.Millisecond // the others overtake it
				}
			}
			steps[id] = automltest.Step{Duration: d, Score: 0.55 + float64((id*37)%41)/100}
		}
		res, err := automl.RunPrepared(context.Background(), p, automl.Options{Executor: &automltest.Script{Workers: slots, Steps: steps}})
		if err != nil {
			t.Fatal(err)
		}
		var specs []automl.TrialSpec
		for _, tr := range res.Trials {
			specs = append(specs, tr.TrialSpec)
		}
		logs = append(logs, specs)
	}
	if len(logs[0]) != 60 || len(logs[1]) != 60 {
		t.Fatalf("%d and %d trials, want 60", len(logs[0]), len(logs[1]))
	}
	for i := range logs[0] {
		if !reflect.DeepEqual(logs[0][i], logs[1][i]) {
			t.Fatalf("trial %d: one slot proposed %s, four slots %s", i, logs[0][i].Model.Family, logs[1][i].Model.Family)
		}
	}
}
