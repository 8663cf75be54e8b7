package mlflow

import (
	"context"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/mlflow/mlflowtest"
)

// TestLogNotebook: a notebook's MLflow cell logs into the trial's run under the export's
// names, whether it runs before the export (the export then completes that run) or after (no
// new run), and running it twice adds nothing.
func TestLogNotebook(t *testing.T) {
	dir := germanCredit(t)
	st, err := automl.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := st.Experiment()
	if err != nil {
		t.Fatal(err)
	}
	trials, err := st.Trials()
	if err != nil {
		t.Fatal(err)
	}
	tr := trials[3]
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 6})
	defer s.Close()
	c := exportClient(s, 2)
	ctx := context.Background()
	nb := automl.Trial{TrialSpec: tr.TrialSpec, Status: "ok", Val: tr.Val, Test: tr.Test}
	first, err := LogNotebook(ctx, c, e.Name, e.Data.SHA256, nb)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LogNotebook(ctx, c, e.Name, e.Data.SHA256, nb)
	if err != nil || again.Info.RunID != first.Info.RunID || len(s.Runs()) != 2 {
		t.Fatalf("second notebook run: %v, run %s (first %s), %d runs", err, again.Info.RunID, first.Info.RunID, len(s.Runs()))
	}
	if _, err := Export(ctx, c, dir, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	checkExport(t, s, dir)
	params, err := trialParams(tr)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Runs() {
		if r.ID != first.Info.RunID {
			continue
		}
		if r.Tags[TagNotebook] == "" || r.Tags[TagComplete] == "" {
			t.Errorf("the notebook's run lacks %s or %s: %v", TagNotebook, TagComplete, r.Tags)
		}
		for _, p := range params {
			if r.Params[p.Key] != p.Value {
				t.Errorf("param %s = %q, want %q", p.Key, r.Params[p.Key], p.Value)
			}
		}
		keys := map[string]bool{}
		for _, m := range r.Metrics {
			keys[m.Key] = true
		}
		for k := range tr.Val {
			if !keys[MetricName("val", k)] {
				t.Errorf("no metric %s", MetricName("val", k))
			}
		}
		return
	}
	t.Fatalf("run %s is gone", first.Info.RunID)
}
