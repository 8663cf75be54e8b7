package finish

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/explain"
	"github.com/goautoml/automl/mlflow/mlflowtest"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

// searched runs a small seeded search (6 trials of the cheap families, one
// validation split) and returns its folder, with no step after it.
func searched(t *testing.T) string {
	t.Helper()
	data, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := automl.Config{Data: data, Target: "class", Seed: 3, MaxTrials: 6, Workers: 2, RunsDir: t.TempDir(), Name: "gc",
		Include: []models.Family{"logistic", "naive_bayes", "decision_tree"}}
	res, err := automl.Run(context.Background(), cfg, automl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Best == nil {
		t.Fatal("no trial succeeded")
	}
	return res.Dir
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Options)
		want string // part of the error; "" = valid
	}{
		{"defaults", func(*Options) {}, ""},
		{"zero value", func(o *Options) { *o = Options{} }, ""},
		{"negative top", func(o *Options) { o.ExplainTop = -1 }, "explain top -1"},
		{"notebooks", func(o *Options) { o.Notebooks = "some" }, `notebooks "some"`},
		{"share above max", func(o *Options) { o.Share = 0.95 }, "finish share 0.95"},
		{"share negative", func(o *Options) { o.Share = -0.1 }, "finish share"},
		{"share max", func(o *Options) { o.Share = MaxShare }, ""},
		{"timeout", func(o *Options) { o.Timeout = -time.Second }, "explain timeout"},
		{"mlflow name without server", func(o *Options) { o.MLflow.RegisterModel = "m" }, "needs a tracking server"},
		{"mlflow", func(o *Options) { o.MLflow = MLflow{URI: "http://x", RegisterModel: "m"} }, ""},
		{"plots svg", func(o *Options) { o.Plots = explain.PlotsSVG }, ""},
		{"plots gif", func(o *Options) { o.Plots = "gif" }, `plots "gif"`},
	} {
		o := Defaults()
		c.edit(&o)
		err := o.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func TestReserve(t *testing.T) {
	d := Defaults()
	// 10 % of 30 s, and the search's grace: half of max(1 s, 2 % of 30 s).
	if got := d.Reserve(30 * time.Second); got != 3500*time.Millisecond {
		t.Errorf("default reserve of 30 s: %v, want 3.5 s", got)
	}
	if got := d.Reserve(10 * time.Minute); got != 66*time.Second {
		t.Errorf("default reserve of 10 min: %v, want 66 s", got)
	}
	if got := d.Reserve(0); got != 0 {
		t.Errorf("reserve without a budget: %v", got)
	}
	if got := (Options{Share: 0.5, Notebooks: None}).Reserve(30 * time.Second); got != 0 {
		t.Errorf("reserve with nothing to do: %v", got)
	}
	started := time.Now().Add(-time.Second)
	o := Start(d, started, 30*time.Second).Search(context.Background(), automl.Options{})
	if !o.Started.Equal(started) || o.Reserve != 3500*time.Millisecond {
		t.Errorf("search options: started %v reserve %v", o.Started, o.Reserve)
	}
}

// TestRun explains and writes notebooks, and removes what a killed writer left.
func TestRun(t *testing.T) {
	dir := searched(t)
	e, trials, err := automl.ReadExperiment(dir)
	if err != nil {
		t.Fatal(err)
	}
	lay := store.At(dir)
	best := *e.Best
	stale := []string{lay.ExplainFile(best, ".importance.csv.tmp123456"), filepath.Join(dir, ".experiment.json.tmp42")}
	keep := filepath.Join(dir, ".tmpnotours")
	for _, p := range append(stale, keep) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Run(context.Background(), dir, Options{ExplainTop: 2, Notebooks: Top, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := explain.Top(e, trials, 2)
	if len(rep.Explained) != 2 || rep.Explained[0] != best || rep.Explained[1] != want[1].ID || len(rep.NotExplained) != 0 {
		t.Errorf("explained %v, not explained %v; want %d, %d", rep.Explained, rep.NotExplained, best, want[1].ID)
	}
	ok := 0
	for _, tr := range trials {
		if tr.Status == "ok" {
			ok++
			if _, err := os.Stat(lay.Notebook(tr.ID)); err != nil {
				t.Error(err)
			}
		}
	}
	if rep.Notebooks != 1+ok || rep.NotebooksLeft != 0 || rep.Unfinished() {
		t.Errorf("notebooks %d (left %d), want %d", rep.Notebooks, rep.NotebooksLeft, 1+ok)
	}
	for _, p := range []string{lay.ExplainFile(best, explain.MetricsFile), lay.ExplainFile(want[1].ID, explain.SHAPFile),
		lay.ExplorationNotebook(), filepath.Join(lay.ExperimentExplain(), "score_over_time.png")} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	if rep.Stale != 2 {
		t.Errorf("%d stale temporaries removed, want 2", rep.Stale)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("a file that is not a temporary was removed: %v", err)
	}
}

// TestBudgetOver: a step whose budget has already ended makes nothing and
// says what it did not make, at once.
func TestBudgetOver(t *testing.T) {
	dir := searched(t)
	e, trials, _ := automl.ReadExperiment(dir)
	var phases []Phase
	o := Options{ExplainTop: 3, Notebooks: All, OnPhase: func(p Phase) { phases = append(phases, p) }}
	step := Start(o, time.Now().Add(-10*time.Second), 10*time.Second)
	start := time.Now()
	rep, err := step.Run(context.Background(), &automl.Result{Dir: dir, Experiment: e})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a step with no time left took %v", d)
	}
	var top []int
	for _, tr := range explain.Top(e, trials, 3) {
		top = append(top, tr.ID)
	}
	if !slices.Equal(rep.NotExplained, top) || len(rep.Explained) != 0 || rep.Notebooks != 0 || rep.NotebooksLeft == 0 || !rep.Unfinished() {
		t.Errorf("report %+v, want trials %v not explained and every notebook left", rep, top)
	}
	if !slices.Equal(phases, []Phase{PhaseNotebooks, PhaseExplain}) {
		t.Errorf("phases %v", phases)
	}
	if _, err := os.Stat(store.At(dir).ExplorationNotebook()); !os.IsNotExist(err) {
		t.Errorf("a notebook was written after the budget ended (%v)", err)
	}
}

// TestBudgetShare: with a little time left, the step ends by the budget's
// end however much it was asked to make.
func TestBudgetShare(t *testing.T) {
	dir := searched(t)
	e, _, _ := automl.ReadExperiment(dir)
	// The front ends hand over the prepared data (preparing it again is not
	// bounded by the budget).
	p, err := automl.Prepare(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	const left = 700 * time.Millisecond
	end := time.Now().Add(left) // the budget's end (Deadline() is a closing margin before it)
	step := Start(Options{ExplainTop: 6, Notebooks: All, Workers: 2, Data: p.Data}, time.Now().Add(left-10*time.Second), 10*time.Second)
	rep, err := step.Run(context.Background(), &automl.Result{Dir: dir, Experiment: e})
	if err != nil {
		t.Fatal(err)
	}
	// Grace: the phase in progress stops at its next check (a plot being
	// drawn is finished), measured under 0.3 s on a shared 2-core machine.
	if late := time.Since(end); late > time.Second {
		t.Errorf("the step ended %v after the budget", late)
	}
	t.Logf("explained %v (partial %v), not explained %v, notebooks %d, left %d, %.2f s",
		rep.Explained, rep.Partial, rep.NotExplained, rep.Notebooks, rep.NotebooksLeft, rep.Seconds)
}

func TestMLflow(t *testing.T) {
	dir := searched(t)
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 1})
	defer s.Close()
	rep, err := Run(context.Background(), dir, Options{MLflow: MLflow{URI: s.URL, RegisterModel: "gc"}})
	if err != nil {
		t.Fatal(err)
	}
	_, trials, _ := automl.ReadExperiment(dir) // the 6 searched and the ensemble
	if rep.MLflowFailed || !strings.Contains(rep.MLflow, fmt.Sprintf("logged %d trial run(s)", len(trials))) || !strings.Contains(rep.MLflow, "registered model gc version 1") {
		t.Errorf("mlflow: %q", rep.MLflow)
	}
	// A server that went away: a warning naming the export command, not an error.
	s.Close()
	retry := LiveRetry
	retry.MaxAttempts, retry.MaxElapsed = 1, time.Second
	rep, err = Run(context.Background(), dir, Options{MLflow: MLflow{URI: s.URL, Retry: &retry}})
	if err != nil || !rep.MLflowFailed || !strings.Contains(rep.MLflow, "automl export mlflow "+dir) {
		t.Errorf("dead server: %v, %q", err, rep.MLflow)
	}
}
