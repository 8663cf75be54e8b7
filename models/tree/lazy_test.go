package tree

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestLoadReadsEnsembleViewLazily: scoring needs only the LightGBM file;
// the saved Ensemble view is read when first asked for, and a damaged view
// is reported, never silently used.
func TestLoadReadsEnsembleViewLazily(t *testing.T) {
	X, y, cfg := synth(300, 2, false, 5)
	m := NewGBDT(GBDTParams{Rounds: 10, LearningRate: 0.3, NumLeaves: 7, MinDataInLeaf: 5, L2: 1, MaxBins: 63}, cfg)
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Save(dir, m.Ensemble()); err != nil {
		t.Fatal(err)
	}
	want, _ := m.PredictProba(X)

	good, err := Load(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	if e := good.Ensemble(); e == nil || e.InitScore == nil || good.EnsembleError() != nil {
		t.Fatalf("saved view not used: init score %v, error %v", e.InitScore, good.EnsembleError())
	}

	if err := os.WriteFile(filepath.Join(dir, EnsembleFile), []byte(`{"trees": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	bad, err := Load(dir, 1)
	if err != nil {
		t.Fatalf("a damaged view must not stop scoring: %v", err)
	}
	got, err := bad.PredictProba(X)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.EqualApprox(got, want, 1e-12) {
		t.Fatal("scores differ from the trainer's")
	}
	if bad.Ensemble() == nil || bad.EnsembleError() == nil {
		t.Fatalf("damaged view: ensemble %v, error %v; want the model file's view and an error", bad.Ensemble() != nil, bad.EnsembleError())
	}
}
