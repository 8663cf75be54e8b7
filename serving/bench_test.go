package serving

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/tree"
)

// discard is a ResponseWriter that keeps only the status.
type discard struct {
	hdr  http.Header
	code int
	n    int
}

func (d *discard) Header() http.Header         { return d.hdr }
func (d *discard) WriteHeader(code int)        { d.code = code }
func (d *discard) Write(b []byte) (int, error) { d.n += len(b); return len(b), nil }

// germanRows renders n German Credit rows (cycling over the file) as a
// columnar request and the first row as a records request.
func germanRows(b *testing.B, m *bundle.Model, n int) (single, batch string) {
	f, err := dataset.Read(germanCSV, dataset.Options{Kinds: m.Kinds()})
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i % f.NumRows()
	}
	var t testing.T
	single, _, _ = bodies(&t, m, f, rows[:1])
	_, batch, _ = bodies(&t, m, f, rows)
	return single, batch
}

func benchScore(b *testing.B, h http.Handler, body string, rows int) {
	req := httptest.NewRequest("POST", "/score", nil)
	req.Header.Set("Content-Type", "application/json")
	w := &discard{hdr: http.Header{}}
	rd := bytes.NewReader(nil)
	data := []byte(body)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		rd.Reset(data)
		req.Body = io.NopCloser(rd)
		req.ContentLength = int64(len(data))
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("status %d", w.code)
		}
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func gbdt500(b *testing.B) string {
	return trained(b, "german-gbdt-500", germanCSV, "class", gbdt.Name, func(s *automl.TrialSpec) {
		g, _ := models.ParamsOf[*tree.GBDTParams](s.Model)
		g.Rounds, g.EarlyStoppingRounds = 500, 0
	})
}

// germanEnsemble combines the logistic and 500-tree GBDT bundles, 0.5 each.
func germanEnsemble(b *testing.B) string {
	dir := filepath.Join(fixtureDir, "german-ensemble")
	if _, err := os.Stat(dir); err == nil {
		return dir
	}
	var parts []bundle.Part
	for _, d := range []string{germanBundle(b), gbdt500(b)} {
		d, err := bundle.Resolve(d)
		if err != nil {
			b.Fatal(err)
		}
		parts = append(parts, bundle.Part{Dir: d, Weight: 1})
	}
	if _, err := bundle.Combine(dir, parts); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkScore scores one record and a 10,000-row columnar batch of
// German Credit through the whole handler (parse, validate, transform,
// predict, encode), for a logistic model, a 500-tree GBDT and the ensemble
// of the two (each member transforms and scores the rows).
func BenchmarkScore(b *testing.B) {
	for _, tc := range []struct {
		name string
		dir  func(testing.TB) string
	}{
		{"logistic", germanBundle},
		{"gbdt500", func(t testing.TB) string { return gbdt500(t.(*testing.B)) }},
		{"ensemble", func(t testing.TB) string { return germanEnsemble(t.(*testing.B)) }},
	} {
		m := load(b, tc.dir(b))
		h := New(m, Options{})
		single, batch := germanRows(b, m, 10000)
		b.Run(tc.name+"/single", func(b *testing.B) { benchScore(b, h, single, 1) })
		b.Run(tc.name+"/batch10k", func(b *testing.B) { benchScore(b, h, batch, 10000) })
	}
}

// BenchmarkStartup loads a 500-tree GBDT bundle and builds the handler
// (what `automl serve` does before listening).
func BenchmarkStartup(b *testing.B) {
	dir := gbdt500(b)
	b.ResetTimer()
	var worst time.Duration
	for b.Loop() {
		t0 := time.Now()
		m, err := Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		New(m, Options{})
		worst = max(worst, time.Since(t0))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}
