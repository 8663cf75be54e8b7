package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goautoml/automl/samples"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe trains a model, serves it on a free port, scores the OpenAPI
// example and stops on cancellation (what SIGTERM does) with status 0.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "gc.csv")
	if err := os.WriteFile(data, samples.GermanCredit, 0o644); err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(dir, "runs")
	if code, _, stderr := cli(t, "train", "--data", data, "--target", "class", "--model", "logistic", "--runs", runs, "--name", "e", "--quiet"); code != 0 {
		t.Fatalf("train: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, "serve"); code != 2 || !strings.Contains(stderr, "--model is required") {
		t.Fatalf("serve without --model: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, "serve", "--model", filepath.Join(dir, "nope")); code != 1 || !strings.Contains(stderr, "nope") {
		t.Fatalf("serve of a missing bundle: %d %s", code, stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--model", filepath.Join(runs, "e", "best"), "--addr", "127.0.0.1:0", "--token", "t", "--notice", "100ms"}, io.Discard, &stderr)
	}()
	addr := regexp.MustCompile(`on http://([0-9.]+:[0-9]+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; time.Sleep(10 * time.Millisecond) {
		if m := addr.FindStringSubmatch(stderr.String()); m != nil {
			base = "http://" + m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %s", stderr.String())
		}
	}
	resp, err := http.Get(base + "/swagger.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	example := regexp.MustCompile(`(?s)"records": \{\s*"summary": "[^"]*",\s*"value": (\{.*?\]\s*,\s*"method": "predict_proba"\s*\})`).FindSubmatch(doc)
	if resp.StatusCode != 200 || example == nil {
		t.Fatalf("/swagger.json: %d, no records example", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", base+"/score", bytes.NewReader(example[1]))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer t")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"probabilities"`) {
		t.Fatalf("/score: %d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(stderr.String(), "stopped") {
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancellation")
	}
}
