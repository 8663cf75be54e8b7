package web

import (
	"context"
	"sync"
	"time"

	"github.com/goautoml/automl/automl"
)

// registry holds the experiments this server started, by name.
type registry struct {
	mu   sync.Mutex
	runs map[string]*liveRun
}

func newRegistry() *registry { return &registry{runs: map[string]*liveRun{}} }

func (g *registry) get(name string) *liveRun {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.runs[name]
}

func (g *registry) add(r *liveRun) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.runs[r.name] = r
}

// liveRun is one experiment running (or run) in this server: the trials so
// far, in the order they finished, and the event streams watching it.
type liveRun struct {
	name    string
	started time.Time
	timeout time.Duration
	exp     automl.Experiment // copy taken before the search started
	done    chan struct{}     // closed when the search has returned

	mu       sync.Mutex
	cancel   context.CancelFunc // stops the current phase
	trials   []automl.Trial
	progress automl.Progress
	status   string // "running" until the search returns, then the store's status
	stop     automl.StopReason
	err      string
	phase    string // what a running experiment is doing: "search", then the finishing step's phases (finish.Phase)
	subs     map[chan struct{}]struct{}
}

func newLiveRun(e automl.Experiment, cancel context.CancelFunc) *liveRun {
	return &liveRun{name: e.Name, started: e.Started, timeout: e.Config.Timeout, cancel: cancel, exp: e,
		done: make(chan struct{}), status: "running", phase: "search", subs: map[chan struct{}]struct{}{}}
}

// add records a finished trial and wakes the subscribers.
func (l *liveRun) add(t automl.Trial, p automl.Progress) {
	l.mu.Lock()
	l.trials = append(l.trials, t)
	l.progress = p
	l.notify()
	l.mu.Unlock()
}

// end records how the search ended.
func (l *liveRun) end(status string, stop automl.StopReason) {
	l.mu.Lock()
	l.status, l.stop = status, stop
	l.notify()
	l.mu.Unlock()
	close(l.done)
}

// notify wakes every subscriber without ever blocking on one: the signal
// channel holds one pending wake-up, and a subscriber reads everything new
// when it wakes, so a slow one only coalesces wake-ups. Called with mu held.
func (l *liveRun) notify() {
	for c := range l.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func (l *liveRun) subscribe() chan struct{} {
	c := make(chan struct{}, 1)
	l.mu.Lock()
	l.subs[c] = struct{}{}
	l.mu.Unlock()
	return c
}

func (l *liveRun) unsubscribe(c chan struct{}) {
	l.mu.Lock()
	delete(l.subs, c)
	l.mu.Unlock()
}

// snapshot is the state of a live run at one moment.
type snapshot struct {
	Trials   []automl.Trial
	Progress automl.Progress
	Status   string
	Stop     automl.StopReason
	Err      string
	Phase    string
}

// since returns the trials from index n on, and the rest of the state.
func (l *liveRun) since(n int) snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := snapshot{Progress: l.progress, Status: l.status, Stop: l.stop, Err: l.err, Phase: l.phase}
	if n < len(l.trials) {
		s.Trials = append([]automl.Trial(nil), l.trials[max(n, 0):]...)
	}
	return s
}

// fail records the error that ended the search.
func (l *liveRun) fail(err error) {
	l.mu.Lock()
	l.err = err.Error()
	l.mu.Unlock()
}

// setPhase starts a new phase, stopped by cancel from then on.
func (l *liveRun) setPhase(phase string, cancel context.CancelFunc) {
	l.mu.Lock()
	l.phase, l.cancel = phase, cancel
	l.notify()
	l.mu.Unlock()
}

// halt cancels the current phase (the stop button).
func (l *liveRun) halt() {
	l.mu.Lock()
	cancel := l.cancel
	l.mu.Unlock()
	cancel()
}
