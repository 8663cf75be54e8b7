package notebookgen

import (
	"os"
	"testing"
)

// TestProgramReproducesTrials runs the best trial's notebook (every family's
// with AUTOML_NB_FAMILIES=all) as a plain
// Go program (no Jupyter) and checks its printed metrics against trials.jsonl.
func TestProgramReproducesTrials(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs one program per model family")
	}
	dir, e, trials := germanExperiment(t)
	seen := map[string]bool{}
	for _, tr := range trials {
		if tr.Status != "ok" || seen[string(tr.Model.Family)] {
			continue
		}
		if os.Getenv("AUTOML_NB_FAMILIES") != "all" && (e.Best == nil || tr.ID != *e.Best) {
			continue
		}
		seen[string(tr.Model.Family)] = true
		t.Run(string(tr.Model.Family), func(t *testing.T) {
			nb, err := Trial(e, tr, Options{ModuleDir: repoRoot(t), StoreDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			checkPrinted(t, runProgram(t, goProgram(nb)), tr)
		})
	}
	if os.Getenv("AUTOML_NB_FAMILIES") == "all" && len(seen) < 7 {
		t.Errorf("only %d families finished: %v", len(seen), seen)
	}
}
