package serving

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// gate bounds the rows in flight: a request takes its rows before it is
// read and gives them back when it is answered. Waiters are served in
// arrival order, so a large request is not starved by small ones.
type gate struct {
	mu      sync.Mutex
	size    int
	used    int
	waiters []*waiter
}

type waiter struct {
	n     int
	ready chan struct{}
}

func newGate(size int) *gate { return &gate{size: size} }

// acquire takes n rows (at most the gate's size, so that one request
// larger than the bound still runs, alone) and returns how many it took.
// It waits until they are free or ctx is done (ok false: nothing taken).
func (g *gate) acquire(ctx context.Context, n int) (took int, ok bool) {
	n = max(1, min(n, g.size))
	g.mu.Lock()
	if len(g.waiters) == 0 && g.used+n <= g.size {
		g.used += n
		g.mu.Unlock()
		return n, true
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	g.waiters = append(g.waiters, w)
	g.mu.Unlock()
	select {
	case <-w.ready:
		return n, true
	case <-ctx.Done():
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-w.ready: // granted while giving up: hand the rows on
		g.used -= n
	default:
		for i, o := range g.waiters {
			if o == w {
				g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
				break
			}
		}
	}
	g.wake()
	return 0, false
}

// release gives n rows back.
func (g *gate) release(n int) {
	if n <= 0 {
		return
	}
	g.mu.Lock()
	g.used -= n
	g.wake()
	g.mu.Unlock()
}

// inFlight returns the rows taken.
func (g *gate) inFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.used
}

// wake grants waiters in order while their rows fit. Called with mu held.
func (g *gate) wake() {
	for len(g.waiters) > 0 {
		w := g.waiters[0]
		if g.used+w.n > g.size {
			return
		}
		g.used += w.n
		close(w.ready)
		g.waiters = g.waiters[1:]
	}
}

// releaser hands memory back to the operating system once a burst of large
// requests is over: an idle server does not allocate, so without it the
// garbage collector never runs and the burst's buffers (parsed bodies,
// feature matrices, the pooled work areas) stay resident for good.
type releaser struct {
	mu    sync.Mutex
	timer *time.Timer
	after time.Duration
	idle  func() bool
}

// bigRows is the request size from which the releaser is armed.
const bigRows = 1000

// arm (re)starts the countdown: after the releaser's delay without another
// large request, and if nothing is in flight, memory is released.
func (r *releaser) arm() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil {
		r.timer.Reset(r.after)
		return
	}
	r.timer = time.AfterFunc(r.after, func() {
		if !r.idle() {
			r.arm()
			return
		}
		runtime.GC() // a first cycle moves sync.Pool's items to its victim cache
		debug.FreeOSMemory()
	})
}
