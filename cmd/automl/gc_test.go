package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

// A run keeps the bundles of its best trials only; gc collects more; a
// removed bundle comes back on demand (predict) or with recreate, checked
// against the recorded metrics (issue 17, finding 10).
func TestRetention(t *testing.T) {
	dir := t.TempDir()
	gc := writeFile(t, dir, "gc.csv", samples.GermanCredit)
	runs := filepath.Join(dir, "runs")
	code, _, stderr := cli(t, "run", "--data", gc, "--target", "class", "--max-trials", "10", "--runs", runs, "--name", "e",
		"--include", "logistic,naive_bayes,decision_tree", "--seed", "5", "--quiet")
	if code != 0 {
		t.Fatalf("run: %d %s", code, stderr)
	}
	exp := filepath.Join(runs, "e")
	_, trials, err := automl.ReadExperiment(exp)
	if err != nil {
		t.Fatal(err)
	}
	l := store.At(exp)
	var with, without []int
	for _, tr := range trials {
		if _, err := os.Stat(l.Bundle(tr.ID)); err == nil {
			with = append(with, tr.ID)
		} else if tr.Status == "ok" {
			without = append(without, tr.ID)
		}
	}
	if len(with) != defaultKeep || len(without) == 0 {
		t.Fatalf("after the run: bundles for %v, none for %v; want %d bundles", with, without, defaultKeep)
	}
	code, out, stderr := cli(t, "gc", "--runs", runs, "--keep", "1", "--dry-run")
	if code != 0 || !strings.Contains(out, "would remove 4 bundles") {
		t.Fatalf("gc --dry-run: %d %s %s", code, out, stderr)
	}
	code, out, stderr = cli(t, "gc", exp, "--keep", "1")
	if code != 0 || !strings.Contains(out, "removed 4 bundles") {
		t.Fatalf("gc: %d %s %s", code, out, stderr)
	}
	// predict on a trial without its bundle re-creates it first.
	gone := l.Trial(without[0])
	preds := filepath.Join(dir, "p.csv")
	code, _, stderr = cli(t, "predict", "--model", gone, "--data", gc, "--out", preds)
	if code != 0 || !strings.Contains(stderr, "re-creating") {
		t.Fatalf("predict on a collected trial: %d %s", code, stderr)
	}
	if _, err := os.Stat(l.Bundle(without[0])); err != nil {
		t.Fatalf("bundle not re-created: %v", err)
	}
	code, out, stderr = cli(t, "recreate", l.Trial(without[1]))
	if code != 0 || !strings.Contains(out, "metrics are the recorded ones") {
		t.Fatalf("recreate: %d %s %s", code, out, stderr)
	}
	if code, _, stderr = cli(t, "recreate", dir); code != 1 || !strings.Contains(stderr, "not a trial folder") {
		t.Fatalf("recreate of a non-trial folder: %d %s", code, stderr)
	}
}
