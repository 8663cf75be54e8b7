package remote

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/remote/natstest"
	"github.com/goautoml/automl/samples"
)

// german writes German Credit to a temporary folder and returns the config
// of a seeded search on it.
func german(t *testing.T, name string, trials int) automl.Config {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "german.csv")
	if err := os.WriteFile(path, samples.GermanCredit, 0o644); err != nil {
		t.Fatal(err)
	}
	return automl.Config{Data: path, Target: "class", Seed: 7, MaxTrials: trials, AutoCV: true,
		RunsDir: filepath.Join(dir, "runs"), Name: name, Workers: 2}
}

// testLog logs to stderr with -v.
func testLog() *slog.Logger {
	if !testing.Verbose() {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func dial(t *testing.T, url string) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), Config{URL: url, Name: t.Name(), Logger: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// startWorkers runs n in-process workers of the given concurrency until the
// test ends.
func startWorkers(t *testing.T, url string, n, concurrency int) []*Worker {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var ws []*Worker
	for i := range n {
		w, err := NewWorker(dial(t, url), WorkerOptions{Name: "w" + string(rune('a'+i)), Concurrency: concurrency,
			CacheDir: t.TempDir(), AckWait: 2 * time.Second, Grace: time.Second, Logger: testLog()})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
		wg.Go(func() {
			if err := w.Run(ctx); err != nil {
				t.Errorf("worker: %v", err)
			}
		})
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ws
}

// runRemote runs the experiment of cfg through the workers at url.
func runRemote(t *testing.T, ctx context.Context, url string, cfg automl.Config) (*automl.Result, *Executor) {
	t.Helper()
	p, err := automl.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x, err := NewExecutor(ctx, dial(t, url), p.Experiment, ExecutorOptions{Logger: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := automl.RunPrepared(ctx, p, automl.Options{Executor: x})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	return res, x
}

// records reads trials.jsonl without the fields that differ between runs
// (timing, worker), one JSON line per trial.
func records(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "trials.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "timing")
		delete(m, "worker")
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	return out
}

func sameRecords(t *testing.T, want, got []string) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%d trials, want %d", len(got), len(want))
	}
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("trial line %d differs:\n local:  %s\n remote: %s", i, want[i], got[i])
		}
	}
}

// TestSameAsLocal runs one seeded search locally and on two workers: the
// trial logs are the same, timing and worker aside, every record names its
// worker, and the kept bundles load and score.
func TestSameAsLocal(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	startWorkers(t, srv.URL, 2, 1)
	cfg := german(t, "same", 12)
	local, err := automl.Run(context.Background(), cfg, automl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.RunsDir = t.TempDir()
	res, x := runRemote(t, context.Background(), srv.URL, cfg)
	sameRecords(t, records(t, local.Dir), records(t, res.Dir))
	for _, tr := range res.Trials {
		if tr.Worker != "wa" && tr.Worker != "wb" {
			t.Errorf("trial %d: worker %q, want wa or wb", tr.ID, tr.Worker)
		}
	}
	if res.Best == nil {
		t.Fatal("no best trial")
	}
	m, err := automl.LoadBundle(filepath.Join(res.Dir, "trials", "best"))
	if err != nil {
		t.Fatal(err)
	}
	lm, err := automl.LoadBundle(filepath.Join(local.Dir, "trials", "best"))
	if err != nil {
		t.Fatal(err)
	}
	if m.TrialID != lm.TrialID || m.Test["roc_auc"] != lm.Test["roc_auc"] {
		t.Errorf("best bundle: trial %d test AUC %v, local trial %d %v", m.TrialID, m.Test["roc_auc"], lm.TrialID, lm.Test["roc_auc"])
	}
	if n := len(x.Latency()); n != 12 {
		t.Errorf("%d dispatch latencies, want 12", n)
	}
}

// TestDuplicateResult copies every result a worker publishes, as a worker
// that died between publishing and acking would after its redelivery: the
// log records each trial once.
func TestDuplicateResult(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	startWorkers(t, srv.URL, 1, 2)
	conn := dial(t, srv.URL)
	copies := 0
	var mu sync.Mutex
	sub, err := conn.NC.Subscribe("automl.result.dup", func(m *nats.Msg) {
		if m.Header.Get("Copy") != "" {
			return
		}
		c := nats.NewMsg(m.Subject)
		c.Header.Set("Copy", "1")
		c.Data = m.Data
		if _, err := conn.JS.PublishMsg(context.Background(), c); err == nil {
			mu.Lock()
			copies++
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	cfg := german(t, "dup", 8)
	res, _ := runRemote(t, context.Background(), srv.URL, cfg)
	ids := map[int]int{}
	for _, line := range records(t, res.Dir) {
		var r struct{ ID int }
		json.Unmarshal([]byte(line), &r)
		ids[r.ID]++
	}
	for id := range 8 {
		if ids[id] != 1 {
			t.Errorf("trial %d logged %d times", id, ids[id])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if copies < 8 {
		t.Errorf("%d results copied, want 8", copies)
	}
}

func TestTokens(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"german-20261202-104500", "german-20261202-104500"},
		{"a.b", "a_b-"},
		{"x y*>", "x_y__-"},
	} {
		got := Token(c.in)
		if !strings.HasPrefix(got, c.want) || (got != c.in && len(got) != len(c.want)+12) {
			t.Errorf("Token(%q) = %q, want prefix %q", c.in, got, c.want)
		}
	}
	if Token("a.b") == Token("a_b") {
		t.Error("a.b and a_b share a token")
	}
}
