package notebookgen

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/goautoml/automl/automl"
)

// goProgram turns a notebook's code cells into one Go program, as GoNB runs
// them: declarations stay at top level, the part of each cell after "%%"
// becomes a function, and main calls those in cell order. GoNB's other
// special lines (starting with % or !) are dropped.
func goProgram(nb *Notebook) string {
	var decls, funcs, calls strings.Builder
	for i, src := range nb.CodeCells() {
		body, inBody := &strings.Builder{}, false
		for _, line := range strings.SplitAfter(src, "\n") {
			t := strings.TrimSpace(line)
			switch {
			case t == "%%":
				inBody = true
				continue
			case strings.HasPrefix(t, "%") || strings.HasPrefix(t, "!"):
				continue
			}
			if inBody {
				body.WriteString(line)
			} else {
				decls.WriteString(line)
			}
		}
		decls.WriteString("\n")
		if inBody {
			fmt.Fprintf(&funcs, "func cell%d() {\n%s\n}\n\n", i, body.String())
			fmt.Fprintf(&calls, "\tcell%d()\n", i)
		}
	}
	return "package main\n\n" + decls.String() + funcs.String() + "func main() {\n" + calls.String() + "}\n"
}

var fixture struct {
	once sync.Once
	dir  string
	err  error
}

// germanExperiment runs (once per test binary) a German Credit experiment
// with one default trial per model family and returns its folder.
func germanExperiment(t testing.TB) (string, *automl.Experiment, []automl.Trial) {
	t.Helper()
	fixture.once.Do(func() {
		tmp, err := os.MkdirTemp("", "notebookgen-fixture-")
		if err != nil {
			fixture.err = err
			return
		}
		data, _ := filepath.Abs("testdata/german_credit.csv")
		cfg := automl.Config{Data: data, Target: "class", Seed: 7, RunsDir: tmp, Name: "german", Workers: 1,
			MaxTrials: len(automl.Families()), KeepBundles: -1}
		p, err := automl.Prepare(cfg)
		if err != nil {
			fixture.err = err
			return
		}
		var specs []automl.TrialSpec
		for _, f := range automl.Families() {
			specs = append(specs, automl.DefaultTrial(p, f))
		}
		res, err := automl.RunPrepared(context.Background(), p, automl.Options{Searcher: automl.Fixed(specs...)})
		if err != nil {
			fixture.err = err
			return
		}
		fixture.dir = res.Dir
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	st, err := automl.OpenStore(fixture.dir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := st.Experiment()
	if err != nil {
		t.Fatal(err)
	}
	trials, err := st.Trials()
	if err != nil {
		t.Fatal(err)
	}
	return fixture.dir, e, trials
}

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// runProgram writes src into a fresh module that uses this checkout (and a
// stand-in for GoNB's display package) and runs it, returning its output.
func runProgram(t *testing.T, src string) string {
	t.Helper()
	root := repoRoot(t)
	dir := t.TempDir()
	stub := filepath.Join(dir, "gonbstub")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(stub, "gonbui"), 0o755))
	must(os.WriteFile(filepath.Join(stub, "go.mod"), []byte("module github.com/janpfeifer/gonb\n\ngo 1.26\n"), 0o644))
	must(os.WriteFile(filepath.Join(stub, "gonbui", "gonbui.go"), []byte(`// Package gonbui stands in for GoNB's display package outside Jupyter.
package gonbui

import "fmt"

// DisplayPNG reports the image instead of showing it.
func DisplayPNG(png []byte) { fmt.Printf("[png %d bytes]\n", len(png)) }
`), 0o644))
	gomod := fmt.Sprintf(`module nbcheck

go 1.26

require (
	github.com/goautoml/automl v0.0.0-00010101000000-000000000000
	github.com/janpfeifer/gonb v0.11.1
)

replace github.com/goautoml/automl => %s

replace github.com/janpfeifer/gonb => ./gonbstub
`, root)
	must(os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	must(err)
	must(os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	must(os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "MLFLOW_TRACKING_URI=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	return string(out)
}

var metricLine = regexp.MustCompile(`(?m)^(\w+)\s+val=(\S+) test=(\S+)$`)

// checkPrinted asserts that the printed metrics table equals the trial's
// recorded metrics, with every digit.
func checkPrinted(t *testing.T, out string, tr automl.Trial) {
	t.Helper()
	lines := metricLine.FindAllStringSubmatch(out, -1)
	if len(lines) == 0 {
		t.Fatalf("trial %d: no metrics table in the output:\n%s", tr.ID, out)
	}
	show := func(m map[string]float64, k string) string {
		if v, ok := m[k]; ok {
			return fmtG(v)
		}
		return "-"
	}
	for _, l := range lines {
		if want := show(tr.Val, l[1]); l[2] != want {
			t.Errorf("trial %d %s: notebook printed validation %s, trials.jsonl has %s", tr.ID, l[1], l[2], want)
		}
		if want := show(tr.Test, l[1]); l[3] != want {
			t.Errorf("trial %d %s: notebook printed test %s, trials.jsonl has %s", tr.ID, l[1], l[3], want)
		}
	}
	if !strings.Contains(out, "REPRODUCED: every metric equals trials.jsonl bit for bit") {
		t.Errorf("trial %d: the notebook did not report a reproduction:\n%s", tr.ID, out)
	}
}
