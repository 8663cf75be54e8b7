package web

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A numeric target is refused in words a person can act on, and no page
// shows where the server keeps the upload (issue 17, finding 11).
func TestSetupMessages(t *testing.T) {
	s, c := newTestServer(t, Config{})
	var amounts, only strings.Builder
	amounts.WriteString("a,price\n")
	only.WriteString("class\n")
	for i := range 60 {
		fmt.Fprintf(&amounts, "%d,%d.%02d\n", i%7, 10+i*3, i)
		only.WriteString([]string{"yes\n", "no\n"}[i%2])
	}
	for _, tc := range []struct{ file, target, want string }{
		{amounts.String(), "price", "predicts categories only"},
		{only.String(), "class", "no column besides the target"},
	} {
		code, body, resp := c.upload(c.csrf(), "data.csv", []byte(tc.file))
		wantStatus(t, "upload", code, http.StatusSeeOther, body)
		code, body, _ = c.get(resp.Header.Get("Location") + "?target=" + tc.target)
		wantStatus(t, "setup", code, http.StatusUnprocessableEntity, body)
		if !strings.Contains(body, tc.want) || !strings.Contains(body, "data.csv") {
			t.Errorf("setup page does not say %q about data.csv:\n%s", tc.want, body)
		}
		if strings.Contains(body, s.cfg.Runs) || strings.Contains(body, uploadsDir) {
			t.Errorf("setup page shows the server's folder %s", s.cfg.Runs)
		}
	}
}

// Uploads have a quota, expire after UploadTTL, and leave the frame cache
// when their experiment starts (issue 17, finding 8).
func TestUploadQuotaAndExpiry(t *testing.T) {
	s, c := newTestServer(t, Config{MaxUpload: 4000, UploadQuota: 5000, UploadTTL: time.Hour})
	tok := c.csrf()
	csvOf := func(n int) []byte {
		b := []byte("a,b\n")
		for len(b) < n {
			b = append(b, "1,2\n"...)
		}
		return b
	}
	code, body, resp := c.upload(tok, "one.csv", csvOf(3000))
	wantStatus(t, "first upload", code, http.StatusSeeOther, body)
	first := s.uploadFile(strings.TrimPrefix(resp.Header.Get("Location"), "/new/"))
	code, body, _ = c.upload(tok, "two.csv", csvOf(3000))
	wantStatus(t, "upload over the quota", code, http.StatusInsufficientStorage, body)
	if !strings.Contains(body, "full") {
		t.Errorf("quota page does not say the space is full:\n%s", body)
	}
	if n := s.uploadsSize(); n != 3000 {
		t.Errorf("%d bytes of uploads kept, want the first upload's 3000", n)
	}
	// A day later the first upload has expired: room again.
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(filepath.Dir(first), old, old)
	code, body, _ = c.upload(tok, "two.csv", csvOf(3000))
	wantStatus(t, "upload after expiry", code, http.StatusSeeOther, body)
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Errorf("expired upload still there: %v", err)
	}
	// Expired uploads are also removed when a server starts.
	os.Chtimes(filepath.Join(s.cfg.Runs, uploadsDir), old, old)
	entries, _ := os.ReadDir(filepath.Join(s.cfg.Runs, uploadsDir))
	for _, e := range entries {
		os.Chtimes(filepath.Join(s.cfg.Runs, uploadsDir, e.Name()), old, old)
	}
	if _, err := New(Config{Runs: s.cfg.Runs, UploadTTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if n := s.uploadsSize(); n != 0 {
		t.Errorf("%d bytes of expired uploads left after a restart", n)
	}
}

func TestStartForgetsFrame(t *testing.T) {
	s, c := newTestServer(t, Config{})
	name := c.startExperiment(url.Values{"budget": {"1"}, "family": {"naive_bayes"}, "cv": {"0"}})
	waitRun(t, s, name)
	s.frames.mu.Lock()
	n := len(s.frames.entries)
	s.frames.mu.Unlock()
	if n != 0 {
		t.Errorf("%d frames cached after the experiment started", n)
	}
}

// The list shows each experiment's size on disk, and opening a trial pins
// its bundle against retention (issue 17, finding 10).
func TestSizeShownAndOpenedTrialPinned(t *testing.T) {
	s, c := newTestServer(t, Config{})
	name := c.startExperiment(url.Values{"budget": {"1"}, "family": {"naive_bayes"}, "cv": {"0"}})
	waitRun(t, s, name)
	code, body, _ := c.get("/")
	wantStatus(t, "list", code, http.StatusOK, body)
	if !strings.Contains(body, "On disk") || !strings.Contains(body, " MB</td>") {
		t.Errorf("the list does not show sizes:\n%s", body)
	}
	x, err := s.load(name)
	if err != nil || x.Exp.Best == nil {
		t.Fatalf("%v", err)
	}
	id := *x.Exp.Best
	code, body, _ = c.get(fmt.Sprintf("/experiments/%s/trials/%d", name, id))
	wantStatus(t, "trial", code, http.StatusOK, body)
	if _, err := os.Stat(filepath.Join(x.Store.Layout.Trial(id), ".keep")); err != nil {
		t.Errorf("opened trial not pinned: %v", err)
	}
	// A bundle removed by retention is re-created for its download.
	tdir := x.Store.Layout.Trial(id)
	os.Remove(filepath.Join(tdir, "model.json"))
	os.RemoveAll(filepath.Join(tdir, "model"))
	code, body, _ = c.get(fmt.Sprintf("/experiments/%s/trials/%d/bundle.zip", name, id))
	wantStatus(t, "bundle.zip of a collected trial", code, http.StatusOK, body)
	if _, err := os.Stat(filepath.Join(tdir, "model.json")); err != nil {
		t.Errorf("bundle not re-created: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(tdir, ".keep")); !strings.Contains(string(b), "exported") {
		t.Errorf("downloaded bundle not pinned: %q", b)
	}
}
