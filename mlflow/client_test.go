package mlflow

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fastRetry keeps tests quick: tiny waits, bounded attempts.
func fastRetry(seed uint64) RetryPolicy {
	return RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond,
		MaxElapsed: 5 * time.Second, AttemptTimeout: 2 * time.Second, Seed: seed}
}

func TestClientFromEnv(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		base    string
		auth    Auth
		wantErr string
	}{
		{"unset", map[string]string{}, "", nil, "MLFLOW_TRACKING_URI is not set"},
		{"file store", map[string]string{"MLFLOW_TRACKING_URI": "file:///tmp/mlruns"}, "", nil, "http:// or https://"},
		{"databricks", map[string]string{"MLFLOW_TRACKING_URI": "databricks"}, "", nil, "http:// or https://"},
		{"plain", map[string]string{"MLFLOW_TRACKING_URI": "http://localhost:5000/"}, "http://localhost:5000", nil, ""},
		{"prefix", map[string]string{"MLFLOW_TRACKING_URI": "https://h/mlflow"}, "https://h/mlflow", nil, ""},
		{"token", map[string]string{"MLFLOW_TRACKING_URI": "https://h", "MLFLOW_TRACKING_TOKEN": "tok", "MLFLOW_TRACKING_USERNAME": "u"}, "https://h", BearerToken("tok"), ""},
		{"basic", map[string]string{"MLFLOW_TRACKING_URI": "https://h", "MLFLOW_TRACKING_USERNAME": "u", "MLFLOW_TRACKING_PASSWORD": "p w"}, "https://h", BasicAuth{"u", "p w"}, ""},
		{"userinfo", map[string]string{"MLFLOW_TRACKING_URI": "https://u:s3@h:8443"}, "https://h:8443", BasicAuth{"u", "s3"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, err := newClientFromLookup(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cl.BaseURL != c.base || cl.Auth != c.auth {
				t.Errorf("got base %q auth %#v, want %q %#v", cl.BaseURL, cl.Auth, c.base, c.auth)
			}
		})
	}
}

func TestAuthAndHeaders(t *testing.T) {
	var got http.Header
	var length int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, length = r.Header.Clone(), r.ContentLength
		w.Write([]byte(`{"experiment_id":"7"}`))
	}))
	defer srv.Close()
	for _, c := range []struct {
		auth Auth
		want string
	}{
		{BearerToken("abc"), "Bearer abc"},
		{BasicAuth{"user", "pw"}, "Basic dXNlcjpwdw=="},
		{nil, ""},
	} {
		cl := &Client{BaseURL: srv.URL, Auth: c.auth, Retry: fastRetry(1)}
		id, err := cl.CreateExperiment(context.Background(), CreateExperimentRequest{Name: "x"})
		if err != nil || id != "7" {
			t.Fatalf("create: %q %v", id, err)
		}
		if a := got.Get("Authorization"); a != c.want {
			t.Errorf("Authorization = %q, want %q", a, c.want)
		}
		if ct := got.Get("Content-Type"); ct != "application/json" || length <= 0 {
			t.Errorf("Content-Type %q, Content-Length %d", ct, length)
		}
	}
}

// flaky answers with the given statuses in turn, then 200 {}.
func flaky(statuses []int, retryAfter string, calls *atomic.Int32) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1)) - 1
		if n < len(statuses) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(statuses[n])
			w.Write([]byte(`{"error_code":"X","message":"try later"}`))
			return
		}
		w.Write([]byte(`{}`))
	}))
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		statuses []int
		attempts int
		calls    int32
		wantErr  string
	}{
		{"recovers from 5xx and 429", []int{503, 500, 429}, 5, 4, ""},
		{"gives up at the attempt bound", []int{502, 502, 502, 502}, 3, 3, "gave up after 3 attempts"},
		{"400 is final", []int{400}, 5, 1, "HTTP 400 X: try later"},
		{"404 is final", []int{404, 404}, 5, 1, "HTTP 404"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := flaky(c.statuses, "", &calls)
			defer srv.Close()
			pol := fastRetry(3)
			pol.MaxAttempts = c.attempts
			cl := &Client{BaseURL: srv.URL, Retry: pol}
			err := cl.SetTag(ctx, "r", "k", "v")
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			if calls.Load() != c.calls {
				t.Errorf("%d calls, want %d", calls.Load(), c.calls)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	var calls atomic.Int32
	srv := flaky([]int{429}, "1", &calls)
	defer srv.Close()
	cl := &Client{BaseURL: srv.URL, Retry: fastRetry(4)}
	start := time.Now()
	if err := cl.SetTag(context.Background(), "r", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %v, Retry-After asked for 1s", d)
	}
	// A Retry-After past the elapsed bound stops at once instead of sleeping.
	calls.Store(0)
	srv2 := flaky([]int{503, 503}, "30", &calls)
	defer srv2.Close()
	pol := fastRetry(4)
	pol.MaxElapsed = 2 * time.Second
	cl = &Client{BaseURL: srv2.URL, Retry: pol}
	start = time.Now()
	err := cl.SetTag(context.Background(), "r", "k", "v")
	if err == nil || !strings.Contains(err.Error(), "would pass the 2s bound") || time.Since(start) > time.Second {
		t.Errorf("err %v after %v", err, time.Since(start))
	}
}

func TestMaxElapsedBoundsTheCall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
	}))
	defer srv.Close()
	pol := RetryPolicy{MaxAttempts: 1000, BaseDelay: 20 * time.Millisecond, MaxDelay: 40 * time.Millisecond,
		MaxElapsed: 300 * time.Millisecond, Seed: 5}
	cl := &Client{BaseURL: srv.URL, Retry: pol}
	start := time.Now()
	err := cl.SetTag(context.Background(), "r", "k", "v")
	if d := time.Since(start); err == nil || d > 400*time.Millisecond {
		t.Errorf("err %v after %v, bound 300ms", err, d)
	}
}

func TestAttemptTimeoutAndCancel(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a hang-up only once the body is read
		if calls.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	pol := fastRetry(6)
	pol.AttemptTimeout = 100 * time.Millisecond
	cl := &Client{BaseURL: srv.URL, Retry: pol}
	start := time.Now()
	if err := cl.SetTag(context.Background(), "r", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || time.Since(start) > 2*time.Second {
		t.Errorf("%d calls in %v", calls.Load(), time.Since(start))
	}
	// A cancelled context is final and reported as such.
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("user stopped"))
	calls.Store(0)
	err := cl.SetTag(ctx, "r", "k", "v")
	if err == nil || !strings.Contains(err.Error(), "user stopped") || calls.Load() > 0 {
		t.Errorf("cancelled: err %v, %d calls", err, calls.Load())
	}
}

func TestBackoff(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.withDefaults()
	r1 := rand.New(rand.NewPCG(9, 0))
	r2 := rand.New(rand.NewPCG(9, 0))
	for attempt := 1; attempt <= 8; attempt++ {
		d := p.backoff(attempt, r1)
		full := min(p.BaseDelay<<(attempt-1), p.MaxDelay)
		if d < full/2 || d > full {
			t.Errorf("attempt %d: %v outside [%v, %v]", attempt, d, full/2, full)
		}
		if d2 := p.backoff(attempt, r2); d2 != d {
			t.Errorf("attempt %d: same seed gave %v and %v", attempt, d, d2)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"3", 3 * time.Second}, {" 0 ", 0}, {"-4", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"999999999", 24 * time.Hour},
	} {
		if got := parseRetryAfter(c.in, now); got != c.want {
			t.Errorf("%q: %v, want %v", c.in, got, c.want)
		}
	}
}

func TestAPIErrorBody(t *testing.T) {
	e := newAPIError("POST", "/p", 400, []byte(`{"error_code":"RESOURCE_ALREADY_EXISTS","message":"dup"}`))
	if !IsAlreadyExists(e) || IsNotFound(e) || e.Message != "dup" {
		t.Errorf("%+v", e)
	}
	e = newAPIError("GET", "/p", 404, []byte("<html>not found</html>"))
	if !IsNotFound(e) || e.Code != "" || !strings.Contains(e.Error(), "<html>") {
		t.Errorf("%+v", e)
	}
}
