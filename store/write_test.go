package store

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "f.json")
	if err := WriteJSON(p, map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "{\n  \"a\": 1\n}\n" {
		t.Fatalf("content after a failed write = %q, want the old content", b)
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 {
		t.Fatalf("%d files left in the folder, want 1 (no temporary file)", len(ents))
	}
}

func TestLayoutMembers(t *testing.T) {
	l := At("/r/e")
	if got := l.BundleModel(3); got != "/r/e/trials/3/model" {
		t.Fatalf("BundleModel = %s", got)
	}
	if got := BundleModel("/b", 2); got != "/b/members/2" {
		t.Fatalf("BundleModel(2) = %s", got)
	}
}
