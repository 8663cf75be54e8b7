package automl

import (
	"context"
	"reflect"
	"testing"
)

// TestTrialReproducesAlone re-runs every trial of a concurrent search on its
// own, in freshly prepared data (no shared pipeline cache), and expects the
// same metrics bit for bit: what a trial computes must not depend on what
// ran beside it.
func TestTrialReproducesAlone(t *testing.T) {
	cfg := Config{Data: germanCredit(t), Target: "class", MaxTrials: 14, Seed: 11, Workers: 2, RunsDir: t.TempDir(), Name: "alone"}
	res := runFor(t, cfg)
	for _, rec := range res.Trials {
		p, err := Prepare(res.Experiment.Config)
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := RunTrial(context.Background(), p.Data, rec.TrialSpec, 1)
		if err != nil {
			t.Fatal(err)
		}
		if again.Status != rec.Status || !reflect.DeepEqual(again.Val, rec.Val) || !reflect.DeepEqual(again.Test, rec.Test) {
			t.Errorf("trial %d (%s) alone: val %v test %v; in the search: val %v test %v",
				rec.ID, rec.Model.Family, again.Val, again.Test, rec.Val, rec.Test)
		}
	}
}
