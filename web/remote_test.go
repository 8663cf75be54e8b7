package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goautoml/automl/remote"
	"github.com/goautoml/automl/remote/natstest"
)

// TestRemoteExperiment starts a search whose trials run on a NATS worker
// (the advanced setting "Run trials on"): the leaderboard names the worker
// of each trial. A URL that is not nats:// or a server that cannot be
// reached is refused with a message.
func TestRemoteExperiment(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	conn, err := remote.Dial(context.Background(), remote.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	w, err := remote.NewWorker(conn, remote.WorkerOptions{Name: "faraway", Concurrency: 1, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	s, c := newTestServer(t, Config{})
	form := url.Values{"executor": {srv.URL}, "budget": {"3"}, "family": {"logistic", "naive_bayes"}, "cv": {"0"}}
	name := c.startExperiment(form)
	waitRun(t, s, name)
	code, body, _ := c.get("/experiments/" + url.PathEscape(name))
	wantStatus(t, "experiment", code, http.StatusOK, body)
	if !strings.Contains(body, `<small class="worker">on faraway</small>`) {
		t.Errorf("the leaderboard does not name the worker:\n%s", body)
	}

	tok := c.csrf()
	_, _, resp := c.post("/samples/german_credit", url.Values{"csrf": {tok}})
	up := strings.TrimPrefix(resp.Header.Get("Location"), "/new/")
	for _, tc := range []struct {
		exec string
		code int
		want string
	}{
		{"http://example.com", http.StatusBadRequest, "nats:// URL"},
		{"nats://127.0.0.1:1", http.StatusUnprocessableEntity, "cannot reach the NATS server"},
	} {
		start := time.Now()
		code, body, _ := c.post("/experiments", url.Values{"csrf": {tok}, "upload": {up}, "target": {"class"}, "executor": {tc.exec}})
		wantStatus(t, tc.exec, code, tc.code, body)
		if !strings.Contains(body, tc.want) {
			t.Errorf("%s: the page does not say %q", tc.exec, tc.want)
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("%s: refused after %v", tc.exec, time.Since(start))
		}
	}
}
