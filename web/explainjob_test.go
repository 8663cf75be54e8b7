package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/goautoml/automl/automl"
)

// TestExplainRefusals checks the explain button's POST refuses what it
// cannot do, with a reason: a running experiment, a failed trial, a trial
// that does not exist; and that its status URL answers JSON.
func TestExplainRefusals(t *testing.T) {
	s, c := newTestServer(t, Config{})
	name := bigExperiment(t, s.cfg.Runs, 10) // trial 7 failed (bigExperiment)
	tok := c.csrf()
	form := url.Values{"csrf": {tok}}
	if code, body, _ := c.post("/experiments/"+name+"/trials/7/explain", form); code != 404 || !strings.Contains(body, "no successful trial 7") {
		t.Errorf("failed trial: %d %s", code, body)
	}
	if code, _, _ := c.post("/experiments/"+name+"/trials/0x1/explain", form); code != 404 {
		t.Errorf("trial 0x1: status %d, want 404", code)
	}
	code, body, resp := c.get("/experiments/" + name + "/trials/1/explain")
	if code != 200 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(body, `"state":""`) {
		t.Errorf("status of no job: %d %s %s", code, resp.Header.Get("Content-Type"), body)
	}
	x, err := s.load(name)
	if err != nil {
		t.Fatal(err)
	}
	snap := *x.Exp
	snap.Status = "running"
	l := newLiveRun(snap, func() {})
	s.live.add(l)
	defer l.end("done", automl.StopTimeout)
	if code, body, _ := c.post("/experiments/"+name+"/trials/1/explain", form); code != 409 || !strings.Contains(body, "still running") {
		t.Errorf("running experiment: %d %s", code, body)
	}
}
