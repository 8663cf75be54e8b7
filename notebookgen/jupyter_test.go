package notebookgen

import (
	"context"
	"encoding/json"
	"github.com/goautoml/automl/store"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestJupyterExecutes runs trial notebooks (one per family) and the
// exploration notebook under Jupyter with the GoNB kernel, and checks the
// printed metrics against trials.jsonl. It skips when jupyter or gonb is
// missing, unless AUTOML_CI=1 (then it fails). AUTOML_NB_FAMILIES=best runs
// only the best trial's notebook.
func TestJupyterExecutes(t *testing.T) {
	if testing.Short() && os.Getenv("AUTOML_CI") != "1" {
		t.Skip("runs Jupyter for minutes")
	}
	for _, tool := range []string{"jupyter", "gonb"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("AUTOML_CI") == "1" {
				t.Fatalf("%s is not installed (AUTOML_CI=1): %v", tool, err)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	dir, e, trials := germanExperiment(t)
	if _, err := writeExperiment(context.Background(), dir, e, trials, All, Options{ModuleDir: repoRoot(t), StoreDir: dir}); err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, nb string) string {
		out := filepath.Join(t.TempDir(), "executed.ipynb")
		cmd := exec.Command("jupyter", "nbconvert", "--to", "notebook", "--execute",
			"--ExecutePreprocessor.timeout=600", "--output", out, nb)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "AUTOML_SRC="+repoRoot(t), "MLFLOW_TRACKING_URI=")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("nbconvert %s: %v\n%s", nb, err, tail(string(msg), 4000))
		}
		return stdoutOf(t, out)
	}
	t.Run("exploration", func(t *testing.T) {
		out := run(t, store.At(dir).ExplorationNotebook())
		if !strings.Contains(out, "alerts") || !strings.Contains(out, "cramér's V") {
			t.Errorf("exploration output lacks alerts or correlations:\n%s", tail(out, 2000))
		}
	})
	seen := map[string]bool{}
	for _, tr := range Ranked(trials, e.Config.Metric) {
		if tr.Status != "ok" || seen[string(tr.Model.Family)] {
			continue
		}
		seen[string(tr.Model.Family)] = true
		t.Run(string(tr.Model.Family), func(t *testing.T) {
			checkPrinted(t, run(t, store.At(dir).Notebook(tr.ID)), tr)
		})
		if os.Getenv("AUTOML_NB_FAMILIES") == "best" {
			break
		}
	}
}

// stdoutOf joins the stdout streams of an executed notebook.
func stdoutOf(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			Outputs []struct {
				Name string          `json:"name"`
				Text json.RawMessage `json:"text"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			if o.Name != "stdout" {
				continue
			}
			var lines []string
			if json.Unmarshal(o.Text, &lines) != nil {
				var s string
				json.Unmarshal(o.Text, &s)
				lines = []string{s}
			}
			b.WriteString(strings.Join(lines, ""))
		}
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
