package serving

import (
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/tree"
)

// An ensemble of two trials with different pipelines is served like one
// model: every member scores the rows through its own pipeline, and the
// answers equal the bundle's batch path exactly and the weighted sum of the
// members' own probabilities.
func TestEnsembleBundle(t *testing.T) {
	logit, err := bundle.Resolve(mixedBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	gb, err := bundle.Resolve(trained(t, "mixed-gbdt", mixedCSV, "churn", gbdt.Name, func(s *automl.TrialSpec) {
		g, _ := models.ParamsOf[*tree.GBDTParams](s.Model)
		g.Rounds, g.EarlyStoppingRounds = 60, 0
	}))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ensemble")
	b, err := bundle.Combine(dir, []bundle.Part{{Dir: logit, Weight: 0.3}, {Dir: gb, Weight: 0.7}})
	if err != nil {
		t.Fatal(err)
	}
	m := load(t, dir)
	if len(m.Members()) != 2 || m.Family != bundle.EnsembleFamily {
		t.Fatalf("%d members, family %s", len(m.Members()), m.Family)
	}
	f, err := dataset.Read(mixedCSV, dataset.Options{Kinds: m.Kinds()})
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]int, 0, 100)
	for r := 1; r < f.NumRows(); r += 4 {
		rows = append(rows, r)
	}
	checkScores(t, m, f, rows)
	loadDocOK(t, New(m, Options{}))

	got, err := m.PredictRows(f, rows)
	if err != nil {
		t.Fatal(err)
	}
	var parts []float64
	for _, d := range []string{logit, gb} {
		one := load(t, d)
		p, err := one.PredictRows(f, rows)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p.RawMatrix().Data...)
	}
	n := len(rows) * 2
	for i := range n {
		want := 0.3*parts[i] + 0.7*parts[n+i]
		if d := math.Abs(got.RawMatrix().Data[i] - want); d > 1e-12 {
			t.Fatalf("value %d: ensemble %v, weighted members %v", i, got.RawMatrix().Data[i], want)
		}
	}

	r := do(New(m, Options{}), "GET", "/status", "", "")
	var st statusInfo
	if err := json.Unmarshal(r.Body.Bytes(), &st); err != nil || len(st.Members) != 2 || st.Members[1].Weight != 0.7 || st.Family != "ensemble" {
		t.Fatalf("/status: %v %s", err, trim(r.Body.String()))
	}

	// A calibration and a decision threshold kept in the bundle apply to
	// what the server answers.
	b.Calibration = &bundle.Calibration{Version: 1, Method: bundle.Platt, Maps: []bundle.Map{{Class: b.Positive, A: -4, B: 2}}}
	b.Threshold = &bundle.Threshold{Version: 1, Value: 0.3}
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	m = load(t, dir)
	cal, err := m.PredictRows(f, rows)
	if err != nil {
		t.Fatal(err)
	}
	above := 0
	for i := range rows {
		p := got.At(i, b.Positive)
		want := 1 / (1 + math.Exp(-4*p+2))
		if d := math.Abs(cal.At(i, b.Positive) - want); d > 1e-15 {
			t.Fatalf("row %d: calibrated %v, want %v", i, cal.At(i, b.Positive), want)
		}
		if want >= 0.3 && want < 0.5 {
			above++
		}
		if lab := m.Label(cal.RawRowView(i)); (lab == b.Positive) != (want >= 0.3) {
			t.Fatalf("row %d: P(positive) %v, label %d with threshold 0.3", i, want, lab)
		}
	}
	if above == 0 {
		t.Fatal("no row between the threshold and 0.5: the test does not tell threshold from argmax")
	}
	checkScores(t, m, f, rows) // the served labels are Label's
}
