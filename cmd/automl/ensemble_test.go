package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/explain"
	"github.com/goautoml/automl/mlflow/mlflowtest"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/randomforest"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

// An ensemble of two trials of different families, weighted 0.3 / 0.7 and
// recorded as a trial of its own, goes through every tool like a single
// model: predict, serve, explain (SHAP additive to 1e-9) and the MLflow
// export, whose uploaded bundle loads back and scores the same.
func TestEnsembleBundleEverywhere(t *testing.T) {
	tmp := t.TempDir()
	gc, err := samples.WriteGermanCredit(tmp)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := runJSON(t, "run", "--data", gc, "--target", "class", "--max-trials", "4", "--runs", filepath.Join(tmp, "runs"),
		"--include", "random_forest,gbdt", "--notebooks", "none", "--json", "--workers", "2",
		"--ensemble", "none") // the test builds its own two-member ensemble below
	st, err := automl.OpenWriter(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	trials, err := st.Trials()
	if err != nil {
		t.Fatal(err)
	}
	first := map[models.Family]int{}
	last := 0
	for _, tr := range trials {
		if _, ok := first[tr.Model.Family]; !ok && tr.Status == "ok" {
			first[tr.Model.Family] = tr.ID
		}
		last = max(last, tr.ID)
	}
	gb, okG := first[gbdt.Name]
	rf, okR := first[randomforest.Name]
	if !okG || !okR {
		t.Fatalf("want a gbdt and a random_forest trial, got %v", first)
	}

	// The ensemble step's part: combine the trials' bundles into the
	// folder of a new trial and record it.
	id := last + 1
	ens := st.Layout.Trial(id)
	b, err := bundle.Combine(ens, []bundle.Part{{Dir: st.Layout.Trial(gb), Weight: 0.3}, {Dir: st.Layout.Trial(rf), Weight: 0.7}})
	if err != nil {
		t.Fatal(err)
	}
	b.TrialID = id
	if err := b.Write(ens); err != nil {
		t.Fatal(err)
	}
	rec := automl.Trial{TrialSpec: automl.TrialSpec{ID: id, Prep: b.Members[0].Prep.Spec, Model: models.Spec{Family: bundle.EnsembleFamily}}, Status: "ok"}
	if err := st.WriteTrial(rec); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendTrial(rec); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// The library: Σ w_k p_k of the members loaded on their own, to 1e-12.
	m, err := bundle.Load(ens)
	if err != nil {
		t.Fatal(err)
	}
	f, err := dataset.Read(gc, dataset.Options{Kinds: m.Kinds()})
	if err != nil {
		t.Fatal(err)
	}
	P, err := m.PredictProba(f)
	if err != nil {
		t.Fatal(err)
	}
	var parts []*mat.Dense
	for _, d := range []string{st.Layout.Trial(gb), st.Layout.Trial(rf)} {
		one, err := bundle.Load(d)
		if err != nil {
			t.Fatal(err)
		}
		p, err := one.PredictProba(f)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	n, k := P.Dims()
	for i := range n {
		for j := range k {
			if want := 0.3*parts[0].At(i, j) + 0.7*parts[1].At(i, j); math.Abs(P.At(i, j)-want) > 1e-12 {
				t.Fatalf("row %d class %d: %v, want %v", i, j, P.At(i, j), want)
			}
		}
	}

	// automl predict writes exactly the model's probabilities (10 digits).
	code, out, errOut := cli(t, "predict", "--model", ens, "--data", gc)
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != n+1 {
		t.Fatalf("predict output: %v, %d lines", err, len(recs))
	}
	for i := range n {
		if recs[i+1][1] != m.Classes[m.Label(P.RawRowView(i))] {
			t.Fatalf("row %d: predicted %s", i, recs[i+1][1])
		}
		for j := range k {
			if want := strconv.FormatFloat(P.At(i, j), 'g', 10, 64); recs[i+1][2+j] != want {
				t.Fatalf("row %d class %d: predict printed %s, want %s", i, j, recs[i+1][2+j], want)
			}
		}
	}

	// automl serve answers the same probabilities.
	served := serveScore(t, ens, csvBody(t, gc, m, 60))
	for i, row := range served {
		for j, v := range row {
			if math.Abs(v-P.At(i, j)) > 1e-12 {
				t.Fatalf("served row %d class %d: %v, want %v", i, j, v, P.At(i, j))
			}
		}
	}

	// automl explain: base value + Σ SHAP = the ensemble's probability of
	// the positive class, for every explained row.
	code, out, errOut = cli(t, "explain", dir, "--trial", strconv.Itoa(id), "--rows", "25", "--permutations", "2")
	if code != 0 {
		t.Fatalf("explain: exit %d: %s", code, errOut)
	}
	layout := store.At(dir)
	shap := readCSVFile(t, layout.ExplainFile(id, explain.SHAPFile))
	if len(shap) != 26 {
		t.Fatalf("%d SHAP lines, want 25 rows", len(shap)-1)
	}
	worst := 0.0
	for _, r := range shap[1:] {
		row, _ := strconv.Atoi(r[0])
		sum := parseNum(t, r[2])
		for _, v := range r[3 : len(r)-1] {
			sum += parseNum(t, v)
		}
		raw := parseNum(t, r[len(r)-1])
		if r[1] != m.Classes[m.Positive] {
			t.Fatalf("explained class %s, want the positive class", r[1])
		}
		worst = max(worst, math.Abs(sum-raw), math.Abs(raw-P.At(row, m.Positive)))
	}
	if worst > 1e-9 {
		t.Fatalf("SHAP additivity: largest gap %g", worst)
	}
	t.Logf("SHAP of the ensemble: %d rows, largest gap from additivity or from the model %.3g", len(shap)-1, worst)
	var met explain.Metrics
	raw, _ := os.ReadFile(layout.ExplainFile(id, explain.MetricsFile))
	if err := json.Unmarshal(raw, &met); err != nil || met.SHAP.Method != "members" || met.SHAP.Output != "probability" ||
		strings.Join(met.SHAP.Members, ",") != "permutation,tree_path_dependent" || met.Family != "ensemble" {
		t.Fatalf("metrics.json: %v %+v", err, met.SHAP)
	}

	// A decision threshold kept in the bundle decides the labels of the
	// confusion matrix explain draws.
	b.Threshold = &bundle.Threshold{Version: bundle.ThresholdVersion, Value: 0.2}
	if err := b.Write(ens); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := cli(t, "explain", dir, "--trial", strconv.Itoa(id), "--rows", "2", "--permutations", "1"); code != 0 {
		t.Fatalf("explain with a threshold: exit %d: %s", code, errOut)
	}
	raw, _ = os.ReadFile(layout.ExplainFile(id, explain.MetricsFile))
	if err := json.Unmarshal(raw, &met); err != nil {
		t.Fatal(err)
	}
	e, err := st.Experiment()
	if err != nil {
		t.Fatal(err)
	}
	prep, err := automl.Prepare(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	class := map[int]int{}
	for i, r := range prep.Data.Target.Rows {
		class[r] = prep.Data.Target.Y[i]
	}
	want := [2][2]int{}
	for _, r := range prep.Data.Split.Test {
		pred := 1 - m.Positive
		if P.At(r, m.Positive) >= 0.2 {
			pred = m.Positive
		}
		want[class[r]][pred]++
	}
	got := met.Splits["test"].Confusion
	if len(got) != 2 || got[0][0] != want[0][0] || got[0][1] != want[0][1] || got[1][0] != want[1][0] || got[1][1] != want[1][1] {
		t.Fatalf("confusion with threshold 0.2: %v, want %v", got, want)
	}
	b.Threshold = nil
	if err := b.Write(ens); err != nil {
		t.Fatal(err)
	}

	// automl export mlflow uploads the bundle with its members; it loads
	// back from the server's copy and scores the same.
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 5})
	defer s.Close()
	if code, _, errOut := cli(t, "export", "mlflow", dir, "--tracking-uri", s.URL); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	root := ""
	for _, p := range s.ArtifactPaths() {
		if i := strings.Index(p, "/model/bundle/members/1/"); i >= 0 {
			root = p[:i] + "/model/bundle/"
		}
	}
	if root == "" {
		t.Fatal("no exported bundle has members/1")
	}
	back := t.TempDir()
	for _, p := range s.ArtifactPaths() {
		if rel, ok := strings.CutPrefix(p, root); ok {
			data, _ := s.Artifact(p)
			if err := store.WriteFile(filepath.Join(back, filepath.FromSlash(rel)), data); err != nil {
				t.Fatal(err)
			}
		}
	}
	mb, err := bundle.Load(back)
	if err != nil {
		t.Fatal(err)
	}
	Pb, err := mb.PredictProba(f)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(Pb, P) || mb.TrialID != id || len(mb.Members()) != 2 {
		t.Fatal("the bundle exported to MLflow scores differently")
	}
	mlmodel, _ := s.Artifact(strings.TrimSuffix(root, "bundle/") + "MLmodel")
	if !strings.Contains(string(mlmodel), "model_family: ensemble") || !strings.Contains(string(mlmodel), "bundle_format: \"2\"") {
		t.Fatalf("MLmodel:\n%s", mlmodel)
	}
}

func parseNum(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func readCSVFile(t *testing.T, p string) [][]string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// csvBody is the first rows of the CSV file data, keeping the model's input
// columns only.
func csvBody(t *testing.T, data string, m *bundle.Model, rows int) string {
	recs := readCSVFile(t, data)
	var keep []int
	for j, name := range recs[0] {
		if _, ok := m.Kinds()[name]; ok {
			keep = append(keep, j)
		}
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, r := range recs[:rows+1] {
		var out []string
		for _, j := range keep {
			out = append(out, r[j])
		}
		w.Write(out)
	}
	w.Flush()
	return b.String()
}

// serveScore runs `automl serve --model model`, posts body (CSV) to
// /score and returns the probabilities.
func serveScore(t *testing.T, model, body string) [][]float64 {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--model", model, "--addr", "127.0.0.1:0"}, io.Discard, &stderr)
	}()
	defer func() {
		cancel()
		<-done
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
	resp, err := http.Post(base+"/score?method=predict_proba", "text/csv", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Probabilities [][]float64 }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/score: %d %v", resp.StatusCode, err)
	}
	return got.Probabilities
}
