package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	// Profiles and duplicate counts agree with those of a frame holding the
	// reference's strings (the generic path).
	hand := &Frame{Path: got.Path, Delimiter: ref.Delimiter, DecimalComma: ref.DecimalComma}
	for _, rc := range ref.Columns {
		hand.Columns = append(hand.Columns, &Column{Name: rc.Name, Kind: Kind(rc.Kind), Str: rc.Str, Num: rc.Num, Missing: rc.Missing})
	}
	pg, _ := json.Marshal(ProfileFrame(got))
	ph, _ := json.Marshal(ProfileFrame(hand))
	if !bytes.Equal(pg, ph) {
		t.Fatalf("profiles differ:\n got %s\nwant %s", pg, ph)
	}
	if a, b := DuplicateRows(got, nil), DuplicateRows(hand, nil); a != b {
		t.Fatalf("%d duplicate rows, want %d", a, b)
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
	for _, pat := range []string{"testdata/*.csv", "testdata/fuzz/FuzzRead/*", filepath.Join("..", "..", "shared", "datasets", "*.csv")} {
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

// TestReferenceCases checks texts and kinds on the cases the typed builders
// treat specially: numbers not in their shortest form, fixed decimals,
// negative zero, decimal commas, numbers followed by text after many rows,
// columns whose formats fail, 0/1 spelled oddly.
func TestReferenceCases(t *testing.T) {
	gen := func(header string, n int, cell func(i int) string) []byte {
		var b strings.Builder
		b.WriteString(header + "\n")
		for i := range n {
			b.WriteString(cell(i) + "\n")
		}
		return []byte(b.String())
	}
	cases := map[string][]byte{
		"odd forms":      []byte("a,b\n-0,1.50\n0,1.5\n+1,.5\n007,5.\n1e3,1E-2\n-0.0,12345678901234567890\n0.000123,9007199254740993\n"),
		"fixed decimals": gen("p,q", 3000, func(i int) string { return fmt.Sprintf("%.2f,%d.%d0", float64(i)/4, i, i%10) }),
		"negative zero":  gen("z,w", 50, func(i int) string { return []string{"-0", "0", "1.5", "-0.0"}[i%4] + ",x" }),
		"decimal comma":  gen("u;v", 2000, func(i int) string { return fmt.Sprintf("%d,%d;%d", i, i%3, i) }),
		"comma ints":     []byte("u;v\n3,0;1\n4;2\n5,5;3\n"),
		"late text":      gen("m,k", 5000, func(i int) string { return map[bool]string{true: "n/a?", false: fmt.Sprint(i % 97)}[i == 4999] + ",1" }),
		"late text odd": gen("m,k", 5000, func(i int) string {
			return map[bool]string{true: "x", false: fmt.Sprintf("%d.%d0", i%7, i%3)}[i == 4998] + ",0"
		}),
		"formats fail": gen("m,k", 6000, func(i int) string {
			return []string{fmt.Sprintf("%.3f", float64(i)/3), fmt.Sprintf("%.1f", float64(i)), fmt.Sprintf("+%d", i)}[i%3] + ",1"
		}),
		"odd booleans": gen("f,g", 40, func(i int) string {
			return []string{"0.0", "1.0", "1", "0"}[i%4] + "," + []string{"Yes", "no", "YES", ""}[i%4]
		}),
		"mixed decimals": []byte("a;b\n1,5;1\n2.5;2\n3;3\n"),
		"big ints id":    gen("row_id,v", 30, func(i int) string { return fmt.Sprintf("%d,%d", 9007199254740990+i, i%2) }),
		"dates": gen("d,e", 30, func(i int) string {
			return fmt.Sprintf("%02d/%02d/2020,2020-01-%02dT10:00:00Z", i%12+1, i%28+1, i%28+1)
		}),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			sameAsReference(t, data, Options{})
			sameAsReference(t, data, Options{Kinds: map[string]Kind{"m": Categorical, "p": Numeric, "u": Numeric, "f": Boolean, "d": Datetime}})
		})
	}
}
