package automl

import (
	"context"
	"reflect"
	"testing"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/store"
)

// TestTrialReproducesAlone re-runs every trial of a concurrent search on its
// own, the way a worker on another machine does (the experiment's data
// prepared again from its record and frame, no shared pipeline cache, a
// Local executor of its own), and expects the same metrics and predictions
// bit for bit: what a trial computes must not depend on what ran beside it.
func TestTrialReproducesAlone(t *testing.T) {
	cfg := Config{Data: germanCredit(t), Target: "class", MaxTrials: 14, Seed: 11, Workers: 2, RunsDir: t.TempDir(), Name: "alone"}
	res := runFor(t, cfg)
	e, err := OpenStore(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.Experiment()
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Trials {
		if tr.Ensemble != nil {
			continue // made from the other trials' results, not run alone
		}
		f, err := dataset.Read(rec.Config.Data, dataset.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := PrepareExperiment(rec, f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := NewLocalExecutor(p.Data, rec.Name, 1).Run(context.Background(), tr.TrialSpec)
		if err != nil {
			t.Fatal(err)
		}
		again := out.Trial
		if again.Status != tr.Status || !reflect.DeepEqual(again.Val, tr.Val) || !reflect.DeepEqual(again.Test, tr.Test) {
			t.Errorf("trial %d (%s) alone: val %v test %v; in the search: val %v test %v",
				tr.ID, tr.Model.Family, again.Val, again.Test, tr.Val, tr.Test)
		}
		if tr.Status != "ok" {
			continue
		}
		stored, err := ReadPredictions(store.At(res.Dir).Predictions(tr.ID))
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range out.Predictions.Prob {
			if float64(float32(v)) != stored.Prob[i] {
				t.Fatalf("trial %d alone: probability %d is %v, stored %v", tr.ID, i, float32(v), stored.Prob[i])
			}
		}
	}
}
