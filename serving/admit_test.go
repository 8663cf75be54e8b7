package serving

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestGateOrderAndCancel(t *testing.T) {
	g := newGate(10)
	if n, ok := g.acquire(context.Background(), 25); !ok || n != 10 {
		t.Fatalf("a request over the bound takes the whole gate: %d %v", n, ok)
	}
	g.release(10)
	a, _ := g.acquire(context.Background(), 6)
	// A waiter that gives up takes nothing.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	if _, ok := g.acquire(ctx, 5); ok {
		t.Fatal("acquired 5 rows with 6 of 10 taken")
	}
	cancel()
	// Waiters are served in order: the large one first.
	got := make(chan int, 2)
	go func() { g.acquire(context.Background(), 9); got <- 9 }()
	for g.waiting() < 1 {
		time.Sleep(time.Millisecond)
	}
	go func() { g.acquire(context.Background(), 2); got <- 2 }()
	for g.waiting() < 2 {
		time.Sleep(time.Millisecond)
	}
	g.release(a)
	if first := <-got; first != 9 {
		t.Fatalf("the later, smaller request passed first")
	}
	g.release(9)
	<-got
	if n := g.inFlight(); n != 2 {
		t.Fatalf("%d rows in flight, want 2", n)
	}
}

func (g *gate) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.waiters)
}

// Requests over the bound of rows in flight wait, then get 503 with
// Retry-After (issue 17, finding 5: no bound at all).
func TestRowsInFlightBound(t *testing.T) {
	h := New(load(t, mixedBundle(t)), Options{MaxRowsInFlight: 50, QueueWait: 100 * time.Millisecond}).(*handler)
	body := `{"data":[{` + goodRecord + `}]}`
	if r := do(h, "POST", "/score", "application/json", body); r.Code != 200 {
		t.Fatalf("idle server: %d %s", r.Code, r.Body)
	}
	held, _ := h.gate.acquire(context.Background(), 50)
	start := time.Now()
	r := do(h, "POST", "/score", "application/json", body)
	if r.Code != 503 || r.Header().Get("Retry-After") == "" || !strings.Contains(r.Body.String(), "busy") {
		t.Fatalf("full server: %d Retry-After=%q %s", r.Code, r.Header().Get("Retry-After"), r.Body)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Errorf("answered 503 after %v, before QueueWait", waited)
	}
	// A request waiting when rows free up goes through.
	done := make(chan int)
	go func() { done <- do(h, "POST", "/score", "application/json", body).Code }()
	time.Sleep(20 * time.Millisecond)
	h.gate.release(held)
	if code := <-done; code != 200 {
		t.Fatalf("request admitted after the wait: %d", code)
	}
	if n := h.gate.inFlight(); n != 0 {
		t.Fatalf("%d rows still held after every answer", n)
	}
	// Bad requests give their rows back too.
	do(h, "POST", "/score", "application/json", `{"data":[{"nope":1}]}`)
	do(h, "POST", "/score", "text/csv", "a,b\n")
	if n := h.gate.inFlight(); n != 0 {
		t.Fatalf("%d rows still held after bad requests", n)
	}
}

// The bound holds under concurrent clients: rows in flight never pass it.
func TestRowsInFlightConcurrent(t *testing.T) {
	h := New(load(t, mixedBundle(t)), Options{MaxRowsInFlight: 40, QueueWait: 5 * time.Second}).(*handler)
	rec := `{` + goodRecord + `}`
	body := `{"data":[` + strings.Repeat(rec+",", 19) + rec + `]}`
	var peak int
	var mu sync.Mutex
	stop, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			default:
			}
			n := h.gate.inFlight()
			mu.Lock()
			peak = max(peak, n)
			mu.Unlock()
		}
	}()
	var wg sync.WaitGroup
	codes := make(chan int, 32)
	for range 32 {
		wg.Go(func() { codes <- do(h, "POST", "/score", "application/json", body).Code })
	}
	wg.Wait()
	close(stop)
	<-watched // the watcher has stopped writing peak
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Fatalf("status %d", c)
		}
	}
	if peak > 40 {
		t.Fatalf("%d rows in flight, bound 40", peak)
	}
}

// After ctx is done, /ready answers 503 for the notice while /score still
// answers (closing its connection), and only then does the listener close
// (issue 17, finding 6).
func TestServeNoticeBeforeClose(t *testing.T) {
	h := New(load(t, mixedBundle(t)), Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, ln, h, ServerOptions{Notice: 400 * time.Millisecond, Drain: 5 * time.Second})
	}()
	get := func(path string) (int, http.Header) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	if code, _ := get("/ready"); code != 200 {
		t.Fatalf("/ready before shutdown: %d", code)
	}
	cancel()
	time.Sleep(50 * time.Millisecond)
	if code, _ := get("/ready"); code != 503 {
		t.Fatalf("/ready during the notice: %d", code)
	}
	resp, err := http.Post(base+"/score", "application/json", strings.NewReader(`{"data":[{`+goodRecord+`}]}`))
	if err != nil {
		t.Fatalf("score during the notice: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !resp.Close {
		t.Fatalf("score during the notice: %d, Connection: close %v", resp.StatusCode, resp.Close)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/ready"); err == nil {
		t.Fatal("listener open after the notice")
	}
}

// A client that never finishes its headers is cut off.
func TestServeReadHeaderTimeout(t *testing.T) {
	h := New(load(t, mixedBundle(t)), Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Serve(ctx, ln, h, ServerOptions{ReadHeaderTimeout: 100 * time.Millisecond, Drain: time.Second})
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /score HTTP/1.1\r\nHost: x\r\n")
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	start := time.Now()
	b, _ := io.ReadAll(c) // ends when the server closes the connection
	if time.Since(start) > 2*time.Second {
		t.Fatalf("connection still open after %v: %q", time.Since(start), b)
	}
}
