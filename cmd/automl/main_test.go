package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/samples"
)

func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	// Explanations (SHAP of the best trials) are slow under the race
	// detector and tested on their own: tests that run experiments ask for
	// them explicitly.
	if len(args) > 0 && slices.Contains([]string{"run", "train", "demo", "resume"}, args[0]) && !slices.Contains(args, "--explain-top") {
		args = append(slices.Clone(args), "--explain-top", "0")
	}
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadInput feeds malformed files and flags to `automl run`: each must
// fail with one clear line that names what is wrong, and never panic.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	gc := writeFile(t, dir, "gc.csv", samples.GermanCredit)
	oneClass := "a,b,class\n" + strings.Repeat("1,x,yes\n", 20)
	fewRows := "a,class\n1,yes\n2,no\n3,yes\n4,no\n5,yes\n6,no\n7,yes\n"
	allMissing := "a,class\n1,\n2,NA\n3,?\n"
	var amounts, onlyTarget strings.Builder
	amounts.WriteString("a,price\n")
	onlyTarget.WriteString("class\n")
	for i := range 60 {
		fmt.Fprintf(&amounts, "%d,%d.%02d\n", i%7, 10+i*3, i)
		onlyTarget.WriteString([]string{"yes\n", "no\n"}[i%2])
	}
	cases := []struct {
		name string
		file string // contents; "" = use args as given
		args []string
		code int
		want []string // substrings of stderr
	}{
		{"empty file", "", []string{"--target", "class"}, 1, []string{"empty.csv", "empty"}},
		{"header only", "a,b,class\n", []string{"--target", "class"}, 1, []string{"header only.csv", "no data rows"}},
		{"duplicate column", "a,a,class\n1,2,x\n", []string{"--target", "class"}, 1, []string{"duplicate", `"a"`}},
		{"empty column name", "a,,class\n1,2,x\n", []string{"--target", "class"}, 1, []string{".csv:1:", "field 2", "empty column name"}},
		{"ragged row", "a,b,class\n1,2,x\n1,2\n", []string{"--target", "class"}, 1, []string{".csv:3:", `column "class"`, "2 fields"}},
		{"unterminated quote", "a,b,class\n1,\"2,x\n3,4,y\n", []string{"--target", "class"}, 1, []string{".csv:2:", `column "b"`, "quote"}},
		// Text that is not UTF-8 is read as Windows-1252 (see dataset's encoding detection);
		// a NUL byte is still refused, naming line and column.
		{"NUL byte in a cell", "a,b,class\n1,\x00,x\n", []string{"--target", "class"}, 1, []string{".csv:2:", `column "b"`, "NUL byte"}},
		{"binary garbage", "\x00\x01\x02\x03PK\x03\x04\x00\x00", []string{"--target", "class"}, 1, []string{"binary"}},
		{"target absent", "a,b,label\n1,2,x\n", []string{"--target", "class"}, 1, []string{`"class"`, "label"}},
		{"target all missing", allMissing, []string{"--target", "class"}, 1, []string{"class", "missing"}},
		{"one class", oneClass, []string{"--target", "class"}, 1, []string{"one class", "yes"}},
		{"one row", "a,class\n1,yes\n", []string{"--target", "class"}, 1, []string{"class"}},
		{"too few rows per class", fewRows, []string{"--target", "class"}, 1, []string{`class "no" has 3 rows`, "at least 5"}},
		// Issue 17, finding 11: a numeric target, a file with only the target.
		{"numeric target", amounts.String(), []string{"--target", "price"}, 1, []string{`"price"`, "categories only", "Pick a column"}},
		{"only the target", onlyTarget.String(), []string{"--target", "class"}, 1, []string{"no column besides the target"}},
		{"pos label absent", "", []string{"--data", gc, "--target", "class", "--pos-label", "bad"}, 1, []string{`"bad"`, "1", "2"}},
		{"no such file", "", []string{"--data", filepath.Join(dir, "nope.csv"), "--target", "class"}, 1, []string{"nope.csv"}},
		{"unknown metric", "", []string{"--data", gc, "--target", "class", "--metric", "auc"}, 2, []string{`"auc"`, "roc_auc"}},
		{"unknown family", "", []string{"--data", gc, "--target", "class", "--include", "svm"}, 2, []string{`"svm"`, "logistic"}},
		{"bad timeout", "", []string{"--data", gc, "--target", "class", "--timeout", "soon"}, 2, []string{"timeout", "soon"}},
		{"negative trials", "", []string{"--data", gc, "--target", "class", "--max-trials", "-3"}, 2, []string{"-3"}},
		{"cv of one", "", []string{"--data", gc, "--target", "class", "--cv", "1"}, 2, []string{"cv 1"}},
		{"missing target flag", "", []string{"--data", gc}, 2, []string{"--target"}},
		{"unknown flag", "", []string{"--data", gc, "--target", "class", "--fast"}, 2, []string{"fast"}},
		{"exclude unknown column", "", []string{"--data", gc, "--target", "class", "--exclude-cols", "nope"}, 1, []string{`"nope"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"run", "--runs", t.TempDir(), "--max-trials", "2", "--quiet"}, c.args...)
			if c.file != "" || c.name == "empty file" {
				name := strings.ReplaceAll(c.name, "empty file", "empty") + ".csv"
				args = append(args, "--data", writeFile(t, t.TempDir(), name, []byte(c.file)))
			}
			code, _, stderr := cli(t, args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.code, stderr)
			}
			first := strings.SplitN(strings.TrimSpace(stderr), "\n", 2)[0]
			if !strings.HasPrefix(first, "automl run: ") && c.code == 1 {
				t.Errorf("error line %q does not start with the command", first)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Fatalf("panicked:\n%s", stderr)
			}
		})
	}
}

func TestRunJSONAndPredict(t *testing.T) {
	dir := t.TempDir()
	gc := writeFile(t, dir, "gc.csv", samples.GermanCredit)
	runs := filepath.Join(dir, "runs")
	code, out, errOut := cli(t, "run", "--data", gc, "--target", "class", "--max-trials", "8", "--runs", runs, "--ensemble", "none",
		"--include", "logistic,naive_bayes,knn", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s struct {
		ExperimentDir string  `json:"experiment_dir"`
		StopReason    string  `json:"stop_reason"`
		Trials        int     `json:"trials"`
		Failed        *int    `json:"failed"`
		WallSeconds   float64 `json:"wall_seconds"`
		Best          struct {
			TrialID *int               `json:"trial_id"`
			Family  string             `json:"family"`
			Params  map[string]any     `json:"params"`
			Val     map[string]float64 `json:"val"`
			Test    map[string]float64 `json:"test"`
		} `json:"best"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("--json output is not one JSON object: %v\n%s", err, out)
	}
	if s.StopReason != "max_trials" || s.Trials != 8 || s.Failed == nil || s.WallSeconds <= 0 || s.Best.TrialID == nil ||
		s.Best.Family == "" || len(s.Best.Params) == 0 || s.Best.Val["roc_auc"] == 0 || s.Best.Test["roc_auc"] == 0 {
		t.Fatalf("summary incomplete: %+v", s)
	}
	code, out, errOut = cli(t, "leaderboard", s.ExperimentDir, "--top", "3")
	if code != 0 || strings.Count(out, "\n") < 5 {
		t.Fatalf("leaderboard: exit %d\n%s%s", code, out, errOut)
	}
	preds := filepath.Join(dir, "p.csv")
	code, _, errOut = cli(t, "predict", "--model", filepath.Join(s.ExperimentDir, "best"), "--data", gc, "--out", preds)
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errOut)
	}
	b, _ := os.ReadFile(preds)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1001 || lines[0] != "row,prediction,probability_1,probability_2" {
		t.Fatalf("predictions: %d lines, header %q", len(lines), lines[0])
	}
	// New data lacking a column the model needs: a clear error naming it.
	bad := writeFile(t, dir, "bad.csv", []byte("Purpose,Age in years\nA43,30\n"))
	code, _, errOut = cli(t, "predict", "--model", filepath.Join(s.ExperimentDir, "best"), "--data", bad)
	if code != 1 || !strings.Contains(errOut, "bad.csv") {
		t.Fatalf("predict on incomplete data: exit %d: %s", code, errOut)
	}
	// Issue 17, finding 11: in words, not "preprocess: transform:".
	if strings.Contains(errOut, "preprocess") || !strings.Contains(errOut, "columns are missing") || !strings.Contains(errOut, `"Credit amount"`) {
		t.Errorf("predict on incomplete data: %s", errOut)
	}
}

func TestTrainOneSpec(t *testing.T) {
	dir := t.TempDir()
	gc := writeFile(t, dir, "gc.csv", samples.GermanCredit)
	code, out, errOut := cli(t, "train", "--data", gc, "--target", "class", "--model", "logistic", "--param", "c=0.5",
		"--prep", "numeric_impute=median", "--runs", filepath.Join(dir, "runs"), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s struct {
		Trials     int      `json:"trials"`
		FitSeconds *float64 `json:"fit_seconds"`
		Best       struct {
			Params map[string]any `json:"params"`
			Prep   map[string]any `json:"prep"`
		} `json:"best"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s.Trials != 1 || s.FitSeconds == nil || s.Best.Params["c"] != 0.5 || s.Best.Prep["numeric_impute"] != "median" {
		t.Fatalf("train summary: %s", out)
	}
	code, _, errOut = cli(t, "train", "--data", gc, "--target", "class", "--model", "logistic", "--param", "depth=3", "--runs", filepath.Join(dir, "runs"))
	if code != 2 || !strings.Contains(errOut, "depth") || !strings.Contains(errOut, "penalty") {
		t.Fatalf("unknown param: exit %d: %s", code, errOut)
	}
}

// TestRunAutoCV: `run` lets the data size choose cross-validation (German
// Credit: 800 non-test rows, 5 folds) and records the choice; --cv 0 keeps
// a single validation split; train keeps one split unless asked.
func TestRunAutoCV(t *testing.T) {
	dir := t.TempDir()
	gc := writeFile(t, dir, "gc.csv", samples.GermanCredit)
	runs := filepath.Join(dir, "runs")
	for _, tc := range []struct {
		name  string
		args  []string
		folds int
		auto  bool
	}{
		{"auto", []string{"run", "--max-trials", "2"}, 5, true},
		{"single", []string{"run", "--max-trials", "2", "--cv", "0"}, 0, false},
		{"three", []string{"run", "--max-trials", "2", "--cv", "3"}, 3, false},
		{"train", []string{"train", "--model", "logistic"}, 0, false},
	} {
		args := append(tc.args, "--data", gc, "--target", "class", "--runs", runs, "--name", tc.name,
			"--notebooks", "none", "--json", "--quiet")
		code, _, errOut := cli(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.name, code, errOut)
		}
		e, _, err := automl.ReadExperiment(filepath.Join(runs, tc.name))
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Split.Folds) != tc.folds || e.Config.Split.CV != tc.folds || e.Config.AutoCV != tc.auto {
			t.Errorf("%s: %d folds, config cv %d auto %v; want %d folds, auto %v",
				tc.name, len(e.Split.Folds), e.Config.Split.CV, e.Config.AutoCV, tc.folds, tc.auto)
		}
	}
}
