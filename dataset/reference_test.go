package dataset

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/goautoml/automl/dataset/internal/refcsv"
)

// sameAsReference reads data with the reader and with refcsv (the reader as
// it was, one string per cell) and fails unless both give the same frame, or
// both fail at the same place. The reader may succeed where the reference
// failed only on text it decoded from another encoding (Windows-1252,
// UTF-16), and inputs with another format's magic bytes are skipped.
func sameAsReference(t *testing.T, data []byte, opt Options) {
	t.Helper()
	if bytes.HasPrefix(data, []byte("\x1f\x8b")) || bytes.HasPrefix(data, []byte("PAR1")) {
		return
	}
	kinds := map[string]refcsv.Kind{}
	for k, v := range opt.Kinds {
		kinds[k] = refcsv.Kind(v)
	}
	ref, rerr := refcsv.ReadBytes("x.csv", data, refcsv.Options{Kinds: kinds, Delimiter: opt.Delimiter})
	got, err := ReadBytes("x.csv", data, opt)
	if rerr != nil {
		var rpe *refcsv.ParseError
		errors.As(rerr, &rpe)
		if err == nil {
			if got.Encoding == EncodingUTF8 || got.Encoding == EncodingUTF8BOM {
				t.Fatalf("the reference fails (%v) but the reader reads %d rows (%s)", rerr, got.NumRows(), got.Encoding)
			}
			return
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error %v is not a ParseError", err)
		}
		if bytes.ContainsAny(data, "\x00") || !isUTF8Text(data) || bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
			return // encodings: the reader decodes what the reference rejected
		}
		if pe.Line != rpe.Line || pe.Column != rpe.Column || pe.Field != rpe.Field || pe.Msg != rpe.Msg {
			t.Fatalf("errors differ:\n got %v\nwant %v", err, rerr)
		}
		return
	}
	if err != nil {
		t.Fatalf("the reference reads the input but the reader fails: %v", err)
	}
	if got.SHA256 != ref.SHA256 || got.Delimiter != ref.Delimiter || got.DecimalComma != ref.DecimalComma || got.NumRows() != ref.NumRows() || len(got.Columns) != len(ref.Columns) {
		t.Fatalf("frames differ: got %s %q comma=%v %d×%d, want %s %q comma=%v %d×%d", got.SHA256[:8], got.Delimiter, got.DecimalComma, got.NumRows(), len(got.Columns),
			ref.SHA256[:8], ref.Delimiter, ref.DecimalComma, ref.NumRows(), len(ref.Columns))
	}
	for i := range ref.NumRows() {
		if got.Line(i) != ref.Line(i) {
			t.Fatalf("row %d: line %d, want %d", i, got.Line(i), ref.Line(i))
		}
	}
	for j, rc := range ref.Columns {
		c := got.Columns[j]
		if c.Name != rc.Name || string(c.Kind) != string(rc.Kind) || (c.Num == nil) != (rc.Num == nil) {
			t.Fatalf("column %d: %q %s num=%v, want %q %s num=%v", j, c.Name, c.Kind, c.Num != nil, rc.Name, rc.Kind, rc.Num != nil)
		}
		for i := range rc.Str {
			if c.Missing[i] != rc.Missing[i] || c.String(i) != rc.Str[i] {
				t.Fatalf("column %q row %d: %q missing=%v, want %q missing=%v", c.Name, i, c.String(i), c.Missing[i], rc.Str[i], rc.Missing[i])
			}
			if rc.Num != nil && math.Float64bits(c.Num[i]) != math.Float64bits(rc.Num[i]) && !(math.IsNaN(c.Num[i]) && math.IsNaN(rc.Num[i])) {
				t.Fatalf("column %q row %d: %v, want %v", c.Name, i, c.Num[i], rc.Num[i])
			}
		}
	}
}

func isUTF8Text(b []byte) bool {
	return bytes.Equal(bytes.ToValidUTF8(b, []byte("\ufffd")), b)
}

// TestReferenceCorpus checks the reader against the reference on every
// test file and the fuzz corpus.
func TestReferenceCorpus(t *testing.T) {
	for _, name := range corpusFiles(t) {
		data := mustRead(t, name)
		for _, opt := range []Options{{}, {Delimiter: ';', Kinds: map[string]Kind{"a": Numeric, "b": Datetime, "x": Boolean}}} {
			t.Run(name, func(t *testing.T) { sameAsReference(t, data, opt) })
		}
	}
}

func corpusFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"testdata/*.csv", "testdata/fuzz/FuzzRead/*", "/work/shared/datasets/*.csv"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}

// mustRead returns a file's bytes; a fuzz corpus entry's []byte value.
func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(name, "/fuzz/") {
		lines := strings.SplitN(string(data), "\n", 2)
		if len(lines) == 2 && strings.HasPrefix(lines[1], "[]byte(") {
			s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(lines[1]), ")")[len("[]byte("):])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return []byte(s)
		}
	}
	return data
}
