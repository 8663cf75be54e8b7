package serving

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/store"
)

// copyDir copies the regular files under src into dst.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzBundle loads a bundle whose model.json is arbitrary: Load returns a
// model or an error, and a model it returns can be served without a panic.
func FuzzBundle(f *testing.F) {
	trial, err := automl.ResolveTrialDir(mixedBundle(f))
	if err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(trial, store.BundleFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"classes":["a"],"positive":7}`))
	f.Add(bytes.Replace(good, []byte(`"logistic"`), []byte(`"gbdt"`), 1))
	f.Fuzz(func(t *testing.T, modelJSON []byte) {
		dir := t.TempDir()
		copyDir(t, trial, dir)
		if err := os.WriteFile(filepath.Join(dir, store.BundleFile), modelJSON, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := Load(dir)
		if err != nil {
			if strings.Contains(err.Error(), dir) && !strings.Contains(err.Error(), store.BundleFile) {
				t.Logf("error names the folder but not the file: %v", err)
			}
			return
		}
		h := New(m, Options{})
		r := do(h, "POST", "/score", "application/json", `{"data":[{`+goodRecord+`}]}`)
		if r.Code != 200 && r.Code != 400 && r.Code != 500 {
			t.Fatalf("status %d", r.Code)
		}
	})
}

// FuzzUnzip unpacks arbitrary archives: nothing is ever written outside
// the extraction folder.
func FuzzUnzip(f *testing.F) {
	trial, err := automl.ResolveTrialDir(mixedBundle(f))
	if err != nil {
		f.Fatal(err)
	}
	zp := filepath.Join(f.TempDir(), "b.zip")
	zipDir(f, trial, "bundle/", zp)
	real, _ := os.ReadFile(zp)
	f.Add(real)
	for _, name := range []string{"a.txt", "../evil.txt", "d/", "/abs", `..\x`, "d/../../x"} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create(name)
		w.Write([]byte("x"))
		zw.Close()
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, archive []byte) {
		base := t.TempDir()
		src := filepath.Join(base, "in.zip")
		os.WriteFile(src, archive, 0o644)
		out := filepath.Join(base, "out")
		os.Mkdir(out, 0o755)
		Unzip(src, out)
		filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
			if err == nil && p != base && p != src && p != out && !strings.HasPrefix(p, out+string(filepath.Separator)) {
				t.Fatalf("written outside the extraction folder: %s", p)
			}
			if err == nil && d.Type()&os.ModeSymlink != 0 {
				t.Fatalf("symbolic link extracted: %s", p)
			}
			return nil
		})
	})
}
