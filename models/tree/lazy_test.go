package tree

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
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

	// A bundle written before the view was gzipped keeps it as plain JSON.
	zr, err := os.Open(filepath.Join(dir, EnsembleGzFile))
	if err != nil {
		t.Fatal(err)
	}
	r, err := gzip.NewReader(zr)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	zr.Close()
	if err != nil {
		t.Fatal(err)
	}
	old := t.TempDir()
	var text bytes.Buffer
	if err := m.Ensemble().WriteLightGBM(&text); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{ModelFile: text.Bytes(), EnsembleFile: plain} {
		if err := os.WriteFile(filepath.Join(old, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if o, err := Load(old, 1); err != nil {
		t.Fatal(err)
	} else if got, _ := o.PredictProba(X); !mat.EqualApprox(got, want, 1e-12) {
		t.Fatal("an older bundle's plain model.txt scores differently")
	}
	// Saving again over it leaves only the gzipped files.
	if err := Save(old, m.Ensemble()); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(old); len(ents) != 2 || ents[0].Name() != EnsembleGzFile || ents[1].Name() != ModelGzFile {
		t.Errorf("after a save over an older one: %v", ents)
	}
	// Back to the older bundle's files, for the damaged-view cases below.
	for _, gz := range []string{ModelGzFile, EnsembleGzFile} {
		if err := os.Remove(filepath.Join(old, gz)); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string][]byte{ModelFile: text.Bytes(), EnsembleFile: plain} {
		if err := os.WriteFile(filepath.Join(old, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if o, err := Load(old, 1); err != nil || o.Ensemble() == nil || o.Ensemble().InitScore == nil || o.EnsembleError() != nil {
		t.Fatalf("plain JSON view not used: %v, %v", err, o.EnsembleError())
	}

	for _, c := range []struct{ dir, file string }{{dir, EnsembleGzFile}, {old, EnsembleFile}} {
		if err := os.WriteFile(filepath.Join(c.dir, c.file), []byte(`{"trees": [`), 0o644); err != nil {
			t.Fatal(err)
		}
		bad, err := Load(c.dir, 1)
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
		if bad.Ensemble() == nil || bad.EnsembleError() == nil || !strings.Contains(bad.EnsembleError().Error(), c.file) {
			t.Fatalf("damaged %s: ensemble %v, error %v; want the model file's view and an error naming it", c.file, bad.Ensemble() != nil, bad.EnsembleError())
		}
	}
}
