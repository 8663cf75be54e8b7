package bundle

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goautoml/automl/store"
)

// FuzzRead feeds arbitrary model.json files to Read (a bundle may come
// from a user's .zip): it must return a bundle or an error, never panic,
// and a bundle it accepts is written again as format 2 and read back.
func FuzzRead(f *testing.F) {
	for _, name := range format1Dirs {
		b, err := os.ReadFile(filepath.Join("testdata", "format1", name, "model.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format":2,"classes":["a","b"],"positive":1,"members":[{"weight":1}]}`))
	f.Add([]byte(`{"format":2,"classes":["a","b"],"positive":1,"threshold":{"version":1,"value":0.4},"calibration":{"version":1,"method":"isotonic","maps":[{"class":1,"x":[0,1],"y":[0,1]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(store.Bundle(dir), data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := Read(dir)
		if err != nil {
			return
		}
		again := t.TempDir()
		if err := b.Write(again); err != nil {
			t.Fatalf("Read accepted a bundle Write refuses: %v", err)
		}
		b2, err := Read(again)
		if err != nil || len(b2.Members) != len(b.Members) || b2.Format != Format {
			t.Fatalf("written again, the bundle reads as %+v, %v", b2, err)
		}
	})
}
