package web

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/samples"
)

// bigExperiment writes an experiment of n finished trials to runs: the
// German Credit setup, trial specs proposed by the real random search, and
// metrics drawn from a seeded generator (fitting 500 models would make the
// benchmark about the models, not the page).
func bigExperiment(tb testing.TB, runs string, n int) string {
	tb.Helper()
	data, err := samples.WriteGermanCredit(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	p, err := automl.Prepare(automl.Config{Data: data, Target: "class", RunsDir: runs, Name: "big", Timeout: time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	st, err := automl.CreateStore(filepath.Join(runs, "big"))
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	e := p.Experiment
	e.Status, e.StopReason, e.Started, e.Trials = "done", automl.StopTimeout, time.Now().UTC(), n
	search := automl.NewRandomSearch(1, automl.Families(), p.Base, p.Shape())
	r := rand.New(rand.NewPCG(1, 2))
	for id := range n {
		spec, _ := search.Ask(id)
		t := automl.Trial{TrialSpec: spec, Status: "ok", Val: map[string]float64{}, Test: map[string]float64{},
			Timing: automl.Timing{FitSeconds: r.Float64(), OffsetSeconds: float64(id) * 7}}
		for _, m := range metrics.Names {
			t.Val[m], t.Test[m] = r.Float64(), r.Float64()
		}
		if id%50 == 7 {
			t.Status, t.Error, t.Val, t.Test = "failed", "fit gbdt: something went wrong\nstack", nil, nil
		}
		search.Tell(t)
		if err := st.AppendTrial(t); err != nil {
			tb.Fatal(err)
		}
	}
	if err := st.WriteExperiment(e); err != nil {
		tb.Fatal(err)
	}
	return "big"
}

func pageRequest(s *Server, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Accept", "text/html")
	s.Handler().ServeHTTP(w, req)
	return w
}

// BenchmarkExperimentPage500 renders the leaderboard of a 500-trial
// experiment, reading it from the store each time as the server does.
func BenchmarkExperimentPage500(b *testing.B) {
	s, _ := newTestServer(&testing.T{}, Config{Runs: b.TempDir()})
	name := bigExperiment(b, s.cfg.Runs, 500)
	for _, path := range []string{"/experiments/" + name, "/experiments/" + name + "?sort=f1&dir=asc", "/"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				if w := pageRequest(s, path); w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}

// TestExperimentPage500Time checks the acceptance figure: the page of a
// 500-trial experiment renders in under 200 ms (fastest of 5; the race
// detector makes the figure meaningless, so it skips there).
func TestExperimentPage500Time(t *testing.T) {
	if raceEnabled {
		t.Skip("render time is measured without the race detector")
	}
	s, _ := newTestServer(t, Config{})
	name := bigExperiment(t, s.cfg.Runs, 500)
	var ds []time.Duration
	for range 5 {
		start := time.Now()
		w := pageRequest(s, "/experiments/"+name+"?all=1")
		ds = append(ds, time.Since(start))
		if w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
		if n := countRows(w.Body.String()); n != 500 {
			t.Fatalf("%d rows, want 500", n)
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	// The fastest of 5 is the render's cost; the others add whatever else
	// the machine is doing.
	if ds[0] > 200*time.Millisecond {
		t.Errorf("fastest render %v, want < 200ms", ds[0])
	}
	t.Logf("render of a 500-trial experiment: fastest %v, median %v (first one parses the log)", ds[0], ds[2])
}

func countRows(body string) int {
	n := 0
	for i := 0; i+12 <= len(body); i++ {
		if body[i:i+12] == "<tr data-id=" {
			n++
		}
	}
	return n
}
