//go:build unix

package web

import (
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A FIFO in a run folder answers 404 at once instead of hanging the
// download (issue 17, finding 8).
func TestDownloadRefusesFIFO(t *testing.T) {
	s, c := newTestServer(t, Config{})
	dir := filepath.Join(s.cfg.Runs, "exp1", "trials", "0")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "model.json"), []byte("{}"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.txt"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := syscall.Mkfifo(filepath.Join(s.cfg.Runs, "exp1", "pipe.csv"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/experiments/exp1/files/pipe.csv", "/experiments/exp1/files/trials/0/pipe.txt", "/experiments/exp1/trials/0/artifacts.zip"} {
		done := make(chan int, 1)
		go func() { code, _, _ := c.get(p); done <- code }()
		select {
		case code := <-done:
			if p == "/experiments/exp1/trials/0/artifacts.zip" {
				if code != http.StatusOK {
					t.Errorf("%s: %d", p, code)
				}
			} else if code != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", p, code)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no answer in 5 s", p)
		}
	}
}
