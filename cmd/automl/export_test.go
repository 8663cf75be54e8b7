package main

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goautoml/automl/finish"
	"github.com/goautoml/automl/mlflow"
	"github.com/goautoml/automl/mlflow/mlflowtest"
	"github.com/goautoml/automl/samples"
)

// runs counts the double's runs: parents and trial runs, and trial runs per identity tag.
func countRuns(s *mlflowtest.Server) (parents, trials int, dup bool) {
	seen := map[string]bool{}
	for _, r := range s.Runs() {
		if r.Tags[mlflow.TagParent] != "" {
			parents++
		}
		if id := r.Tags[mlflow.TagTrial]; id != "" {
			trials++
			dup = dup || seen[id]
			seen[id] = true
		}
	}
	return parents, trials, dup
}

func runJSON(t *testing.T, args ...string) (dir string, stderr string) {
	t.Helper()
	code, out, errOut := cli(t, args...)
	if code != 0 {
		t.Fatalf("automl %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	var s struct {
		ExperimentDir string `json:"experiment_dir"`
		Trials        int    `json:"trials"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	return s.ExperimentDir, errOut
}

func TestExportCommand(t *testing.T) {
	gc, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := runJSON(t, "run", "--data", gc, "--target", "class", "--max-trials", "6", "--runs", t.TempDir(), "--ensemble", "none",
		"--include", "logistic,naive_bayes", "--json", "--workers", "2")
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 4})
	defer s.Close()

	code, out, errOut := cli(t, "export", "mlflow", dir, "--tracking-uri", s.URL, "--experiment-name", "credit", "--register-model", "credit-model")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "6 trial run(s) exported") || !strings.Contains(out, "registered model credit-model version 1") {
		t.Errorf("stdout: %s", out)
	}
	if p, n, dup := countRuns(s); p != 1 || n != 6 || dup {
		t.Errorf("%d parent, %d trial runs (duplicates %v)", p, n, dup)
	}
	vs := s.ModelVersions("credit-model")
	if len(vs) != 1 || !strings.HasSuffix(vs[0].Source, "/artifacts/model") {
		t.Errorf("versions %+v", vs)
	}
	// Again: nothing added.
	code, out, _ = cli(t, "export", "mlflow", dir, "--tracking-uri", s.URL, "--experiment-name", "credit", "--register-model", "credit-model")
	if code != 0 || !strings.Contains(out, "0 trial run(s) exported, 6 already complete") || len(s.Runs()) != 7 || len(s.ModelVersions("credit-model")) != 1 {
		t.Errorf("second export: exit %d, %d runs: %s", code, len(s.Runs()), out)
	}

	// Usage mistakes.
	t.Setenv("MLFLOW_TRACKING_URI", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export"}, "mlflow"},
		{[]string{"export", "wandb", dir}, "only target"},
		{[]string{"export", "mlflow"}, "experiment folder"},
		{[]string{"export", "mlflow", dir}, "--tracking-uri"},
		{[]string{"export", "mlflow", dir, "--tracking-uri", "file:///tmp/mlruns"}, "http://"},
	} {
		if code, _, errOut := cli(t, c.args...); code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q (want %q)", c.args, code, errOut, c.want)
		}
	}
	if code, _, errOut := cli(t, "export", "mlflow", filepath.Join(dir, "nope"), "--tracking-uri", s.URL); code != 1 || !strings.Contains(errOut, "not an experiment folder") {
		t.Errorf("missing folder: exit %d, %s", code, errOut)
	}
}

func TestRunWithMLflow(t *testing.T) {
	gc, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// With faults: the run logs every trial exactly once.
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 8, FailRate: 0.2, Faults: []mlflowtest.Fault{
		mlflowtest.FaultStatus, mlflowtest.FaultResetBefore, mlflowtest.FaultResetAfter}})
	defer s.Close()
	retry := finish.LiveRetry
	retry.MaxAttempts, retry.BaseDelay = 12, time.Millisecond
	mlflowRetry = &retry
	defer func() { mlflowRetry = nil }()
	dir, errOut := runJSON(t, "run", "--data", gc, "--target", "class", "--max-trials", "8", "--runs", t.TempDir(), "--ensemble", "none",
		"--include", "logistic,naive_bayes,knn", "--json", "--workers", "2", "--mlflow", s.URL, "--mlflow-register-model", "best")
	if !strings.Contains(errOut, "mlflow: logged 8 trial run(s)") || strings.Contains(errOut, "warning") {
		t.Errorf("stderr: %s", errOut)
	}
	if p, n, dup := countRuns(s); p != 1 || n != 8 || dup {
		t.Errorf("%d parent, %d trial runs (duplicates %v)", p, n, dup)
	}
	if len(s.ModelVersions("best")) != 1 {
		t.Errorf("%d versions of best", len(s.ModelVersions("best")))
	}
	for _, r := range s.Runs() {
		if r.Tags[mlflow.TagComplete] == "" || r.Status != mlflow.StatusFinished && r.Status != mlflow.StatusFailed {
			t.Errorf("run %s: status %s, complete %q", r.Name, r.Status, r.Tags[mlflow.TagComplete])
		}
	}
	// An export afterwards adds no run (the finishing step logged the explanations and
	// notebooks it wrote); a second finds everything done.
	s.SetFailRate(0)
	code, out, _ := cli(t, "export", "mlflow", dir, "--tracking-uri", s.URL)
	if p, n, dup := countRuns(s); code != 0 || p != 1 || n != 8 || dup {
		t.Errorf("export after run: exit %d, %d parent, %d trial runs: %s", code, p, n, out)
	}
	code, out, _ = cli(t, "export", "mlflow", dir, "--tracking-uri", s.URL)
	if code != 0 || !strings.Contains(out, "0 trial run(s) exported, 8 already complete") {
		t.Errorf("second export after run: %d %s", code, out)
	}

	// An unreachable server: the run succeeds, with one warning naming the export command.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	mlflowRetry = nil
	start := time.Now()
	code, out, errOut = cli(t, "run", "--data", gc, "--target", "class", "--max-trials", "4", "--runs", t.TempDir(),
		"--include", "logistic", "--json", "--mlflow", dead)
	if code != 0 || !strings.Contains(out, "experiment_dir") {
		t.Fatalf("run with a dead server: exit %d\n%s", code, errOut)
	}
	if strings.Count(errOut, "warning") != 1 || !strings.Contains(errOut, "automl export mlflow") || !strings.Contains(errOut, dead) {
		t.Errorf("stderr: %s", errOut)
	}
	t.Logf("run with a dead server took %v", time.Since(start))
}
