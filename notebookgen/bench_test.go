package notebookgen

import (
	"context"
	"testing"

	"github.com/goautoml/automl/automl"
)

func hundredTrials(tb testing.TB) (*automl.Experiment, []automl.Trial) {
	_, e, trials := germanExperiment(tb)
	var many []automl.Trial
	for i := range 100 {
		t := trials[i%len(trials)]
		t.ID = i
		many = append(many, t)
	}
	return e, many
}

// BenchmarkWriteExperiment writes the exploration notebook and 100 trial
// notebooks (the bound: under 2 s).
func BenchmarkWriteExperiment(b *testing.B) {
	e, many := hundredTrials(b)
	dir := b.TempDir()
	for b.Loop() {
		if _, err := writeExperiment(context.Background(), dir, e, many, All, fixedOptions); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(many))*float64(b.N)/b.Elapsed().Seconds(), "notebooks/s")
}

// TestWriteHundred checks what a 100-trial experiment writes; the time it
// takes (target < 2 s) is measured by BenchmarkWriteExperiment, not asserted
// here, where the race detector and a loaded machine would make it noise.
func TestWriteHundred(t *testing.T) {
	e, many := hundredTrials(t)
	paths, err := writeExperiment(context.Background(), t.TempDir(), e, many, All, fixedOptions)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 101 {
		t.Errorf("%d files, want 101", len(paths))
	}
	top, err := writeExperiment(context.Background(), t.TempDir(), e, many, Top, fixedOptions)
	if err != nil || len(top) != 1+TopN {
		t.Errorf("top: %d files, %v", len(top), err)
	}
}
