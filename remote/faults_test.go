package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/remote/natstest"
)

// TestBadConfig: each misconfiguration gets one error saying what to fix.
func TestBadConfig(t *testing.T) {
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := fmt.Sprintf("nats://%s", l.Addr())
	l.Close()
	noJS := natstest.Start(t, natstest.Options{NoJetStream: true})
	auth := natstest.Start(t, natstest.Options{User: "alice", Password: "s3cret"})
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"nothing listening", Config{URL: closed}, []string{"cannot reach the NATS server", closed}},
		{"no JetStream", Config{URL: noJS.URL}, []string{"JetStream is not enabled", "nats-server -js"}},
		{"wrong password", Config{URL: auth.URL, User: "alice", Password: "nope"}, []string{"refused the credentials"}},
		{"no credentials", Config{URL: auth.URL}, []string{"refused the credentials"}},
		{"password not shown", Config{URL: strings.Replace(auth.URL, "nats://", "nats://alice:wrong@", 1)}, []string{"refused the credentials", "alice@"}},
		{"no creds file", Config{URL: auth.URL, Creds: "/nonexistent/x.creds"}, []string{"creds file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("NATS_URL", "")
			conn, err := Dial(ctx, c.cfg)
			if err == nil {
				conn.Close()
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "nope") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
	conn, err := Dial(ctx, Config{URL: auth.URL, User: "alice", Password: "s3cret"})
	if err != nil {
		t.Fatalf("right credentials: %v", err)
	}
	conn.Close()
	t.Setenv("NATS_URL", auth.URL)
	t.Setenv("NATS_USER", "alice")
	t.Setenv("NATS_PASSWORD", "s3cret")
	conn, err = Dial(ctx, Config{})
	if err != nil {
		t.Fatalf("credentials from the environment: %v", err)
	}
	conn.Close()
}

// TestNewerProtocol: a worker that gets a message of a newer protocol
// refuses it with a clear log and hands it back; once no worker took it,
// the coordinator records the trial as failed with the worker's reason.
func TestNewerProtocol(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	w, err := NewWorker(dial(t, srv.URL), WorkerOptions{Name: "old", Concurrency: 1, CacheDir: t.TempDir(), MaxDeliver: 2, AckWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitWorkers(t, dial(t, srv.URL), 1)

	cfg := german(t, "newer", 1)
	p, err := automl.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x, err := NewExecutor(ctx, dial(t, srv.URL), p.Experiment, ExecutorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	x.base.V = Version + 1
	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	defer rcancel()
	spec := automl.DefaultTrial(p, "naive_bayes")
	o, err := x.Run(rctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if o.Trial.Status != "failed" || !strings.Contains(o.Trial.Error, "protocol 2") || !strings.Contains(o.Trial.Error, "upgrade the worker") {
		t.Fatalf("trial: status %s, error %q; want failed with the worker's reason", o.Trial.Status, o.Trial.Error)
	}
}

// TestNoData: a worker that cannot fetch the data from the object store
// fails its trials with an error naming the store and the data's sha256;
// the run finishes.
func TestNoData(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	startWorkers(t, srv.URL, 1, 1)
	conn := dial(t, srv.URL)
	cfg := german(t, "nodata", 2)
	p, err := automl.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x, err := NewExecutor(context.Background(), conn, p.Experiment, ExecutorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.data.Delete(context.Background(), p.Experiment.Data.SHA256); err != nil {
		t.Fatal(err)
	}
	res, err := automl.RunPrepared(context.Background(), p, automl.Options{Executor: x})
	if err != nil {
		t.Fatal(err)
	}
	x.Close()
	if len(res.Trials) != 2 {
		t.Fatalf("%d trials, want 2", len(res.Trials))
	}
	for _, tr := range res.Trials {
		if tr.Status != "failed" || !strings.Contains(tr.Error, "object store") || !strings.Contains(tr.Error, p.Experiment.Data.SHA256) || !strings.Contains(tr.Error, "worker wa") {
			t.Errorf("trial %d: %s %q; want failed naming the worker, the object store and the sha256", tr.ID, tr.Status, tr.Error)
		}
	}
}

// TestServerRestart stops the NATS server mid-run and starts it again on
// its file store: the run finishes with every trial logged once.
func TestServerRestart(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	startWorkers(t, srv.URL, 2, 1)
	cfg := german(t, "restart", 16)
	p, err := automl.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x, err := NewExecutor(context.Background(), dial(t, srv.URL), p.Experiment, ExecutorOptions{Logger: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	restarted := make(chan struct{})
	go func() {
		for n.Load() < 3 {
			time.Sleep(20 * time.Millisecond)
		}
		t.Log("restarting the server")
		srv.Restart(time.Second)
		t.Log("restarted")
		close(restarted)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-time.After(45 * time.Second):
			pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
		case <-finished:
		}
	}()
	res, err := automl.RunPrepared(ctx, p, automl.Options{Executor: x, OnTrial: func(automl.Trial, automl.Progress) { n.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	<-restarted
	x.Close()
	if ctx.Err() != nil {
		t.Fatal("the run did not finish in 50 s")
	}
	if res.Experiment.StopReason != automl.StopMaxTrials {
		t.Errorf("stop reason %s", res.Experiment.StopReason)
	}
	seen := map[int]bool{}
	for _, tr := range res.Trials {
		if seen[tr.ID] {
			t.Errorf("trial %d twice", tr.ID)
		}
		seen[tr.ID] = true
	}
	if len(seen) != 16 {
		t.Errorf("%d trials, want 16", len(seen))
	}
}

// TestDeadline: when the budget ends, the trials in flight are withdrawn
// and the run returns within the usual grace.
func TestDeadline(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	startWorkers(t, srv.URL, 2, 1)
	cfg := german(t, "deadline", 0)
	cfg.Timeout = 4 * time.Second
	start := time.Now()
	p, err := automl.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x, err := NewExecutor(context.Background(), dial(t, srv.URL), p.Experiment, ExecutorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := automl.RunPrepared(context.Background(), p, automl.Options{Executor: x, Started: start})
	wall := time.Since(start)
	x.Close()
	if err != nil {
		t.Fatal(err)
	}
	if wall > cfg.Timeout+time.Second {
		t.Errorf("a %v budget returned after %v", cfg.Timeout, wall)
	}
	if res.Experiment.StopReason != automl.StopTimeout || len(res.Trials) < 2 {
		t.Errorf("stop %s after %d trials", res.Experiment.StopReason, len(res.Trials))
	}
}

func waitWorkers(t *testing.T, c *Conn, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ws, err := c.Workers(context.Background())
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Log(err)
		}
		if len(ws) >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("fewer than %d workers after 10 s", n)
}
