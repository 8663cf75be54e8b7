package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestReadMalformed feeds broken files and checks that each gives one
// ParseError naming the file, the line and (where there is one) the column.
func TestReadMalformed(t *testing.T) {
	cases := []struct {
		name string
		data string
		opt  Options
		want []string // substrings of the message
	}{
		{"empty", "", Options{}, []string{"bad.csv: ", "empty"}},
		{"blank lines only", " \n\n\t\n", Options{}, []string{"bad.csv: ", "empty"}},
		{"BOM only", "\ufeff", Options{}, []string{"empty"}},
		{"header only", "a,b,c\n", Options{}, []string{"bad.csv:1: ", "no data rows"}},
		{"header only CRLF BOM", "\ufeffa;b\r\n\r\n", Options{}, []string{"bad.csv:1: ", "no data rows"}},
		{"duplicate column", "a,b,a\n1,2,3\n", Options{}, []string{"bad.csv:1: ", `column "a" (field 3)`, "duplicate", "fields 1 and 3"}},
		{"empty column name", "a,,c\n1,2,3\n", Options{}, []string{"bad.csv:1: ", "field 2", "empty column name"}},
		{"trailing delimiter", "a,b,\n1,2,\n", Options{}, []string{"bad.csv:1: ", "field 3", "empty column name"}},
		{"short row", "a,b,c\n1,2,3\n4,5\n", Options{}, []string{"bad.csv:3: ", `column "c"`, "2 fields but the header has 3"}},
		{"long row", "a,b\n1,2\n3,4,5\n", Options{}, []string{"bad.csv:3: ", `column "b"`, "3 fields but the header has 2"}},
		{"unterminated quote", "a,b\n1,\"abc\n2,3\n", Options{}, []string{"bad.csv:2: ", `column "b"`, "unterminated quoted field"}},
		{"unterminated quote in header", "\"a,b\n1,2\n", Options{}, []string{"bad.csv:1: ", "field 1", "unterminated"}},
		{"text after closing quote", "a,b\n1,\"x\"y\n", Options{}, []string{"bad.csv:2: ", `column "b"`, "after a closing quote", `"y"`}},
		{"NUL byte", "a,b\n1,x\x00\x01y\n", Options{}, []string{"bad.csv:2: ", `column "b"`, "NUL byte"}},
		{"binary PNG", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", Options{}, []string{"bad.csv:1: ", "UTF-8"}},
		{"UTF-16 header only", "\xff\xfea\x00,\x00b\x00\n\x00", Options{}, []string{"bad.csv:1: ", "no data rows"}},
		{"ragged after multi-line field", "a,b\n\"x\ny\",1\n1,2,3\n", Options{}, []string{"bad.csv:4: ", "3 fields"}},
		{"forced numeric", "a,b\n1,2\n3,x\n", Options{Kinds: map[string]Kind{"b": Numeric}}, []string{"bad.csv:3: ", `column "b"`, "expected a number", `"x"`}},
		{"forced numeric thousands", "a;b\n1;2\n3;1.234,5\n", Options{Kinds: map[string]Kind{"b": Numeric}}, []string{"bad.csv:3: ", `column "b"`, "expected a number"}},
		{"forced boolean", "a,b\n1,yes\n2,maybe\n", Options{Kinds: map[string]Kind{"b": Boolean}}, []string{"bad.csv:3: ", `column "b"`, "expected a boolean", `"maybe"`}},
		{"forced datetime", "a,b\n1,2020-01-02\n2,soon\n", Options{Kinds: map[string]Kind{"b": Datetime}}, []string{"bad.csv:3: ", `column "b"`, "expected a date", `"soon"`}},
		{"unknown forced kind", "a,b\n1,2\n", Options{Kinds: map[string]Kind{"a": "float"}}, []string{"bad.csv: ", `column "a"`, "unknown kind"}},
		{"bad delimiter option", "a,b\n1,2\n", Options{Delimiter: '"'}, []string{"bad.csv: ", "delimiter"}},
		{"forced delimiter ragged", "a,b;c\n1,2;3\n4;5;6\n", Options{Delimiter: ';'}, []string{"bad.csv:3: ", "3 fields but the header has 2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ReadBytes("bad.csv", []byte(tc.data), tc.opt)
			if err == nil {
				t.Fatalf("no error; read %d rows × %d columns", f.NumRows(), len(f.Columns))
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "bad.csv" {
				t.Fatalf("error %v (%T) is not a ParseError naming the file", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func read(t testing.TB, data string) *Frame {
	t.Helper()
	f, err := ReadBytes("t.csv", []byte(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDialect(t *testing.T) {
	cases := []struct {
		name  string
		data  string
		delim rune
		want  [][]string // rows of Str
	}{
		{"comma", "a,b\n1,2\n", ',', [][]string{{"1", "2"}}},
		{"semicolon with commas in quotes", "a;b\n\"x, y\";2\n\"p, q\";3\n", ';', [][]string{{"x, y", "2"}, {"p, q", "3"}}},
		{"tab", "a\tb c\n1\tx y\n", '\t', [][]string{{"1", "x y"}}},
		{"pipe", "a|b|c\n1|2|3\n", '|', [][]string{{"1", "2", "3"}}},
		{"doubled quotes and newline", "a,b\n\"say \"\"hi\"\"\nthere\",2\n", ',', [][]string{{"say \"hi\"\nthere", "2"}}},
		{"CRLF and BOM", "\ufeffa,b\r\n1,2\r\n3,4\r\n", ',', [][]string{{"1", "2"}, {"3", "4"}}},
		{"CR only", "a,b\r1,2\r", ',', [][]string{{"1", "2"}}},
		{"spaces around fields", "a , b\n 1 ,  \"x\"  \n", ',', [][]string{{"1", "x"}}},
		{"no trailing newline", "a,b\n1,2", ',', [][]string{{"1", "2"}}},
		{"blank lines skipped", "a,b\n\n1,2\n   \n3,4\n\n", ',', [][]string{{"1", "2"}, {"3", "4"}}},
		{"quote inside unquoted field", "a,b\n5'11\",2\n", ',', [][]string{{"5'11\"", "2"}}},
		{"single column", "a\n1\n2\n", ',', [][]string{{"1"}, {"2"}}},
		{"quoted empty is missing", "a,b\n\"\",2\n", ',', [][]string{{"", "2"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := read(t, tc.data)
			if f.Delimiter != tc.delim {
				t.Errorf("delimiter %q, want %q", f.Delimiter, tc.delim)
			}
			if f.NumRows() != len(tc.want) {
				t.Fatalf("%d rows, want %d", f.NumRows(), len(tc.want))
			}
			for i, row := range tc.want {
				for j, v := range row {
					if got := f.Columns[j].String(i); got != v {
						t.Errorf("row %d col %d = %q, want %q", i, j, got, v)
					}
				}
			}
		})
	}
}

func TestLineNumbers(t *testing.T) {
	f := read(t, "a,b\n\n1,\"x\ny\nz\"\n2,3\r\n4,5\n")
	if got, want := []int{f.Line(0), f.Line(1), f.Line(2)}, []int{3, 6, 7}; !slices.Equal(got, want) {
		t.Errorf("lines %v, want %v", got, want)
	}
	if f.Line(-1) != 0 || f.Line(3) != 0 {
		t.Error("Line out of range should be 0")
	}
}

func TestMissingMarkers(t *testing.T) {
	f := read(t, "a,b\n1,NA\n2,n/a\n3,NaN\n4,NULL\n5,?\n6,   \n7,\n8,na\n9,x\n10,None\n")
	b := f.Column("b")
	want := []bool{true, true, true, true, true, true, true, true, false, false}
	if !slices.Equal(b.Missing, want) {
		t.Errorf("missing %v, want %v", b.Missing, want)
	}
	if b.String(0) != "" || b.String(8) != "x" {
		t.Errorf("Str of a missing cell should be empty: %q", b.String(0))
	}
}

func TestInferKinds(t *testing.T) {
	seq := func(n int, f func(i int) string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(f(i) + "\n")
		}
		return b.String()
	}
	cases := []struct {
		name string
		data string
		want []Kind
	}{
		{"numbers with spaces and exponents", "a,b\n 1 ,1e3\n-2,+.5\n3,NA\n", []Kind{Numeric, Numeric}},
		{"thousands separators are text", "a,b\n\"1,234\",x\n\"2,345\",y\n\"3,000\",z\n", []Kind{Categorical, Categorical}},
		{"inf and hex are not numbers", "a,b\nInf,0x10\n1,2\n", []Kind{Categorical, Categorical}},
		{"booleans", "a,b,c,d,e\ntrue,Yes,T,y,1\nFALSE,no,f,N,0\ntrue,yes,t,n,1\n", []Kind{Boolean, Boolean, Boolean, Boolean, Boolean}},
		{"single boolean word", "a,b\nyes,1\nyes,1\n", []Kind{Boolean, Numeric}},
		{"mixed boolean families", "a,b\nyes,0\nfalse,2\n", []Kind{Categorical, Numeric}},
		{"iso dates", "a,b\n2020-01-02,2020-01-02 10:11:12\n2021-12-31,2021-12-31T23:59:59Z\n,2022-03-04\n", []Kind{Datetime, Datetime}},
		{"slash and named dates", "a,b\n13/01/2020,2-Jan-2006\n02/03/2020,15-Mar-2007\n", []Kind{Datetime, Datetime}},
		{"not quite dates", "a,b\n2020-01-02,13/13/2020\nlater,01/01/2020\n", []Kind{Categorical, Categorical}},
		{"years are numbers", "a\n1999\n2004\n", []Kind{Numeric}},
		{"all missing", "a,b\n,1\nNA,2\n", []Kind{Categorical, Numeric}},
		{"named string id", "user_id,b\nu1,x\nu2,x\nu3,y\n", []Kind{ID, Categorical}},
		{"named int id not unique", "id,b\n1,x\n1,x\n2,y\n", []Kind{Numeric, Categorical}},
		{"unnamed sequence id", "n,v\n" + seq(30, func(i int) string { return itoa(i+1) + "," + itoa(i*i%7) }), []Kind{ID, Numeric}},
		{"unique but not a sequence", "n\n" + seq(30, func(i int) string { return itoa(i * 3) }), []Kind{Numeric}},
		{"unique codes", "code\n" + seq(25, func(i int) string { return "C-" + itoa(1000+i) }), []Kind{ID}},
		{"free text", "comment\n" + seq(25, func(i int) string { return "the customer called about order " + itoa(i) }), []Kind{Text}},
		{"zero one with missing", "a\n0\n1\n\n1\n", []Kind{Boolean}},
		{"zero one two", "a\n0\n1\n2\n", []Kind{Numeric}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := read(t, tc.data)
			var got []Kind
			for _, c := range f.Columns {
				got = append(got, c.Kind)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("kinds %v, want %v", got, tc.want)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDecimalComma(t *testing.T) {
	f := read(t, "a;b;c;d\n1,5;2;x;1,5\n2,25;3;y;2.5\n-0,5;4;z;3\n")
	if !f.DecimalComma || f.Delimiter != ';' {
		t.Fatalf("DecimalComma %v delimiter %q", f.DecimalComma, f.Delimiter)
	}
	if a := f.Column("a"); a.Kind != Numeric || !slices.Equal(a.Num, []float64{1.5, 2.25, -0.5}) {
		t.Errorf("a: %s %v", a.Kind, a.Num)
	}
	if b := f.Column("b"); b.Kind != Numeric || !slices.Equal(b.Num, []float64{2, 3, 4}) {
		t.Errorf("b: %s %v", b.Kind, b.Num)
	}
	// d mixes decimal comma and decimal point: not consistently numeric.
	if d := f.Column("d"); d.Kind != Categorical {
		t.Errorf("d: %s, want categorical", d.Kind)
	}
	// With a comma delimiter, a quoted "1,5" is not a number.
	g := read(t, "a,b\n\"1,5\",1\n\"2,5\",2\n")
	if g.DecimalComma || g.Column("a").Kind != Categorical {
		t.Errorf("comma file: DecimalComma %v kind %s", g.DecimalComma, g.Column("a").Kind)
	}
}

func TestDates(t *testing.T) {
	day := func(f *Frame, col string, i int) string {
		return unixTime(f.Column(col).Num[i]).Format("2006-01-02 15:04:05")
	}
	f := read(t, "dm,md,amb,iso,named\n13/01/2020,01/13/2020,01/02/2020,2020-01-02T03:04:05.5Z,2-Jan-2006\n02/03/2020,12/31/2020,03/04/2020,2020-01-03,31-Dec-1999\n")
	checks := []struct{ col, want string }{
		{"dm", "2020-01-13 00:00:00"}, {"md", "2020-01-13 00:00:00"},
		{"amb", "2020-02-01 00:00:00"}, // ambiguous: day-first
		{"iso", "2020-01-02 03:04:05"}, {"named", "2006-01-02 00:00:00"},
	}
	for _, c := range checks {
		if f.Column(c.col).Kind != Datetime {
			t.Errorf("%s: kind %s", c.col, f.Column(c.col).Kind)
			continue
		}
		if got := day(f, c.col, 0); got != c.want {
			t.Errorf("%s: %s, want %s", c.col, got, c.want)
		}
	}
	if v := f.Column("iso").Num[0]; v-math.Floor(v) != 0.5 {
		t.Errorf("fractional seconds lost: %v", v)
	}
}

func TestForcedKinds(t *testing.T) {
	f, err := ReadBytes("s.csv", []byte("a,b,c,d\n1,yes,2020-01-02,7\n2,0,03/04/2020,8\n"),
		Options{Kinds: map[string]Kind{"a": Categorical, "b": Boolean, "c": Datetime, "d": Numeric, "absent": ID}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Column("a").Kind != Categorical || f.Column("a").Num != nil {
		t.Errorf("a: %s", f.Column("a").Kind)
	}
	if b := f.Column("b"); !slices.Equal(b.Num, []float64{1, 0}) {
		t.Errorf("b: %v", b.Num)
	}
	if c := f.Column("c"); c.Kind != Datetime || unixTime(c.Num[1]).Format("2006-01-02") != "2020-04-03" {
		t.Errorf("c: %s %v", c.Kind, c.Num)
	}
}

func TestSHA256(t *testing.T) {
	path := filepath.Join("testdata", "iris.csv")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	f, err := Read(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := SHA256File(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(sum[:]); f.SHA256 != want || h != want || f.Path != path {
		t.Errorf("frame %s, file %s, want %s (path %s)", f.SHA256, h, want, f.Path)
	}
	if _, err := Read(filepath.Join("testdata", "absent.csv"), Options{}); err == nil || !strings.Contains(err.Error(), "absent.csv") {
		t.Errorf("absent file: %v", err)
	}
	if _, err := SHA256File(filepath.Join("testdata", "absent.csv")); err == nil {
		t.Error("absent file hashed")
	}
}
