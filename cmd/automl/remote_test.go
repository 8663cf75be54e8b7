package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/goautoml/automl/remote/natstest"
	"github.com/goautoml/automl/samples"
)

// TestMain lets the tests start this test binary as the automl command
// (workers and coordinators in their own processes, to kill -9 them):
// with AUTOML_TEST_CLI=1 it runs the command line and exits.
func TestMain(m *testing.M) {
	if os.Getenv("AUTOML_TEST_MAIN") == "1" { // serve_load_test.go's child processes
		main()
		return
	}
	if os.Getenv("AUTOML_TEST_CLI") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// proc is an automl process started by a test.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	seen  chan string // stderr lines, for waiting on one
	done  chan struct{}
}

// start runs `automl args...` in its own process; its stderr is kept and
// printed if the test fails. The process is killed when the test ends.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "AUTOML_TEST_CLI=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, seen: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.seen <- sc.Text():
			default:
			}
		}
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			p.mu.Lock()
			t.Logf("automl %s:\n%s", strings.Join(args, " "), strings.Join(p.lines, "\n"))
			p.mu.Unlock()
		}
	})
	return p
}

// wait waits for a stderr line containing s.
func (p *proc) wait(t *testing.T, s string, d time.Duration) string {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case l := <-p.seen:
			if strings.Contains(l, s) {
				return l
			}
		case <-p.done:
			t.Fatalf("process ended before logging %q", s)
		case <-timeout:
			t.Fatalf("no %q logged in %v", s, d)
		}
	}
}

// workerProcs starts n `automl worker` processes named w1…wn, and waits until
// they are listed as live.
func workerProcs(t *testing.T, url string, n int) []*proc {
	t.Helper()
	var ps []*proc
	for i := 1; i <= n; i++ {
		ps = append(ps, start(t, "worker", "--nats", url, "--concurrency", "1", "--name", fmt.Sprintf("w%d", i),
			"--cache", t.TempDir(), "--ack-wait", "2s", "--grace", "1s"))
	}
	for _, p := range ps {
		p.wait(t, "worker ready", 20*time.Second)
	}
	return ps
}

// trialLog reads an experiment's trials.jsonl: records without timing and
// worker (in file order), and the worker of each trial ID.
func trialLog(t *testing.T, dir string) (recs []string, worker map[int][]string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "trials.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	worker = map[int][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		w, _ := m["worker"].(string)
		if _, ensemble := m["ensemble"]; !ensemble { // chosen by the coordinator, not run by a worker
			worker[int(m["id"].(float64))] = append(worker[int(m["id"].(float64))], w)
		}
		delete(m, "timing")
		delete(m, "worker")
		r, _ := json.Marshal(m)
		recs = append(recs, string(r))
	}
	return recs, worker
}

func sameLog(t *testing.T, local, remote []string) {
	t.Helper()
	if len(local) != len(remote) {
		t.Fatalf("remote run logged %d trials, local %d", len(remote), len(local))
	}
	for i := range local {
		if local[i] != remote[i] {
			t.Errorf("line %d differs:\n local:  %.300s\n remote: %.300s", i+1, local[i], remote[i])
		}
	}
}

var quick = []string{"--quiet", "--explain-top", "0", "--notebooks", "none"}

// TestRemoteSameAsLocal is the acceptance run: three worker
// processes, 60 seeded trials through NATS, the same trials.jsonl as the
// local executor (timing and worker fields aside).
func TestRemoteSameAsLocal(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	workerProcs(t, srv.URL, 3)
	gc := writeFile(t, t.TempDir(), "german.csv", samples.GermanCredit)
	runs := t.TempDir()
	args := append([]string{"run", "--data", gc, "--target", "class", "--max-trials", "60", "--timeout", "0", "--seed", "7", "--runs", runs}, quick...)
	if code, _, stderr := cli(t, append(args, "--name", "local")...); code != 0 {
		t.Fatalf("local run: %s", stderr)
	}
	if code, _, stderr := cli(t, append(args, "--name", "remote", "--executor", srv.URL)...); code != 0 {
		t.Fatalf("remote run: %s", stderr)
	}
	local, _ := trialLog(t, filepath.Join(runs, "local"))
	remote, workers := trialLog(t, filepath.Join(runs, "remote"))
	sameLog(t, local, remote)
	// The validation predictions travel too: the same bytes in each trial folder.
	preds, _ := filepath.Glob(filepath.Join(runs, "local", "trials", "*", "predictions.bin"))
	if len(preds) < 50 {
		t.Errorf("%d predictions files in the local run", len(preds))
	}
	for _, lp := range preds {
		rel, _ := filepath.Rel(filepath.Join(runs, "local"), lp)
		a, _ := os.ReadFile(lp)
		b, err := os.ReadFile(filepath.Join(runs, "remote", rel))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s: the remote run's copy differs or is missing (%v)", rel, err)
		}
	}
	used := map[string]bool{}
	for id, ws := range workers {
		if len(ws) != 1 || !strings.HasPrefix(ws[0], "w") {
			t.Errorf("trial %d: workers %q", id, ws)
		}
		used[ws[0]] = true
	}
	if len(used) < 2 {
		t.Errorf("only workers %v ran trials", used)
	}
	// `automl workers` lists the three.
	code, out, stderr := cli(t, "workers", "--nats", srv.URL)
	if code != 0 {
		t.Fatal(stderr)
	}
	for _, w := range []string{"w1", "w2", "w3"} {
		if !strings.Contains(out, w) {
			t.Errorf("automl workers does not list %s:\n%s", w, out)
		}
	}
}

// TestRemoteWorkerKilled kills -9 a worker as it starts a trial: the trial
// is delivered again to the other worker and logged once; the run finishes.
func TestRemoteWorkerKilled(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	ws := workerProcs(t, srv.URL, 2)
	gc := writeFile(t, t.TempDir(), "german.csv", samples.GermanCredit)
	runs := t.TempDir()
	// Random forests on five folds take a second or more a trial.
	args := append([]string{"run", "--data", gc, "--target", "class", "--max-trials", "4", "--timeout", "0", "--seed", "7", "--include", "random_forest",
		"--runs", runs, "--name", "k", "--executor", srv.URL}, quick...)
	done := make(chan string, 1)
	go func() {
		code, _, stderr := cli(t, args...)
		if code != 0 {
			done <- stderr
		}
		close(done)
	}()
	ws[0].wait(t, "trial started", 30*time.Second)
	ws[0].cmd.Process.Kill() // SIGKILL
	if msg, bad := <-done; bad {
		t.Fatalf("run: %s", msg)
	}
	_, workers := trialLog(t, filepath.Join(runs, "k"))
	for id := range 4 {
		if w := workers[id]; len(w) != 1 || w[0] != "w2" {
			t.Errorf("trial %d logged by %q; want once, by w2 (w1 was killed)", id, w)
		}
	}
}

// TestRemoteCoordinatorKilled kills -9 the coordinator mid-run; `automl
// resume` on the same server finishes the experiment with every trial
// logged once, as a local run logs them.
func TestRemoteCoordinatorKilled(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	workerProcs(t, srv.URL, 2)
	gc := writeFile(t, t.TempDir(), "german.csv", samples.GermanCredit)
	runs := t.TempDir()
	args := append([]string{"run", "--data", gc, "--target", "class", "--max-trials", "16", "--timeout", "0", "--seed", "7", "--runs", runs}, quick...)
	coord := start(t, append(args, "--name", "c", "--executor", srv.URL)...)
	log := filepath.Join(runs, "c", "trials.jsonl")
	deadline := time.Now().Add(40 * time.Second)
	for {
		b, _ := os.ReadFile(log)
		if strings.Count(string(b), "\n") >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("fewer than 4 trials logged after 40 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	coord.cmd.Process.Kill()
	<-coord.done
	if code, _, stderr := cli(t, "resume", "--executor", srv.URL, "--quiet", "--notebooks", "none", filepath.Join(runs, "c")); code != 0 {
		t.Fatalf("resume: %s", stderr)
	}
	if code, _, stderr := cli(t, append(args, "--name", "local")...); code != 0 {
		t.Fatalf("local run: %s", stderr)
	}
	local, _ := trialLog(t, filepath.Join(runs, "local"))
	remote, workers := trialLog(t, filepath.Join(runs, "c"))
	sameLog(t, local, remote)
	for id, w := range workers {
		if len(w) != 1 {
			t.Errorf("trial %d logged %d times", id, len(w))
		}
	}
}

// TestRemoteTimeout: a 20 s budget with remote workers returns within the
// README's grace (timeout + max(1 s, 2 %)).
func TestRemoteTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("20 s budget")
	}
	srv := natstest.Start(t, natstest.Options{})
	workerProcs(t, srv.URL, 2)
	gc := writeFile(t, t.TempDir(), "german.csv", samples.GermanCredit)
	start := time.Now()
	code, out, stderr := cli(t, append([]string{"run", "--data", gc, "--target", "class", "--timeout", "20s", "--seed", "7",
		"--runs", t.TempDir(), "--name", "t", "--executor", srv.URL, "--json"}, quick...)...)
	wall := time.Since(start)
	if code != 0 {
		t.Fatal(stderr)
	}
	if wall > 21*time.Second {
		t.Errorf("a 20 s budget returned after %v", wall)
	}
	var s struct {
		StopReason string `json:"stop_reason"`
		Trials     int    `json:"trials"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s.StopReason != "timeout" || s.Trials < 5 {
		t.Errorf("stopped by %q after %d trials", s.StopReason, s.Trials)
	}
}

// TestRemoteBadExecutor: a wrong URL is one clear error, and no experiment
// folder is left behind.
func TestRemoteBadExecutor(t *testing.T) {
	gc := writeFile(t, t.TempDir(), "german.csv", samples.GermanCredit)
	runs := t.TempDir()
	code, _, stderr := cli(t, "run", "--data", gc, "--target", "class", "--runs", runs, "--name", "x", "--executor", "nats://127.0.0.1:1", "--quiet")
	if code != 1 || !strings.Contains(stderr, "cannot reach the NATS server nats://127.0.0.1:1") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(runs, "x")); err == nil {
		t.Error("an experiment folder was created")
	}
	code, _, stderr = cli(t, "run", "--data", gc, "--target", "class", "--runs", runs, "--executor", "http://x", "--quiet")
	if code != 2 || !strings.Contains(stderr, "expected local or a nats:// URL") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestRemoteWorkerStopped sends SIGTERM to a worker as it starts a trial:
// within its grace it finishes the trial or hands it back, then exits; the
// run finishes with every trial logged once.
func TestRemoteWorkerStopped(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	ws := workerProcs(t, srv.URL, 2)
	gc := writeFile(t, t.TempDir(), "german.csv", samples.GermanCredit)
	runs := t.TempDir()
	args := append([]string{"run", "--data", gc, "--target", "class", "--max-trials", "4", "--timeout", "0", "--seed", "7", "--include", "random_forest",
		"--runs", runs, "--name", "s", "--executor", srv.URL}, quick...)
	done := make(chan string, 1)
	go func() {
		code, _, stderr := cli(t, args...)
		if code != 0 {
			done <- stderr
		}
		close(done)
	}()
	ws[0].wait(t, "trial started", 30*time.Second)
	stopped := time.Now()
	ws[0].cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-ws[0].done:
		if d := time.Since(stopped); d > 5*time.Second {
			t.Errorf("the worker took %v to stop (grace 1 s)", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the worker did not stop 15 s after SIGTERM")
	}
	if code := ws[0].cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("worker exit status %d after SIGTERM", code)
	}
	if msg, bad := <-done; bad {
		t.Fatalf("run: %s", msg)
	}
	_, workers := trialLog(t, filepath.Join(runs, "s"))
	for id := range 4 {
		if w := workers[id]; len(w) != 1 {
			t.Errorf("trial %d logged %d times", id, len(w))
		}
	}
	ws[0].mu.Lock()
	defer ws[0].mu.Unlock()
	if log := strings.Join(ws[0].lines, "\n"); !strings.Contains(log, "trial handed back") && !strings.Contains(log, "trial finished") {
		t.Errorf("the stopped worker neither finished nor handed back its trial:\n%s", log)
	}
}
