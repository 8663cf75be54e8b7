package dataset

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func hasAlert(p *Profile, col, code string) bool {
	for _, a := range p.Alerts {
		if a.Column == col && a.Code == code {
			return true
		}
	}
	return false
}

type refStats struct {
	Count, Missing, Distinct int
	Min, Max, Mean, Std      float64
	Quantiles                []float64
}

// TestProfileReference compares statistics with pandas/numpy
// (testdata/profile_ref.json, made by testdata/gen_profile_ref.py).
func TestProfileReference(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "profile_ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]map[string]refStats
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	for file, cols := range ref {
		f, err := Read(filepath.Join("testdata", file), Options{})
		if err != nil {
			t.Fatal(err)
		}
		p := ProfileFrame(f)
		for name, want := range cols {
			cp := p.Columns[f.Index(name)]
			if cp.Kind != Numeric || cp.Count != want.Count || cp.Missing != want.Missing || cp.Distinct != want.Distinct {
				t.Errorf("%s %s: kind %s count %d missing %d distinct %d; want numeric %d %d %d", file, name, cp.Kind, cp.Count, cp.Missing, cp.Distinct, want.Count, want.Missing, want.Distinct)
			}
			got := []float64{cp.Min, cp.Max, cp.Mean, cp.Std, cp.Quantiles.P5, cp.Quantiles.P25, cp.Quantiles.P50, cp.Quantiles.P75, cp.Quantiles.P95}
			exp := append([]float64{want.Min, want.Max, want.Mean, want.Std}, want.Quantiles...)
			for i := range got {
				if !close(got[i], exp[i]) {
					t.Errorf("%s %s: statistic %d (min max mean std p5 p25 p50 p75 p95) = %v, want %v", file, name, i, got[i], exp[i])
				}
			}
			total := 0
			for _, b := range cp.Histogram {
				total += b.Count
			}
			if total != want.Count-want.Missing || len(cp.Histogram) > 20 || cp.Histogram[0].Lo != cp.Min || cp.Histogram[len(cp.Histogram)-1].Hi != cp.Max {
				t.Errorf("%s %s: histogram %+v", file, name, cp.Histogram)
			}
		}
	}
}

func TestQuantileSmall(t *testing.T) {
	// numpy.quantile([1, 2, 4, 8], [0.05, 0.25, 0.5, 0.75, 0.95]) = [1.15, 1.75, 3.0, 5.0, 7.4]
	x := []float64{1, 2, 4, 8}
	want := []float64{1.15, 1.75, 3, 5, 7.4}
	for i, q := range []float64{0.05, 0.25, 0.5, 0.75, 0.95} {
		if got := quantile(x, q); math.Abs(got-want[i]) > 1e-12 {
			t.Errorf("q%v = %v, want %v", q, got, want[i])
		}
	}
	if quantile([]float64{3}, 0.5) != 3 {
		t.Error("single value")
	}
}

func TestProfileAlerts(t *testing.T) {
	tf, _ := Read(filepath.Join("testdata", "titanic.csv"), Options{})
	gf, _ := Read(filepath.Join("testdata", "german_credit_uci_coded.csv"), Options{})
	tp, gp := ProfileFrame(tf), ProfileFrame(gf)
	for _, c := range []struct {
		p         *Profile
		col, code string
		want      bool
	}{
		{tp, "PassengerId", AlertIDLike, true},
		{tp, "Name", AlertText, true},
		{tp, "Cabin", AlertMostlyMissing, true},
		{tp, "Cabin", AlertMissingValues, false},
		{tp, "Age", AlertMissingValues, true},
		{tp, "Ticket", AlertHighCardinality, true},
		{tp, "Sex", AlertHighCardinality, false},
		{tp, "Pclass", AlertFewDistinctNumeric, true},
		{tp, "Fare", AlertFewDistinctNumeric, false},
		{gp, "Installment rate in percentage of disposable income", AlertFewDistinctNumeric, true},
		{gp, "Number of people being liable to provide maintenance for", AlertFewDistinctNumeric, true},
		{gp, "Duration in month", AlertFewDistinctNumeric, false},
	} {
		if got := hasAlert(c.p, c.col, c.code); got != c.want {
			t.Errorf("%s %s: alert %v, want %v", c.col, c.code, got, c.want)
		}
	}
	f := read(t, "num_str,const,when,gone\n1,k,2020-01-01,\n2,k,2020-01-02,\n3,k,2020-01-03,\n4,k,2020-01-04,\n5,k,2020-01-05,\nunknown,k,2020-01-06,x\n")
	p := ProfileFrame(f)
	for _, c := range []struct{ col, code string }{
		{"num_str", AlertNumbersAsStrings}, {"const", AlertConstant}, {"when", AlertDatetime}, {"gone", AlertMostlyMissing},
	} {
		if !hasAlert(p, c.col, c.code) {
			t.Errorf("%s: no %s alert in %v", c.col, c.code, p.Alerts)
		}
	}
	if f.Column("num_str").Kind != Categorical {
		t.Errorf("num_str kind %s", f.Column("num_str").Kind)
	}
}

func TestProfileTopAndJSON(t *testing.T) {
	f := read(t, "c,n\nb,1\na,2\nb,3\nc,\na,5\nd,6\n")
	p := ProfileFrame(f)
	c := p.Columns[0]
	want := []ValueCount{{"a", 2}, {"b", 2}, {"c", 1}, {"d", 1}}
	if !slices.Equal(c.Top, want) || c.Distinct != 4 || c.Count != 6 || !math.IsNaN(c.Mean) {
		t.Errorf("top %v distinct %d count %d mean %v", c.Top, c.Distinct, c.Count, c.Mean)
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if strings.Contains(s, "NaN") || !strings.Contains(s, `"std":`) || strings.Count(s, `"mean":`) != 1 {
		t.Errorf("JSON: %s", s)
	}
	var back Profile
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(back.Columns[0].Min) || back.Columns[1].Max != 6 || back.Columns[1].Missing != 1 {
		t.Errorf("round trip: %+v", back.Columns)
	}
}

func TestDuplicateRows(t *testing.T) {
	f := read(t, "a,b,c\n1,x,\n1,x,NA\n1,y,\n2,x,1\n1,x,2\n2,x,1\n")
	if got := DuplicateRows(f, nil); got != 2 {
		t.Errorf("all columns: %d duplicates, want 2", got)
	}
	if got := DuplicateRows(f, []int{0, 1}); got != 3 {
		t.Errorf("columns a,b: %d duplicates, want 3", got)
	}
	// "1" then "1:" must not collide with "11" via the length prefix.
	g := read(t, "a,b\n1,1:\n1:1,\n")
	if got := DuplicateRows(g, nil); got != 0 {
		t.Errorf("length-prefixed keys collided: %d", got)
	}
}
