package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/goautoml/automl/samples"
)

func TestRunExplainsBestAndExplainCommand(t *testing.T) {
	dir := t.TempDir()
	gc := writeFile(t, dir, "gc.csv", samples.GermanCredit)
	code, out, errOut := cli(t, "run", "--data", gc, "--target", "class", "--max-trials", "6", "--runs", filepath.Join(dir, "runs"),
		"--include", "logistic,gbdt", "--explain-top", "1", "--notebooks", "none", "--plots", "both", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s struct {
		ExperimentDir string `json:"experiment_dir"`
		Best          struct {
			TrialID int `json:"trial_id"`
		} `json:"best"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	best := filepath.Join(s.ExperimentDir, "trials", strconv.Itoa(s.Best.TrialID), "explain")
	for _, f := range []string{"metrics.json", "importance.csv", "shap_values.csv", "roc_test.png", "shap_beeswarm.svg"} {
		if _, err := os.Stat(filepath.Join(best, f)); err != nil {
			t.Errorf("after run --explain-top 1: %v", err)
		}
	}
	// A trial that was not explained (and may have no bundle) is explained later on request.
	other := 0
	if s.Best.TrialID == 0 {
		other = 1
	}
	code, _, errOut = cli(t, "explain", s.ExperimentDir, "--trial", strconv.Itoa(other), "--rows", "20")
	if code != 0 {
		t.Fatalf("automl explain: exit %d: %s", code, errOut)
	}
	// ... in the plot formats the run recorded (--plots both), unless given anew.
	for _, f := range []string{"shap_values.csv", "shap_bar.png", "shap_bar.svg"} {
		if _, err := os.Stat(filepath.Join(s.ExperimentDir, "trials", strconv.Itoa(other), "explain", f)); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, errOut = cli(t, "explain", s.ExperimentDir, "--trial", strconv.Itoa(other), "--rows", "20", "--plots", "gif"); code != 2 || !strings.Contains(errOut, "png, svg or both") {
		t.Errorf("--plots gif: exit %d, want 2: %s", code, errOut)
	}
	if code, _, _ = cli(t, "explain", s.ExperimentDir, "--trial", "99"); code != 1 {
		t.Fatalf("explain of a missing trial: exit %d, want 1", code)
	}
}
