package dataset

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// TestEncodings reads one table written in each detected encoding and checks
// that every copy gives the frame the UTF-8 copy gives.
func TestEncodings(t *testing.T) {
	text := "nom;ville;prix;été\nJosé;Orléans;1,5;oui\nÉmilie;Sète;2,25;non\nZoë;Besançon;3;oui\n"
	want := read(t, text)
	if want.Encoding != EncodingUTF8 || !want.DecimalComma {
		t.Fatalf("UTF-8 copy: encoding %q, decimal comma %v", want.Encoding, want.DecimalComma)
	}
	w1252, err := charmap.Windows1252.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	le, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(text)
	be, _ := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewEncoder().String(text)
	for _, tc := range []struct {
		name, data, enc string
	}{
		{"windows-1252 (French Excel)", w1252, EncodingWindows1252},
		{"UTF-8 with BOM", "\ufeff" + text, EncodingUTF8BOM},
		{"UTF-16 LE with BOM", le, EncodingUTF16LE},
		{"UTF-16 BE without BOM", be, EncodingUTF16BE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ReadBytes("fr.csv", []byte(tc.data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if f.Encoding != tc.enc || f.Delimiter != ';' {
				t.Errorf("encoding %q delimiter %q, want %q ';'", f.Encoding, f.Delimiter, tc.enc)
			}
			if f.DataHash() != want.DataHash() {
				t.Errorf("typed frame differs from the UTF-8 copy's: %q %q", f.Columns[0].String(0), f.Columns[1].String(1))
			}
			if got := f.Column("ville").String(1); got != "Sète" {
				t.Errorf("ville[1] = %q", got)
			}
		})
	}
}

// TestInvalidUTF8Later: a file that starts as UTF-8 and holds an invalid
// byte past the first window fails naming the line and column.
func TestInvalidUTF8Later(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,name\n")
	for i := range 200000 {
		fmt.Fprintf(&b, "%d,café\n", i)
	}
	b.WriteString("200000,caf\xe9\n")
	_, err := ReadBytes("late.csv", []byte(b.String()), Options{})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 200002 || pe.Column != "name" || !strings.Contains(pe.Msg, "invalid UTF-8 byte 0xe9") {
		t.Fatalf("got %v", err)
	}
}

func bigInt(v int64) *big.Int { return big.NewInt(v) }

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGzip(t *testing.T) {
	text := "a,b,c\n1,x,2020-01-02\n2,y,\n3,,2021-05-06\n"
	plain := read(t, text)
	z := gz(t, []byte(text))
	f, err := ReadBytes("t.csv.gz", z, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(z)
	if f.Format != "csv.gz" || f.DataHash() != plain.DataHash() || f.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("format %q, same data %v, sha of the stored bytes %v", f.Format, f.DataHash() == plain.DataHash(), f.SHA256 == hex.EncodeToString(sum[:]))
	}
	_, err = ReadBytes("bad.csv.gz", z[:len(z)/2], Options{})
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "gzip") {
		t.Errorf("truncated gzip: %v", err)
	}
}

func TestBounds(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err := Read("/dev/zero", Options{})
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "not a regular file") {
			t.Errorf("/dev/zero: %v", err)
		}
	}
	long := "a,b\n1," + strings.Repeat("x", 3<<20) + "\n"
	_, err := ReadBytes("long.csv", []byte(long), Options{MaxRecordBytes: 1 << 20})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || !strings.Contains(pe.Msg, "longer than 1 MB") {
		t.Errorf("long record: %v", err)
	}
	_, err = ReadBytes("big.csv", []byte(long), Options{MaxBytes: 1 << 20})
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "larger than the limit") {
		t.Errorf("size limit: %v", err)
	}
}

func bigCSV(t *testing.T, rows int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.csv")
	var b strings.Builder
	b.WriteString("x,y,c\n")
	for i := range rows {
		fmt.Fprintf(&b, "%d,%g,c%d\n", i, float64(i)/7, i%13)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestContextAndProgress(t *testing.T) {
	path := bigCSV(t, 200000)
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("budget reached")
	cancel(cause)
	if _, err := ReadContext(ctx, path, Options{}); !errors.Is(err, cause) {
		t.Errorf("cancelled read: %v", err)
	}
	var last Progress
	calls := 0
	f, err := Read(path, Options{Progress: func(p Progress) { last = p; calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if calls < 2 || !last.Done || last.Rows != f.NumRows() || last.Bytes != st.Size() || last.Total != st.Size() {
		t.Errorf("%d calls, last %+v", calls, last)
	}
}

type pqRow struct {
	X    *float64  `parquet:"x,optional"`
	N    int64     `parquet:"n"`
	Cat  *string   `parquet:"cat,optional"`
	Flag bool      `parquet:"flag"`
	Day  int32     `parquet:"day,date"`
	At   time.Time `parquet:"at,timestamp(millisecond)"`
	Cost int64     `parquet:"cost,decimal(2:10)"`
}

// table returns n rows as Parquet rows and as the CSV a careful export writes.
func table(n int) ([]pqRow, string) {
	rows := make([]pqRow, n)
	var b strings.Builder
	b.WriteString("x,n,cat,flag,day,at,cost\n")
	cats := []string{"red", "green", "blue", "dark blue"}
	for i := range rows {
		r := &rows[i]
		x := math.Round(float64(i)*1.37e3)/1e3 - 40
		xs := fmt.Sprint(x)
		if i%7 == 3 {
			xs = ""
		} else {
			r.X = &x
		}
		cs := ""
		if i%5 != 1 {
			c := cats[i%4]
			r.Cat, cs = &c, c
		}
		r.N = int64(i * 3)
		r.Flag = i%3 == 0
		r.Day = int32(18000 + i%400)
		r.At = time.Unix(1.6e9+int64(i)*3600, 0).UTC()
		r.Cost = int64(i*37 - 500)
		fmt.Fprintf(&b, "%s,%d,%s,%t,%s,%s,%s\n", xs, r.N, cs, r.Flag,
			time.Unix(int64(r.Day)*86400, 0).UTC().Format("2006-01-02"), r.At.Format(time.RFC3339), decimalText(bigInt(r.Cost), 2))
	}
	return rows, b.String()
}

func writeParquet(t *testing.T, path string, rows []pqRow) {
	t.Helper()
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[pqRow](fh, parquet.MaxRowsPerRowGroup(300))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestParquetSameAsCSV: a Parquet file, a directory of Parquet parts (with
// Spark's _SUCCESS marker) and the CSV of the same table give the same typed
// frame.
func TestParquetSameAsCSV(t *testing.T) {
	rows, text := table(1000)
	csv := read(t, text)
	dir := t.TempDir()
	file := filepath.Join(dir, "t.parquet")
	writeParquet(t, file, rows)
	f, err := Read(file, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != "parquet" || f.NumRows() != 1000 {
		t.Fatalf("format %q, %d rows", f.Format, f.NumRows())
	}
	for j, c := range csv.Columns {
		g := f.Columns[j]
		if g.Name != c.Name || g.Kind != c.Kind {
			t.Errorf("column %d: %s %s, CSV %s %s", j, g.Name, g.Kind, c.Name, c.Kind)
		}
		for i := range c.Len() {
			if g.String(i) != c.String(i) {
				t.Fatalf("column %s row %d: %q, CSV %q", c.Name, i, g.String(i), c.String(i))
			}
		}
	}
	if f.DataHash() != csv.DataHash() {
		t.Errorf("DataHash differs from the CSV's")
	}
	parts := filepath.Join(dir, "parts")
	os.Mkdir(parts, 0o755)
	for k, r := range [][2]int{{0, 250}, {250, 600}, {600, 1000}} {
		writeParquet(t, filepath.Join(parts, fmt.Sprintf("part-%05d-abc.snappy.parquet", k)), rows[r[0]:r[1]])
	}
	os.WriteFile(filepath.Join(parts, "_SUCCESS"), nil, 0o644)
	d, err := Read(parts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.NumRows() != 1000 || d.DataHash() != csv.DataHash() || d.Line(999) != 1001 {
		t.Errorf("directory: %d rows, same data %v", d.NumRows(), d.DataHash() == csv.DataHash())
	}
	if _, err := Read(file, Options{Kinds: map[string]Kind{"cat": Numeric}}); err == nil || !strings.Contains(err.Error(), "expected a number") {
		t.Errorf("forced kind: %v", err)
	}
}

func TestRegisterFormat(t *testing.T) {
	RegisterFormat(Format{Name: "test-magic", Magic: "TST?", Read: func(ctx context.Context, in Input, opt Options) (*Frame, error) {
		data, err := io.ReadAll(io.NewSectionReader(in.R, 4, in.Size-4))
		if err != nil {
			return nil, err
		}
		return readDelimited(ctx, Input{Name: in.Name, R: bytes.NewReader(data), Size: int64(len(data))}, opt, false)
	}})
	f, err := ReadBytes("x.tst", []byte("TSTXa,b\n1,2\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != "test-magic" || f.Columns[0].Name != "a" {
		t.Errorf("format %q, columns %q", f.Format, f.Columns[0].Name)
	}
}

// TestParquetFromDuckDB reads a Parquet file written by another engine
// (DuckDB 1.5, testdata/duckdb/make.mjs: decimals, dates, timestamps,
// booleans, nulls) and the CSV DuckDB wrote of the same table: same kinds,
// same texts, same typed frame.
func TestParquetFromDuckDB(t *testing.T) {
	pq, err := Read(filepath.Join("testdata", "duckdb", "duckdb.parquet"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	csv, err := Read(filepath.Join("testdata", "duckdb", "duckdb.csv"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Kind{"id": ID, "x": Numeric, "n": Numeric, "colour": Categorical, "flag": Boolean,
		"day": Datetime, "at": Datetime, "cost": Numeric, "y": Boolean}
	if pq.NumRows() != 200 || len(pq.Columns) != len(want) {
		t.Fatalf("%d rows × %d columns", pq.NumRows(), len(pq.Columns))
	}
	for j, c := range pq.Columns {
		if c.Kind != want[c.Name] || c.Name != csv.Columns[j].Name || c.Kind != csv.Columns[j].Kind {
			t.Errorf("column %q: %s, CSV %q %s, want %s", c.Name, c.Kind, csv.Columns[j].Name, csv.Columns[j].Kind, want[c.Name])
		}
		for i := range c.Len() {
			if c.String(i) != csv.Columns[j].String(i) {
				t.Fatalf("column %q row %d: %q, CSV %q", c.Name, i, c.String(i), csv.Columns[j].String(i))
			}
		}
	}
	if pq.DataHash() != csv.DataHash() {
		t.Error("typed frames differ")
	}
	if m := pq.Column("x").Missing; !m[3] || m[4] {
		t.Errorf("x missing: %v", m[:5])
	}
}
