package preprocess

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/goautoml/automl/dataset"
)

func TestValidate(t *testing.T) {
	good := Spec{Columns: []Input{{"a", dataset.Numeric}, {"b", dataset.Categorical}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"no columns", func(s *Spec) { s.Columns = nil }, "no input columns"},
		{"empty name", func(s *Spec) { s.Columns[0].Name = "" }, "columns[0] has an empty name"},
		{"duplicate", func(s *Spec) { s.Columns[1].Name = "a" }, `column "a" appears twice`},
		{"text", func(s *Spec) { s.Columns[1].Kind = dataset.Text }, `column "b" has kind "text", which is not accepted`},
		{"id", func(s *Spec) { s.Columns[0].Kind = dataset.ID }, `column "a" has kind "id"`},
		{"unknown kind", func(s *Spec) { s.Columns[0].Kind = "float" }, `unknown kind "float"`},
		{"numeric impute", func(s *Spec) { s.NumericImpute = "avg" }, `numeric_impute "avg" is unknown (want "mean" or "median")`},
		{"categorical impute", func(s *Spec) { s.CategoricalImpute = "mode" }, `categorical_impute "mode" is unknown`},
		{"encoding", func(s *Spec) { s.Encoding = "target" }, `encoding "target" is unknown`},
		{"max categories", func(s *Spec) { s.MaxCategories = -2 }, "max_categories is -2"},
	}
	for _, tt := range tests {
		s := good
		s.Columns = slices.Clone(good.Columns)
		tt.edit(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
	s := Spec{Columns: []Input{{"a", dataset.Text}}, Encoding: "x", NumericImpute: "y"}
	if err := s.Validate(); err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("want all three problems reported at once, got %v", err)
	}
}

// mixedFrame has one column of every accepted kind, 8 rows.
func mixedFrame(t *testing.T) *dataset.Frame {
	return buildFrame(t, "mixed.csv",
		testColumn{"num", dataset.Numeric, []string{"1", "2", "", "4", "5", "NA", "7", "100"}},
		testColumn{"cat", dataset.Categorical, []string{"b", "a", "b", "a", "", "c", "c", "zz"}},
		testColumn{"flag", dataset.Boolean, []string{"yes", "no", "", "no", "yes", "no", "yes", "yes"}},
		testColumn{"when", dataset.Datetime, []string{"2024-02-29 13:45:00", "", "2023-01-01 00:00:00", "2023-06-15 08:00:00",
			"2022-12-31 23:59:59", "2024-01-01 12:00:00", "", "2021-03-04 05:06:07"}},
	)
}

var mixedSpec = Spec{Columns: []Input{
	{"num", dataset.Numeric}, {"cat", dataset.Categorical}, {"flag", dataset.Boolean}, {"when", dataset.Datetime},
}}

func TestFitUsesOnlyGivenRows(t *testing.T) {
	f := mixedFrame(t)
	rows := []int{0, 1, 2, 3, 4, 5}
	p, err := mixedSpec.Fit(f, rows)
	if err != nil {
		t.Fatal(err)
	}
	// The same rows as a frame of their own must give the same state.
	g := mixedFrame(t)
	for _, c := range g.Columns {
		c.Str, c.Missing = c.Str[:6], c.Missing[:6]
		if c.Num != nil {
			c.Num = c.Num[:6]
		}
	}
	q, err := mixedSpec.Fit(g, nil)
	if err == nil {
		t.Fatal("Fit with no rows: want an error")
	}
	q, err = mixedSpec.Fit(g, seq(6))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(p)
	b, _ := json.Marshal(q)
	if string(a) != string(b) {
		t.Errorf("fit on rows 0-5 of 8 differs from fit on a 6-row frame:\n%s\n%s", a, b)
	}
	num := p.Columns[0].Parts[0]
	if num.Fill != 3 { // mean of 1, 2, 4, 5; row 7 (100) excluded
		t.Errorf("numeric fill %v, want 3", num.Fill)
	}
	if !slices.Equal(p.Columns[1].Categories, []string{"a", "b", "c"}) {
		t.Errorf("categories %q, want a b c (zz is only in a row not fitted)", p.Columns[1].Categories)
	}
}

func TestMostFrequentTieAndEncodings(t *testing.T) {
	f := mixedFrame(t)
	p, err := mixedSpec.Fit(f, seq(4)) // cat: b a b a -> tie, smallest "a"
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Columns[1].Fill; got != "a" {
		t.Errorf("most frequent with a tie: %q, want a", got)
	}
	if got := p.Columns[2].Parts[0].Fill; got != 0 { // flag: yes no (missing) no -> 0
		t.Errorf("boolean fill %v, want 0", got)
	}
	names := []string{}
	for _, ft := range p.Features() {
		names = append(names, ft.Name)
	}
	want := []string{"num", "cat=a", "cat=b", "flag", "when_year", "when_month", "when_day", "when_weekday", "when_hour"}
	if !slices.Equal(names, want) {
		t.Fatalf("features %q, want %q", names, want)
	}
	X, err := p.Transform(f, []int{4, 5, 7})
	if err != nil {
		t.Fatal(err)
	}
	// Row 4: cat missing -> "a"; row 5: "c" unseen -> zeros; row 7: "zz" unseen.
	for i, wantRow := range [][]float64{{1, 0}, {0, 0}, {0, 0}} {
		if got := []float64{X.At(i, 1), X.At(i, 2)}; !slices.Equal(got, wantRow) {
			t.Errorf("row %d one-hot %v, want %v", i, got, wantRow)
		}
	}
	if X.At(2, 0) != 100 {
		t.Errorf("unscaled numeric passes through: %v", X.At(2, 0))
	}
	// 2021-03-04 05:06:07 was a Thursday: weekday 3 with Monday = 0.
	if got := X.RawRowView(2)[4:]; !slices.Equal(got, []float64{2021, 3, 4, 3, 5}) {
		t.Errorf("date parts %v", got)
	}

	ord := mixedSpec
	ord.Encoding = EncodeOrdinal
	p, err = ord.Fit(f, []int{0, 1, 2, 3, 5, 6, 7}) // b a b a c c zz: a, b, c tie at 2 -> "a" most frequent
	if err != nil {
		t.Fatal(err)
	}
	ft := p.Features()[1]
	if !ft.Categorical || ft.Cardinality != 4 || ft.Name != "cat" {
		t.Errorf("ordinal feature %+v", ft)
	}
	g := buildFrame(t, "new.csv",
		testColumn{"num", dataset.Numeric, []string{"1", "1"}},
		testColumn{"cat", dataset.Categorical, []string{"zz", "new"}},
		testColumn{"flag", dataset.Boolean, []string{"yes", "no"}},
		testColumn{"when", dataset.Datetime, []string{"2020-01-01", "2020-01-01"}})
	X, err = p.Transform(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if X.At(0, 1) != 3 || X.At(1, 1) != 0 {
		t.Errorf("ordinal codes %v %v, want 3 (zz) and 0 (unseen -> most frequent a)", X.At(0, 1), X.At(1, 1))
	}
}

func TestMaxCategories(t *testing.T) {
	cells := strings.Split("c c c a a b b d", " ")
	f := buildFrame(t, "m.csv", testColumn{"k", dataset.Categorical, append(cells, "e")})
	s := Spec{Columns: []Input{{"k", dataset.Categorical}}, MaxCategories: 2}
	p, err := s.Fit(f, seq(8))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ft := range p.Features() {
		names = append(names, ft.Name)
	}
	// a and b tie at 2: the smaller value, a, is kept.
	if want := []string{"k=a", "k=c", "k=" + OtherName}; !slices.Equal(names, want) {
		t.Fatalf("features %q, want %q", names, want)
	}
	X, err := p.Transform(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantOther := []float64{0, 0, 0, 0, 0, 1, 1, 1, 0} // b, b, d pooled; e unseen -> all zeros
	for i, w := range wantOther {
		if X.At(i, 2) != w {
			t.Errorf("row %d (%s): other = %v, want %v", i, f.Columns[0].Str[i], X.At(i, 2), w)
		}
	}
	if row := X.RawRowView(8); !slices.Equal(row, []float64{0, 0, 0}) {
		t.Errorf("unseen e: %v, want zeros", row)
	}
	s.Encoding = EncodeOrdinal
	p, err = s.Fit(f, seq(8))
	if err != nil {
		t.Fatal(err)
	}
	if ft := p.Features()[0]; !ft.Categorical || ft.Cardinality != 3 {
		t.Errorf("ordinal with other: %+v", ft)
	}
	X, err = p.Transform(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 1, 1, 0, 0, 2, 2, 2, 2} // unseen e takes the other code too
	for i, w := range want {
		if X.At(i, 0) != w {
			t.Errorf("row %d: code %v, want %v", i, X.At(i, 0), w)
		}
	}
}

func TestScalingEdgeCases(t *testing.T) {
	f := buildFrame(t, "e.csv",
		testColumn{"const", dataset.Numeric, []string{"0.1", "0.1", "0.1", ""}},
		testColumn{"empty", dataset.Numeric, []string{"", "NA", "?", ""}},
		testColumn{"c", dataset.Categorical, []string{"", "", "", ""}})
	s := Spec{Columns: []Input{{"const", dataset.Numeric}, {"empty", dataset.Numeric}, {"c", dataset.Categorical}},
		Scale: true, NumericImpute: ImputeMedian}
	p, err := s.Fit(f, seq(4))
	if err != nil {
		t.Fatal(err)
	}
	if ps := p.Columns[0].Parts[0]; ps.Scale != 1 || ps.Mean != 0.1 {
		t.Errorf("constant column: %+v, want scale 1 (as sklearn)", ps)
	}
	if ps := p.Columns[1].Parts[0]; ps.Fill != 0 || ps.Scale != 1 {
		t.Errorf("all-missing column: %+v, want fill 0", ps)
	}
	if st := p.Columns[2]; st.Fill != DefaultFillValue || !slices.Equal(st.Categories, []string{DefaultFillValue}) {
		t.Errorf("all-missing categorical: %+v", st)
	}
	X, err := p.Transform(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if row := X.RawRowView(i); !slices.Equal(row, []float64{0, 0, 1}) {
			t.Errorf("row %d: %v, want 0 0 1", i, row)
		}
	}
}

func TestTransformErrors(t *testing.T) {
	f := mixedFrame(t)
	p, err := mixedSpec.Fit(f, seq(8))
	if err != nil {
		t.Fatal(err)
	}
	missing := buildFrame(t, "score.csv",
		testColumn{"num", dataset.Numeric, []string{"1"}},
		testColumn{"flag", dataset.Boolean, []string{"yes"}},
		testColumn{"when", dataset.Datetime, []string{"2020-01-01"}})
	if _, err := p.Transform(missing, nil); err == nil || !strings.Contains(err.Error(), `score.csv: column "cat" not found`) {
		t.Errorf("missing column: %v", err)
	}
	kind := buildFrame(t, "score.csv",
		testColumn{"num", dataset.Categorical, []string{"1"}},
		testColumn{"cat", dataset.Categorical, []string{"a"}},
		testColumn{"flag", dataset.Boolean, []string{"yes"}},
		testColumn{"when", dataset.Datetime, []string{"2020-01-01"}})
	if _, err := p.Transform(kind, nil); err == nil || !strings.Contains(err.Error(), `column "num" is categorical, but the pipeline expects numeric`) {
		t.Errorf("kind mismatch: %v", err)
	}
	if _, err := p.Transform(f, []int{0, 8}); err == nil || !strings.Contains(err.Error(), "row index 8 out of range") {
		t.Errorf("bad row: %v", err)
	}
	if _, err := mixedSpec.Fit(kind, seq(1)); err == nil || !strings.Contains(err.Error(), `"num"`) {
		t.Errorf("fit on wrong kind: %v", err)
	}
	bad := mixedSpec
	bad.Encoding = "hash"
	if _, err := bad.Fit(f, seq(8)); err == nil || !strings.Contains(err.Error(), "encoding") {
		t.Errorf("fit with invalid spec: %v", err)
	}
	inf := buildFrame(t, "inf.csv", testColumn{"num", dataset.Numeric, []string{"1", "+Inf"}})
	s := Spec{Columns: []Input{{"num", dataset.Numeric}}}
	if _, err := s.Fit(inf, seq(2)); err == nil || !strings.Contains(err.Error(), `inf.csv: column "num", row 1`) {
		t.Errorf("infinite value: %v", err)
	}
}

func TestTransformRow(t *testing.T) {
	f := mixedFrame(t)
	spec := mixedSpec
	spec.Scale = true
	p, err := spec.Fit(f, seq(8))
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float64, p.NumFeatures())
	if err := p.TransformRow(func(string) (string, bool) { return "", false }, dst[1:]); err == nil {
		t.Error("short dst: want an error")
	}
	// Every value absent, then every value a missing marker: both impute.
	if err := p.TransformRow(func(string) (string, bool) { return "", false }, dst); err != nil {
		t.Fatal(err)
	}
	absent := slices.Clone(dst)
	for _, marker := range []string{"", " NA ", "n/a", "NaN", "NULL", "?"} {
		if err := p.TransformRow(func(string) (string, bool) { return marker, true }, dst); err != nil {
			t.Fatalf("marker %q: %v", marker, err)
		}
		if !slices.Equal(dst, absent) {
			t.Errorf("marker %q: %v, absent: %v", marker, dst, absent)
		}
	}
	// A frame row of missing cells transforms the same way.
	allMissing := buildFrame(t, "m.csv",
		testColumn{"num", dataset.Numeric, []string{""}}, testColumn{"cat", dataset.Categorical, []string{""}},
		testColumn{"flag", dataset.Boolean, []string{""}}, testColumn{"when", dataset.Datetime, []string{""}})
	X, err := p.Transform(allMissing, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(X.RawRowView(0), absent) {
		t.Errorf("Transform of missing cells %v, TransformRow %v", X.RawRowView(0), absent)
	}
	rec := map[string]string{"num": "2.5", "cat": "b", "flag": "TRUE", "when": "2024-02-29T13:45:00+02:00"}
	get := func(c string) (string, bool) { v, ok := rec[c]; return v, ok }
	if err := p.TransformRow(get, dst); err != nil {
		t.Fatal(err)
	}
	// Features: num, cat=a, cat=b, cat=c, cat=zz, flag, when_year..when_hour.
	if got := slices.Clone(dst[1:5]); !slices.Equal(got, []float64{0, 1, 0, 0}) {
		t.Errorf("cat=b one-hot %v", got)
	}
	if dst[5] != 1 {
		t.Errorf("flag TRUE -> %v", dst[5])
	}
	wantHour := (11 - p.Columns[3].Parts[4].Mean) / p.Columns[3].Parts[4].Scale // 13:45+02:00 is 11:45 UTC
	if dst[10] != wantHour {
		t.Errorf("hour feature %v, want %v", dst[10], wantHour)
	}
	for _, tt := range []struct{ col, val, want string }{
		{"num", "1,5", `column "num": "1,5" is not a finite number`},
		{"num", "Inf", `"Inf" is not a finite number`},
		{"flag", "maybe", `column "flag": "maybe" is not a boolean`},
		{"when", "29.02.2024", `column "when": "29.02.2024" is not a date`},
	} {
		bad := map[string]string{tt.col: tt.val}
		err := p.TransformRow(func(c string) (string, bool) { v, ok := bad[c]; return v, ok }, dst)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%q: error %v, want %q", tt.col, tt.val, err, tt.want)
		}
	}
	rec["when"] = "2024-02-29T11:45:00Z"
	if allocs := testing.AllocsPerRun(100, func() { _ = p.TransformRow(get, dst) }); allocs != 0 {
		t.Errorf("TransformRow allocates %v times per call", allocs)
	}
}

func TestUnmarshalRejectsDamagedState(t *testing.T) {
	f := mixedFrame(t)
	p, err := mixedSpec.Fit(f, seq(8))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ from, to, want string }{
		{`"categories":["a","b","c","zz"]`, `"categories":["b","a","c","zz"]`, "not sorted"},
		{`"scale":1`, `"scale":0`, "bad numeric state"},
		{`"encoding":"onehot"`, `"encoding":"bag"`, `encoding "bag" is unknown`},
		{`"name":"flag","kind":"boolean"`, `"name":"flag","kind":"numeric"`, "spec says"},
	} {
		s := strings.Replace(string(b), tt.from, tt.to, 1)
		if s == string(b) {
			t.Fatalf("edit %q not applied to %s", tt.from, b)
		}
		var q Pipeline
		if err := json.Unmarshal([]byte(s), &q); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("edit %q: error %v, want %q", tt.to, err, tt.want)
		}
	}
}

func TestTransformRowReadsCellsAsTraining(t *testing.T) {
	// Day-first dates and decimal commas, as dataset reads a ';' file.
	f := buildFrame(t, "eu.csv", testColumn{"x", dataset.Numeric, []string{"1.5", "2", "4"}})
	f.Columns[0].Str[0] = "1,5"
	when := &dataset.Column{Name: "when", Kind: dataset.Datetime, Str: []string{"03/04/2021", "13/04/2021", ""},
		Num: []float64{1617408000, 1618272000, math.NaN()}, Missing: []bool{false, false, true}} // 3 and 13 April 2021
	f.Columns = append(f.Columns, when)
	s := Spec{Columns: []Input{{"x", dataset.Numeric}, {"when", dataset.Datetime}}}
	p, err := s.Fit(f, seq(3))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Columns[0].DecimalComma || !slices.Equal(p.Columns[1].Layouts, []string{"2/1/2006"}) {
		t.Fatalf("learned comma %v, layouts %q", p.Columns[0].DecimalComma, p.Columns[1].Layouts)
	}
	rec := map[string]string{"x": "2,25", "when": "05/06/2022"}
	dst := make([]float64, p.NumFeatures())
	if err := p.TransformRow(func(c string) (string, bool) { v, ok := rec[c]; return v, ok }, dst); err != nil {
		t.Fatal(err)
	}
	if want := []float64{2.25, 2022, 6, 5, 6, 0}; !slices.Equal(dst, want) { // 5 June 2022, a Sunday
		t.Errorf("got %v, want %v", dst, want)
	}
	X, err := p.Transform(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		r := map[string]string{"x": f.Columns[0].Str[i], "when": when.Str[i]}
		if err := p.TransformRow(func(c string) (string, bool) { v, ok := r[c]; return v, ok }, dst); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(dst, X.RawRowView(i)) {
			t.Errorf("row %d: TransformRow %v, Transform %v", i, dst, X.RawRowView(i))
		}
	}
}

func TestPipelineFromExportedFields(t *testing.T) {
	f := mixedFrame(t)
	p, err := mixedSpec.Fit(f, seq(8))
	if err != nil {
		t.Fatal(err)
	}
	q := &Pipeline{Spec: p.Spec, Columns: p.Columns, TrainRows: p.TrainRows}
	X, err := p.Transform(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	Y, err := q.Transform(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(X.RawMatrix().Data, Y.RawMatrix().Data) || !slices.Equal(p.Features(), q.Features()) {
		t.Error("a pipeline built from the exported fields transforms differently")
	}
}
