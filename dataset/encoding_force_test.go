package dataset

import (
	"os"
	"path/filepath"
	"testing"
)

// A forced encoding reads text that detection would take for another:
// here a Windows-1252 file whose first accented byte lies past the sniffed
// window is read as UTF-8 (and fails) unless Options.Encoding says so.
func TestForcedEncoding(t *testing.T) {
	dir := t.TempDir()
	var b []byte
	b = append(b, "ville;prix\n"...)
	for range 150000 { // 1.5 MB: past the first 1 MB window
		b = append(b, "Paris;1,5\n"...)
	}
	b = append(b, "Orl\xe9ans;2,25\n"...) // "Orléans" in Windows-1252
	p := filepath.Join(dir, "villes.csv")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(p, Options{}); err == nil {
		t.Fatal("detection read a late Windows-1252 byte as UTF-8 without error; the test needs a file it misreads")
	}
	f, err := Read(p, Options{Encoding: "latin-1"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Encoding != EncodingWindows1252 || f.Delimiter != ';' || !f.DecimalComma {
		t.Errorf("encoding %q, delimiter %q, decimal comma %v", f.Encoding, f.Delimiter, f.DecimalComma)
	}
	c := f.Column("ville")
	if got := c.String(c.Len() - 1); got != "Orléans" {
		t.Errorf("last city %q, want Orléans", got)
	}
	if _, err := Read(p, Options{Encoding: "ebcdic"}); err == nil {
		t.Error("an unknown encoding was accepted")
	}
	// A UTF-8 file with a byte order mark, forced to UTF-8: the mark is skipped.
	q := filepath.Join(dir, "bom.csv")
	os.WriteFile(q, []byte("\xef\xbb\xbfa,b\n1,x\n2,y\n"), 0o644)
	f, err = Read(q, Options{Encoding: EncodingUTF8})
	if err != nil {
		t.Fatal(err)
	}
	if f.Columns[0].Name != "a" || f.Encoding != EncodingUTF8BOM {
		t.Errorf("first column %q, encoding %q", f.Columns[0].Name, f.Encoding)
	}
}
