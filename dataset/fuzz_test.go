package dataset

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

// FuzzRead checks that no input panics the reader, that every failure is a
// ParseError, and that every frame read is well formed and can be
// profiled, encoded and split. Seeds: testdata/fuzz/FuzzRead and below.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "a;b\n1,5;x\n", "a\tb\n\"q\"\"x\"\ty\n", "a|b\r\n1|\r\n", "\ufeffa,b\n\"x\ny\",2\n",
		"a,b\n2020-01-02,13/01/2020\n", "a,a\n1,2\n", "a,b\n1,\"open\n", "x,y\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n7,0\n8,1\n9,0\n10,1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opt := range []Options{{}, {Delimiter: ';', Kinds: map[string]Kind{"a": Numeric, "b": Datetime, "x": Boolean}}} {
			fr, err := ReadBytes("fuzz.csv", data, opt)
			sameAsReference(t, data, opt)
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.File != "fuzz.csv" {
					t.Fatalf("error %v (%T) is not a ParseError naming the file", err, err)
				}
				continue
			}
			checkFrame(t, fr)
		}
	})
}

func checkFrame(t *testing.T, fr *Frame) {
	n := fr.NumRows()
	if n == 0 || len(fr.Columns) == 0 {
		t.Fatalf("frame with %d rows and %d columns", n, len(fr.Columns))
	}
	names := map[string]bool{}
	for _, c := range fr.Columns {
		if c.Name == "" || names[c.Name] {
			t.Fatalf("bad column name %q", c.Name)
		}
		names[c.Name] = true
		if c.Len() != n || len(c.Missing) != n || (c.Num != nil && len(c.Num) != n) {
			t.Fatalf("column %q has ragged storage", c.Name)
		}
		for i := range n {
			if c.Missing[i] && c.String(i) != "" {
				t.Fatalf("missing cell holds %q", c.String(i))
			}
		}
	}
	for i := range n {
		if fr.Line(i) < 2 {
			t.Fatalf("row %d on line %d", i, fr.Line(i))
		}
	}
	p := ProfileFrame(fr)
	if _, err := json.Marshal(p); err != nil {
		t.Fatalf("profile JSON: %v", err)
	}
	DuplicateRows(fr, nil)
	last := fr.Columns[len(fr.Columns)-1].Name
	tg, err := EncodeTarget(fr, last, "")
	if err != nil {
		return
	}
	if _, err := MakeSplit(fr, tg.Rows, tg.Y, SplitSpec{Seed: 1, CV: 2}); err != nil && len(tg.Rows) >= 10 {
		t.Fatalf("split of %d rows: %v", len(tg.Rows), err)
	}
}

// FuzzReadNumber checks the one-pass number reader against parseNumber.
func FuzzReadNumber(f *testing.F) {
	for _, s := range []string{"1", "-0", "0.000123", "1,5", "12345678901234567", "1e5", "+.5", "5.", "1.2.3", "", "-", "1,5e3"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, comma bool) {
		v, shape, ok := readNumber(s, comma)
		w, wshape, wok := parseNumber(s, comma)
		if ok != wok || shape != wshape || math.Float64bits(v) != math.Float64bits(w) {
			t.Fatalf("readNumber(%q, %v) = %v %d %v, parseNumber %v %d %v", s, comma, v, shape, ok, w, wshape, wok)
		}
	})
}
