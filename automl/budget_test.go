package automl_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/automl/automltest"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/tree"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

// The budget tests run searches on the scripted executor: no model is fit
// and no trial takes more than 100 ms, so what they check is the loop's
// own behaviour at deadlines, panics, stops and resumes.

// scripted prepares an experiment (German Credit: cheap to read, and a
// real experiment.json that Resume can check the data against).
func scripted(t *testing.T, cfg automl.Config) *automl.Prepared {
	t.Helper()
	data, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data, cfg.Target, cfg.RunsDir, cfg.Name = data, "class", t.TempDir(), "scripted"
	if cfg.Ensemble == "" {
		cfg.Ensemble = automl.EnsembleNone // scripted trials leave stand-in bundles
	}
	p, err := automl.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ids(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func logIDs(t *testing.T, dir string) []int {
	t.Helper()
	got, err := automltest.LogIDs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestDeadlineAbandonsSlowTrials: two trials that ignore cancellation fill
// both slots; at the deadline the search waits the grace period, then
// returns without them: they are not logged, the ones before them are.
// (The budget leaves trials 0-5, 5 ms each, ample time for their writes
// and fsyncs on a loaded machine.)
func TestDeadlineAbandonsSlowTrials(t *testing.T) {
	const timeout, grace = time.Second, 100 * time.Millisecond
	p := scripted(t, automl.Config{Timeout: timeout, Workers: 2})
	p.Experiment.Config.Grace = grace
	x := &automltest.Script{Workers: 2, Default: automltest.Step{Duration: 5 * time.Millisecond},
		Steps: map[int]automltest.Step{6: {Hang: true}, 7: {Hang: true}}}
	defer x.Release()
	start := time.Now()
	res, err := automl.RunPrepared(context.Background(), p, automl.Options{Executor: x, Searcher: &automltest.Endless{}, Started: start})
	wall := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if wall < timeout || wall > timeout+grace+500*time.Millisecond {
		t.Errorf("search returned after %v; want the %v budget plus at most the %v grace (and scheduling)", wall, timeout, grace)
	}
	if got := x.Started(); !slices.Equal(got, ids(0, 8)) {
		t.Fatalf("trials %v started; want 0-7 before the deadline", got)
	}
	if got := logIDs(t, res.Dir); !slices.Equal(got, ids(0, 6)) {
		t.Errorf("logged trials %v, want 0-5 (6 and 7 never finished)", got)
	}
	if e := res.Experiment; e.StopReason != automl.StopTimeout || e.Status != "done" || e.Trials != 6 {
		t.Errorf("status %s, stop %s, %d trials; want done, timeout, 6", e.Status, e.StopReason, e.Trials)
	}
}

// TestDeadlineCutsTrials: trials that honour their context are cut at the
// deadline and not logged, and the search does not wait out the grace
// period for them.
func TestDeadlineCutsTrials(t *testing.T) {
	const timeout, grace = time.Second, 5 * time.Second
	p := scripted(t, automl.Config{Timeout: timeout, Workers: 3})
	p.Experiment.Config.Grace = grace
	x := &automltest.Script{Workers: 3, Default: automltest.Step{Block: true},
		Steps: map[int]automltest.Step{0: {Duration: 10 * time.Millisecond}, 1: {Duration: 20 * time.Millisecond}, 2: {Duration: 30 * time.Millisecond}, 3: {Duration: 40 * time.Millisecond}}}
	start := time.Now()
	res, err := automl.RunPrepared(context.Background(), p, automl.Options{Executor: x, Searcher: &automltest.Endless{}, Started: start})
	wall := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if wall < timeout || wall > timeout+grace/5 {
		t.Errorf("search returned after %v: want soon after the %v deadline, not after the grace period", wall, timeout)
	}
	if got := x.Started(); !slices.Equal(got, ids(0, 7)) {
		t.Errorf("trials %v started; want 0-6 (3 slots, 0-3 finish)", got)
	}
	if got := logIDs(t, res.Dir); !slices.Equal(got, ids(0, 4)) {
		t.Errorf("logged trials %v, want 0-3 (4-6 cut at the deadline)", got)
	}
	for _, tr := range res.Trials {
		if tr.Timing.OffsetSeconds > timeout.Seconds() {
			t.Errorf("trial %d ended %.3f s in, after the %v deadline, and was logged", tr.ID, tr.Timing.OffsetSeconds, timeout)
		}
	}
}

// TestPanickingTrial: a panic inside the executor's Run is a failed trial
// and the search goes on.
func TestPanickingTrial(t *testing.T) {
	p := scripted(t, automl.Config{MaxTrials: 8, Workers: 2})
	x := &automltest.Script{Workers: 2, Default: automltest.Step{Duration: time.Millisecond},
		Steps: map[int]automltest.Step{3: {Panic: true}, 5: {Fail: "scripted failure"}}}
	res, err := automl.RunPrepared(context.Background(), p, automl.Options{Executor: x, Searcher: &automltest.Endless{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := logIDs(t, res.Dir); !slices.Equal(got, ids(0, 8)) {
		t.Fatalf("logged trials %v, want 0-7", got)
	}
	e := res.Experiment
	if e.Trials != 8 || e.Failed != 2 || e.StopReason != automl.StopMaxTrials {
		t.Fatalf("%d trials, %d failed, stop %s; want 8, 2, max_trials", e.Trials, e.Failed, e.StopReason)
	}
	if tr := res.Trials[3]; tr.Status != "failed" || !strings.Contains(tr.Error, "panic: scripted panic in trial 3") {
		t.Errorf("trial 3: status %s, error %q; want failed with the panic", tr.Status, tr.Error)
	}
	if tr := res.Trials[5]; tr.Status != "failed" || tr.Error != "scripted failure" {
		t.Errorf("trial 5: status %s, error %q", tr.Status, tr.Error)
	}
	// Failed trials leave no predictions; finished ones do.
	l := store.At(res.Dir)
	if _, err := os.Stat(l.Predictions(3)); err == nil {
		t.Error("the panicked trial has a predictions file")
	}
	pr, err := automl.ReadPredictions(l.Predictions(4))
	if err != nil || pr.Classes != 2 || !slices.Equal(pr.Rows, []int{0, 1}) {
		t.Errorf("trial 4 predictions: %+v, %v", pr, err)
	}
}

// TestStopMidTrial: the caller cancels while a trial runs; the trial is cut
// and not logged, the experiment is interrupted, and the search returns at
// once.
func TestStopMidTrial(t *testing.T) {
	p := scripted(t, automl.Config{Workers: 2})
	p.Experiment.Config.Grace = 5 * time.Second
	quick := automltest.Step{Duration: time.Millisecond}
	x := &automltest.Script{Workers: 2, Default: automltest.Step{Block: true},
		Steps: map[int]automltest.Step{0: quick, 1: quick, 2: quick, 3: quick, 4: quick}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stopped time.Time
	opt := automl.Options{Executor: x, Searcher: &automltest.Endless{}, OnTrial: func(tr automl.Trial, _ automl.Progress) {
		if tr.ID == 4 {
			stopped = time.Now()
			cancel()
		}
	}}
	res, err := automl.RunPrepared(ctx, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(stopped); d > time.Second {
		t.Errorf("the search took %v to stop", d)
	}
	if got := logIDs(t, res.Dir); !slices.Equal(got, ids(0, 5)) {
		t.Errorf("logged trials %v, want 0-4", got)
	}
	if !slices.Contains(x.Started(), 5) || slices.Contains(x.Ended(), 5) {
		t.Errorf("trial 5 should have started and been cut (started %v, ended %v)", x.Started(), x.Ended())
	}
	if e := res.Experiment; e.Status != "interrupted" || e.StopReason != automl.StopCancelled {
		t.Errorf("status %s, stop %s; want interrupted, cancelled", e.Status, e.StopReason)
	}
}

// TestResumeAfterKill: an interrupted run, then the marks a kill leaves (a
// trial recorded in its folder but not logged, a torn last log line); the
// resume repairs the log, keeps the finished trials, re-runs the ones that
// were in flight and logs every ID once, in order. Resuming the finished
// experiment runs nothing.
func TestResumeAfterKill(t *testing.T) {
	p := scripted(t, automl.Config{MaxTrials: 12, Workers: 3})
	ctx, cancel := context.WithCancel(context.Background())
	first := &automltest.Script{Workers: 3, Default: automltest.Step{Duration: time.Millisecond},
		Steps: map[int]automltest.Step{6: {Block: true}, 7: {Block: true}, 8: {Block: true}}}
	res, err := automl.RunPrepared(ctx, p, automl.Options{Executor: first, Searcher: &automltest.Endless{},
		OnTrial: func(tr automl.Trial, _ automl.Progress) {
			if tr.ID == 5 {
				cancel()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	dir := res.Dir
	if got := logIDs(t, dir); !slices.Equal(got, ids(0, 6)) {
		t.Fatalf("before the resume: logged %v, want 0-5", got)
	}
	// Trial 9 was recorded in its folder by a run killed before it logged
	// it; and the kill tore a line.
	st, err := automl.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	rec := res.Trials[5]
	rec.ID, rec.Seed = 9, 9
	if err := st.WriteTrial(rec); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(st.Layout.TrialLog(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"id":6,"seed":6,"pr`)
	f.Close()

	var warnings bytes.Buffer
	log := slog.New(slog.NewTextHandler(&warnings, &slog.HandlerOptions{Level: slog.LevelWarn}))
	again := &automltest.Script{Workers: 3, Default: automltest.Step{Duration: time.Millisecond}}
	searcher := &automltest.Endless{}
	res2, err := automl.Resume(context.Background(), dir, automl.Options{Executor: again, Searcher: searcher, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warnings.String(), "torn last line") {
		t.Errorf("no warning about the torn line; log: %s", warnings.String())
	}
	if got := logIDs(t, dir); !slices.Equal(got, ids(0, 12)) {
		t.Fatalf("after the resume: logged %v, want 0-11 once each, in order", got)
	}
	if got := again.Started(); !slices.Equal(got, []int{6, 7, 8, 10, 11}) {
		t.Errorf("the resume ran %v; want the cut trials 6-8 and the new 10, 11", got)
	}
	if got := searcher.Told(); !slices.Equal(got, ids(0, 12)) {
		t.Errorf("searcher told %v, want 0-11 in order", got)
	}
	if e := res2.Experiment; e.Trials != 12 || e.Status != "done" || e.StopReason != automl.StopMaxTrials {
		t.Errorf("after the resume: %d trials, %s, %s", e.Trials, e.Status, e.StopReason)
	}

	// A finished experiment resumed runs nothing and stays done.
	idle := &automltest.Script{Workers: 3}
	res3, err := automl.Resume(context.Background(), dir, automl.Options{Executor: idle, Searcher: &automltest.Endless{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(idle.Started()) != 0 || res3.Experiment.Trials != 12 || res3.Experiment.StopReason != automl.StopMaxTrials {
		t.Errorf("resuming a finished run ran %v (%d trials, stop %s)", idle.Started(), res3.Experiment.Trials, res3.Experiment.StopReason)
	}
}

// TestResumeKeepsTheTimeBudget: a run that used its time budget is done;
// resuming it does not start a new budget.
func TestResumeKeepsTheTimeBudget(t *testing.T) {
	p := scripted(t, automl.Config{Timeout: 150 * time.Millisecond, Workers: 2})
	p.Experiment.Config.Grace = 50 * time.Millisecond
	x := &automltest.Script{Workers: 2, Default: automltest.Step{Duration: 10 * time.Millisecond}}
	res, err := automl.RunPrepared(context.Background(), p, automl.Options{Executor: x, Searcher: &automltest.Endless{}})
	if err != nil {
		t.Fatal(err)
	}
	before := res.Experiment.Trials
	idle := &automltest.Script{Workers: 2, Default: automltest.Step{Duration: 10 * time.Millisecond}}
	res2, err := automl.Resume(context.Background(), res.Dir, automl.Options{Executor: idle, Searcher: &automltest.Endless{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(idle.Started()) != 0 || res2.Experiment.Trials != before || res2.Experiment.StopReason != automl.StopTimeout {
		t.Errorf("resuming a timed-out run ran %v: %d trials (had %d), stop %s", idle.Started(), res2.Experiment.Trials, before, res2.Experiment.StopReason)
	}
}

// TestOneWriter: while a search holds an experiment, a resume of it is
// refused with a message naming the holder; once the search ends, the
// resume goes ahead.
func TestOneWriter(t *testing.T) {
	p := scripted(t, automl.Config{MaxTrials: 3, Workers: 1})
	x := &automltest.Script{Workers: 1, Steps: map[int]automltest.Step{0: {Hang: true}}}
	started := make(chan string)
	done := make(chan error)
	go func() {
		_, err := automl.RunPrepared(context.Background(), p, automl.Options{Executor: x, Searcher: &automltest.Endless{},
			OnStart: func(_ *automl.Experiment, dir string) { started <- dir }})
		done <- err
	}()
	dir := <-started
	_, err := automl.Resume(context.Background(), dir, automl.Options{Executor: &automltest.Script{}, Searcher: &automltest.Endless{}})
	var busy *store.BusyError
	if !errors.As(err, &busy) || busy.Holder.PID != os.Getpid() {
		t.Fatalf("resume during the run: %v; want a BusyError naming this process", err)
	}
	host, _ := os.Hostname()
	for _, want := range []string{"is being written by PID", host, "wait for it or stop it"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	x.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := automl.Resume(context.Background(), dir, automl.Options{Executor: &automltest.Script{}, Searcher: &automltest.Endless{}}); err != nil {
		t.Fatalf("resume after the run: %v", err)
	}
}

// TestExitScoreAndEarlyStop: the search stops once a committed trial
// reaches the exit score, or after EarlyStop trials in a row without a
// better score; in both cases at that trial, as trials commit in ID order.
func TestExitScoreAndEarlyStop(t *testing.T) {
	scores := map[int]automltest.Step{0: {Score: 0.6}, 1: {Score: 0.7}, 2: {Score: 0.65}, 3: {Score: 0.9}, 4: {Score: 0.7}}
	exit := 0.85
	p := scripted(t, automl.Config{ExitScore: &exit, Workers: 1})
	x := &automltest.Script{Workers: 1, Steps: scores, Default: automltest.Step{Score: 0.95}}
	res, err := automl.RunPrepared(context.Background(), p, automl.Options{Executor: x, Searcher: &automltest.Endless{}})
	if err != nil {
		t.Fatal(err)
	}
	if e := res.Experiment; e.StopReason != automl.StopExitScore || e.Trials != 4 || *e.Best != 3 {
		t.Errorf("exit score %.2f: stop %s after %d trials, best %d; want exit_score after 4, best 3", exit, e.StopReason, e.Trials, *e.Best)
	}

	p = scripted(t, automl.Config{EarlyStop: 2, MaxTrials: 100, Workers: 1})
	x = &automltest.Script{Workers: 1, Steps: scores, Default: automltest.Step{Score: 0.1}}
	res, err = automl.RunPrepared(context.Background(), p, automl.Options{Executor: x, Searcher: &automltest.Endless{}})
	if err != nil {
		t.Fatal(err)
	}
	// 0.6, 0.7, 0.65 (1 without improvement), 0.9, 0.7 (1), 0.1 (2): stop at trial 5.
	if e := res.Experiment; e.StopReason != automl.StopEarly || e.Trials != 6 {
		t.Errorf("early stop 2: stop %s after %d trials; want early_stop after 6", e.StopReason, e.Trials)
	}
}

// broken is an executor that breaks its contract: an error while the
// search's context lives.
type broken struct{}

func (broken) Slots() int { return 1 }
func (broken) Run(ctx context.Context, spec automl.TrialSpec) (automl.Outcome, error) {
	return automl.Outcome{}, errors.New("worker lost")
}

// TestBrokenExecutor: an executor error that is not a cut ends the search
// as failed, with the error.
func TestBrokenExecutor(t *testing.T) {
	p := scripted(t, automl.Config{MaxTrials: 5})
	res, err := automl.RunPrepared(context.Background(), p, automl.Options{Executor: broken{}, Searcher: &automltest.Endless{}})
	if err == nil || !strings.Contains(err.Error(), "worker lost") {
		t.Fatalf("err = %v, want the executor's error", err)
	}
	if res.Experiment.Status != "failed" || res.Experiment.Trials != 0 {
		t.Errorf("status %s with %d trials, want failed with 0", res.Experiment.Status, res.Experiment.Trials)
	}
}

// huge proposes Endless's trials, with a boosted model of a million rounds
// as trial At: estimated at hours whatever the machine.
type huge struct {
	automltest.Endless
	At int
}

func (h *huge) Ask(id int) (automl.TrialSpec, bool) {
	spec, ok := h.Endless.Ask(id)
	if id == h.At {
		spec.Model = models.Spec{Family: gbdt.Name, Params: &tree.GBDTParams{Rounds: 1_000_000, LearningRate: 0.1,
			NumLeaves: 255, MinDataInLeaf: 20, FeatureFraction: 1, BaggingFraction: 1, MaxBins: 255}}
	}
	return spec, ok
}

// TestNoTrialThatCannotFinish: a timed search does not start a trial
// estimated to outlast what is left of its budget (it would be cut at the
// deadline, its slot's time lost): it ends as soon as the trials in flight
// come back, with the budget as its reason. A search bounded by trials
// alone runs that trial.
func TestNoTrialThatCannotFinish(t *testing.T) {
	const timeout = 5 * time.Second
	p := scripted(t, automl.Config{Timeout: timeout, Workers: 2})
	x := &automltest.Script{Workers: 2, Default: automltest.Step{Duration: 5 * time.Millisecond}}
	start := time.Now()
	res, err := automl.RunPrepared(context.Background(), p, automl.Options{Executor: x, Searcher: &huge{At: 5}, Started: start})
	wall := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if got := x.Started(); !slices.Equal(got, ids(0, 5)) {
		t.Errorf("%d trials started (the first: %v); want 0-4 (5 cannot finish in %v)", len(got), got[:min(len(got), 8)], timeout)
	}
	if wall > timeout/2 {
		t.Errorf("search returned after %v: it had nothing left to run after its first trials", wall)
	}
	if e := res.Experiment; e.StopReason != automl.StopTimeout || e.Trials != 5 {
		t.Errorf("stop %s, %d trials; want timeout, 5", e.StopReason, e.Trials)
	}

	p = scripted(t, automl.Config{MaxTrials: 8, Workers: 2})
	x = &automltest.Script{Workers: 2, Default: automltest.Step{Duration: 5 * time.Millisecond}}
	if _, err := automl.RunPrepared(context.Background(), p, automl.Options{Executor: x, Searcher: &huge{At: 5}}); err != nil {
		t.Fatal(err)
	}
	if got := x.Started(); !slices.Equal(got, ids(0, 8)) {
		t.Errorf("trials %v started without a time budget; want 0-7", got)
	}
}
