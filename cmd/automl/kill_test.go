package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

// buildCLI builds this command into a temporary folder.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "automl")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// logLines reads trials.jsonl: its complete lines, verbatim.
func logLines(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(store.At(dir).TrialLog())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.LastIndexByte(b, '\n'); i+1 < len(b) {
		b = b[:i+1] // a torn last line is not a finished trial
	}
	if len(b) == 0 {
		return nil // created, nothing finished yet (or only a torn line)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// withoutTiming is a log line without the fields that differ between runs.
func withoutTiming(t *testing.T, line string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("trials.jsonl line is not JSON: %v: %q", err, line)
	}
	delete(m, "timing")
	b, _ := json.Marshal(m)
	return string(b)
}

// TestKillAndResume kills `automl run` with SIGKILL at random moments, 20
// times, and resumes each: no finished trial may be lost or re-run, none
// logged twice, and the final log must be the uninterrupted run's, line for
// line in ID order (timing aside).
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and runs 40 experiments")
	}
	bin := buildCLI(t)
	data := writeFile(t, t.TempDir(), "gc.csv", samples.GermanCredit)
	runs := t.TempDir()
	const trials = 40
	args := func(name string) []string {
		return []string{"run", "--data", data, "--target", "class", "--include", "logistic,naive_bayes,knn", "--max-trials", strconv.Itoa(trials), "--ensemble", "none",
			"--workers", "2", "--timeout", "0", "--cv", "0", "--seed", "3", "--explain-top", "0", "--notebooks", "none", "--quiet",
			"--runs", runs, "--name", name}
	}
	start := time.Now()
	if out, err := exec.Command(bin, args("reference")...).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	full := time.Since(start)
	var want []string
	for _, l := range logLines(t, filepath.Join(runs, "reference")) {
		want = append(want, withoutTiming(t, l))
	}
	if len(want) != trials {
		t.Fatalf("the reference run logged %d trials, want %d", len(want), trials)
	}

	r := rand.New(rand.NewPCG(17, 17))
	midway := 0
	for i := range 20 {
		name := fmt.Sprintf("kill%d", i)
		dir := filepath.Join(runs, name)
		cmd := exec.Command(bin, args(name)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(r.Float64() * 1.2 * float64(full)))
		cmd.Process.Kill()
		cmd.Wait()
		before := logLines(t, dir)
		if n := len(before); n > 0 && n < trials {
			midway++
		}
		next := []string{"resume", dir, "--quiet"}
		if _, err := os.Stat(store.At(dir).Experiment()); err != nil {
			next = args(name) // killed before the experiment was written: start again
		}
		if out, err := exec.Command(bin, next...).CombinedOutput(); err != nil {
			t.Fatalf("kill %d: %s after the kill: %v\n%s", i, next[0], err, out)
		}
		after := logLines(t, dir)
		for _, l := range before {
			if !slices.Contains(after, l) {
				t.Errorf("kill %d: trial logged before the kill lost or re-run: %.80s", i, l)
			}
		}
		if len(after) != trials {
			t.Fatalf("kill %d: %d lines after the resume (%d before it), want %d", i, len(after), len(before), trials)
		}
		for k, l := range after {
			if got := withoutTiming(t, l); got != want[k] {
				t.Fatalf("kill %d: line %d differs from the uninterrupted run:\n%.200s\n%.200s", i, k+1, got, want[k])
			}
		}
		e, trialsRead, err := automl.ReadExperiment(dir)
		if err != nil || e.Status != "done" || len(trialsRead) != trials {
			t.Fatalf("kill %d: experiment %v, %d trials, %v", i, e.Status, len(trialsRead), err)
		}
	}
	t.Logf("20 kills, %d in the middle of the search; a whole run takes %v", midway, full)
	if midway < 5 {
		t.Errorf("only %d of 20 kills hit the search in its middle: the test proves little", midway)
	}
}

// TestSecondWriterRefused: `automl resume` of an experiment that `automl
// run` is writing fails at once, naming the run's PID, host and command.
func TestSecondWriterRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := buildCLI(t)
	data := writeFile(t, t.TempDir(), "gc.csv", samples.GermanCredit)
	runs := t.TempDir()
	run := exec.Command(bin, "run", "--data", data, "--target", "class", "--timeout", "60s", "--workers", "1",
		"--explain-top", "0", "--notebooks", "none", "--quiet", "--runs", runs, "--name", "dual")
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { run.Process.Kill(); run.Wait() }()
	dir := filepath.Join(runs, "dual")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(store.At(dir).Experiment()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run did not write its experiment in 30 s")
		}
	}
	out, err := exec.Command(bin, "resume", dir, "--quiet").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("resume during the run: %v, want exit status 1\n%s", err, out)
	}
	host, _ := os.Hostname()
	want := fmt.Sprintf("is being written by PID %d on host %s (automl run); wait for it or stop it", run.Process.Pid, host)
	if !strings.Contains(string(out), want) {
		t.Errorf("resume said %q, want %q", out, want)
	}
}

// TestResumeFromElsewhere: a run given a relative --data path can be
// resumed from another folder, and resume applies the finishing flags the
// run was given (here: no notebooks) unless given anew.
func TestResumeFromElsewhere(t *testing.T) {
	work := t.TempDir()
	writeFile(t, work, "gc.csv", samples.GermanCredit)
	t.Chdir(work)
	code, _, stderr := cli(t, "run", "--data", "gc.csv", "--target", "class", "--include", "logistic", "--max-trials", "2",
		"--timeout", "0", "--notebooks", "none", "--quiet", "--runs", "runs", "--name", "rel")
	if code != 0 {
		t.Fatalf("run: %d %s", code, stderr)
	}
	dir := filepath.Join(work, "runs", "rel")
	t.Chdir(t.TempDir())
	e, _, err := automl.ReadExperiment(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(e.Config.Data) || e.Config.FinishFlags["notebooks"] != "none" {
		t.Fatalf("data %q, finishing flags %v: want an absolute path and notebooks=none", e.Config.Data, e.Config.FinishFlags)
	}
	// Interrupted after trial 0: resume from elsewhere completes it.
	lines := logLines(t, dir)
	os.WriteFile(store.At(dir).TrialLog(), []byte(lines[0]+"\n"), 0o644)
	os.RemoveAll(store.At(dir).Trial(1))
	code, _, stderr = cli(t, "resume", dir, "--quiet")
	if code != 0 {
		t.Fatalf("resume from another folder: %d %s", code, stderr)
	}
	if n := len(logLines(t, dir)); n != 2 {
		t.Fatalf("%d trials after the resume, want 2", n)
	}
	if _, err := os.Stat(store.At(dir).Notebook(0)); err == nil {
		t.Error("resume wrote notebooks although the run was given --notebooks none")
	}
}
