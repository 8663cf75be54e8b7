package preprocess

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goautoml/automl/dataset"
)

// testColumn is one column of a test frame: raw cell texts and a kind.
type testColumn struct {
	name  string
	kind  dataset.Kind
	cells []string
}

// buildFrame makes a Frame from raw strings the way dataset documents its
// columns (Str trimmed, Num parsed for numeric, boolean and datetime, Missing
// for missing markers), without going through dataset.Read.
func buildFrame(t testing.TB, path string, cols ...testColumn) *dataset.Frame {
	t.Helper()
	f := &dataset.Frame{Path: path, Delimiter: ','}
	for _, tc := range cols {
		n := len(tc.cells)
		c := &dataset.Column{Name: tc.name, Kind: tc.kind, Str: make([]string, n), Missing: make([]bool, n)}
		if tc.kind != dataset.Categorical && tc.kind != dataset.Text && tc.kind != dataset.ID {
			c.Num = make([]float64, n)
		}
		for i, raw := range tc.cells {
			s := strings.TrimSpace(raw)
			if IsMissingMarker(s) {
				c.Missing[i] = true
				if c.Num != nil {
					c.Num[i] = math.NaN()
				}
				continue
			}
			c.Str[i] = s
			switch tc.kind {
			case dataset.Numeric:
				v, err := strconv.ParseFloat(s, 64)
				if err != nil {
					t.Fatalf("%s: column %q row %d: %v", path, tc.name, i, err)
				}
				c.Num[i] = v
			case dataset.Boolean:
				switch strings.ToLower(s) {
				case "yes", "true", "1":
					c.Num[i] = 1
				case "no", "false", "0":
					c.Num[i] = 0
				default:
					t.Fatalf("%s: column %q row %d: %q is not boolean", path, tc.name, i, s)
				}
			case dataset.Datetime:
				tm, err := time.Parse("2006-01-02 15:04:05", s)
				if err != nil {
					tm, err = time.Parse("2006-01-02", s)
				}
				if err != nil {
					t.Fatalf("%s: column %q row %d: %v", path, tc.name, i, err)
				}
				c.Num[i] = float64(tm.Unix())
			}
		}
		f.Columns = append(f.Columns, c)
	}
	return f
}

// readCSV returns the header and the columns of a CSV file as raw strings.
func readCSV(t testing.TB, path string) ([]string, [][]string) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	header := recs[0]
	cols := make([][]string, len(header))
	for _, rec := range recs[1:] {
		for j := range header {
			cols[j] = append(cols[j], rec[j])
		}
	}
	return header, cols
}

// seq is 0..n-1.
func seq(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = i
	}
	return r
}
