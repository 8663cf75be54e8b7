package tree

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestLoadReadsEnsembleViewLazily: scoring needs only the LightGBM file;
// the saved Ensemble view (its head, or the whole view in older bundles)
// is read when first asked for, and a damaged or foreign one is reported,
// never silently used.
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

	// Older bundles keep the whole view as JSON: gzipped beside the
	// gzipped model, or both plain before that.
	var text, view bytes.Buffer
	if err := m.Ensemble().WriteLightGBM(&text); err != nil {
		t.Fatal(err)
	}
	if err := json.NewEncoder(&view).Encode(m.Ensemble()); err != nil {
		t.Fatal(err)
	}
	oldGz, old := t.TempDir(), t.TempDir()
	older := func() {
		t.Helper()
		for _, dir := range []string{oldGz, old} {
			ents, _ := os.ReadDir(dir)
			for _, ent := range ents {
				if err := os.Remove(filepath.Join(dir, ent.Name())); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, f := range []struct {
			path string
			data []byte
		}{
			{filepath.Join(oldGz, ModelGzFile), gz(t, text.Bytes())}, {filepath.Join(oldGz, EnsembleGzFile), gz(t, view.Bytes())},
			{filepath.Join(old, ModelFile), text.Bytes()}, {filepath.Join(old, EnsembleFile), view.Bytes()},
		} {
			if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	older()
	for _, dir := range []string{oldGz, old} {
		o, err := Load(dir, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := o.PredictProba(X); !mat.EqualApprox(got, want, 1e-12) {
			t.Fatalf("an older bundle's model (%s) scores differently", dir)
		}
		if e := o.Ensemble(); o.EnsembleError() != nil || !reflect.DeepEqual(e, m.Ensemble()) {
			t.Fatalf("an older bundle's JSON view (%s) not used as it was: %v", dir, o.EnsembleError())
		}
	}
	// Saving again over them leaves only the new files.
	for _, dir := range []string{oldGz, old} {
		if err := Save(dir, m.Ensemble()); err != nil {
			t.Fatal(err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 2 || ents[0].Name() != EnsembleHeadFile || ents[1].Name() != ModelGzFile {
			t.Errorf("after a save over an older one: %v", ents)
		}
	}
	older()

	// the head of another model: same kind, other trees
	m2 := NewGBDT(GBDTParams{Rounds: 10, LearningRate: 0.3, NumLeaves: 5, MinDataInLeaf: 5, L2: 1, MaxBins: 63}, cfg)
	if err := m2.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	var foreign bytes.Buffer
	if err := json.NewEncoder(&foreign).Encode(headOf(m2.Ensemble())); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir, file string
		data      []byte
	}{
		{dir, EnsembleHeadFile, []byte(`{"trees": [`)},
		{dir, EnsembleHeadFile, foreign.Bytes()},
		{oldGz, EnsembleGzFile, []byte(`{"trees": [`)},
		{old, EnsembleFile, []byte(`{"trees": [`)},
	} {
		if err := os.WriteFile(filepath.Join(c.dir, c.file), c.data, 0o644); err != nil {
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
		if bad.Ensemble().InitScore != nil {
			t.Fatalf("damaged %s: the view is not the one parsed from the model file", c.file)
		}
	}
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
