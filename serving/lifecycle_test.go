package serving

import (
	"archive/zip"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/tree"
)

// zipDir writes the files under dir into a zip, below prefix.
func zipDir(t testing.TB, dir, prefix, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, err := zw.Create(prefix + filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestLoadZip(t *testing.T) {
	trial, err := bundle.Resolve(mixedBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	want := do(New(load(t, trial), Options{}), "POST", "/score", "application/json", `{"data":[{`+goodRecord+`}],"method":"predict_proba"}`).Body.String()
	for _, prefix := range []string{"", "bundle/"} {
		zp := filepath.Join(t.TempDir(), "model.zip")
		zipDir(t, trial, prefix, zp)
		m := load(t, zp)
		h := New(m, Options{Source: zp})
		got := do(h, "POST", "/score", "application/json", `{"data":[{`+goodRecord+`}],"method":"predict_proba"}`).Body.String()
		if got != want {
			t.Fatalf("prefix %q: zipped bundle answers %s, the folder %s", prefix, got, want)
		}
		if _, err := os.Stat(m.Dir); !os.IsNotExist(err) {
			t.Errorf("unpacked folder %s left behind", m.Dir)
		}
		if st := do(h, "GET", "/status", "", "").Body.String(); !strings.Contains(st, `"model": "`+zp) {
			t.Errorf("/status does not name the zip: %s", st)
		}
	}
}

func TestUnzipRefusesEscapes(t *testing.T) {
	for _, tc := range []struct {
		name, entry string
		mode        os.FileMode
		want        string
	}{
		{"parent", "../evil.txt", 0o644, "leaves the extraction folder"},
		{"nested parent", "bundle/../../evil.txt", 0o644, "leaves the extraction folder"},
		{"absolute", "/tmp/evil.txt", 0o644, "leaves the extraction folder"},
		{"backslash", `..\evil.txt`, 0o644, "leaves the extraction folder"},
		{"symlink", "link", os.ModeSymlink | 0o777, "only files and folders"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			zp := filepath.Join(dir, "bad.zip")
			f, _ := os.Create(zp)
			zw := zip.NewWriter(f)
			hdr := &zip.FileHeader{Name: tc.entry, Method: zip.Deflate}
			hdr.SetMode(tc.mode)
			w, err := zw.CreateHeader(hdr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, "/etc/passwd")
			zw.Close()
			f.Close()
			out := filepath.Join(dir, "out")
			os.Mkdir(out, 0o755)
			err = Unzip(zp, out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Unzip: %v, want an error saying %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "evil.txt")); err == nil {
				t.Fatal("an entry was written outside the folder")
			}
		})
	}
	// An archive without a bundle.
	zp := filepath.Join(t.TempDir(), "empty.zip")
	f, _ := os.Create(zp)
	zw := zip.NewWriter(f)
	w, _ := zw.Create("readme.txt")
	io.WriteString(w, "hello")
	zw.Close()
	f.Close()
	if _, err := Load(zp); err == nil || !strings.Contains(err.Error(), "model.json") {
		t.Fatalf("Load of a zip without a bundle: %v", err)
	}
}

// SIGTERM (a cancelled context) lets a request in flight finish.
func TestServeDrainsRequestsInFlight(t *testing.T) {
	h := New(load(t, mixedBundle(t)), Options{})
	started := make(chan struct{})
	var once sync.Once
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(started) })
		time.Sleep(300 * time.Millisecond)
		h.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, slow, ServerOptions{Drain: 5 * time.Second}) }()

	type result struct {
		code int
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/score", "application/json", strings.NewReader(`{"data":[{`+goodRecord+`}]}`))
		if err != nil {
			res <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{code: resp.StatusCode, body: string(b)}
	}()
	<-started
	cancel()
	r := <-res
	if r.err != nil || r.code != 200 || !strings.Contains(r.body, "predictions") {
		t.Fatalf("request in flight during shutdown: %v %d %s", r.err, r.code, r.body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/ready"); err == nil {
		t.Fatal("the listener still accepts connections after shutdown")
	}
}

func TestReadyTurns503WhenDraining(t *testing.T) {
	h := New(load(t, mixedBundle(t)), Options{})
	h.(*handler).draining.Store(true)
	if r := do(h, "GET", "/ready", "", ""); r.Code != 503 || !strings.Contains(r.Body.String(), "draining") {
		t.Fatalf("/ready while draining: %d %s", r.Code, r.Body)
	}
}

// GBDT bundles score through leaves, and the server's answers equal the
// model's own batch path.
func TestGBDTBundle(t *testing.T) {
	dir := trained(t, "mixed-gbdt", mixedCSV, "churn", gbdt.Name, func(s *automl.TrialSpec) {
		g, _ := models.ParamsOf[*tree.GBDTParams](s.Model)
		g.Rounds, g.EarlyStoppingRounds = 60, 0
	})
	m := load(t, dir)
	if m.Family != gbdt.Name {
		t.Fatalf("family %s", m.Family)
	}
	f, err := dataset.Read(mixedCSV, dataset.Options{Kinds: m.Kinds()})
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]int, 0, 100)
	for r := 0; r < f.NumRows(); r += 4 {
		rows = append(rows, r)
	}
	checkScores(t, m, f, rows)
	loadDocOK(t, New(m, Options{}))
}

func loadDocOK(t *testing.T, h http.Handler) {
	t.Helper()
	if r := do(h, "GET", "/openapi.json", "", ""); r.Code != 200 || !strings.Contains(r.Body.String(), `"openapi": "3.0.3"`) {
		t.Fatalf("/openapi.json: %d", r.Code)
	}
}
