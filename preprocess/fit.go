package preprocess

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goautoml/automl/dataset"
)

// Pipeline is the fitted state of a Spec: JSON-serializable and
// self-contained. A Pipeline decoded with encoding/json transforms bit for bit
// like the one Fit returned. Its methods are safe for concurrent use; it holds
// no locks, so it may be copied. Build one with Fit or encoding/json: the
// exported fields alone give the same results, only slower.
type Pipeline struct {
	// Spec is the spec that was fitted, with defaults filled in.
	Spec Spec `json:"spec"`
	// Columns holds one fitted state per Spec.Columns entry, in the same order.
	Columns []ColumnState `json:"columns"`
	// TrainRows is the number of rows the pipeline was fitted on.
	TrainRows int `json:"train_rows"`

	features []Feature
	lookup   []map[string]int32 // per column: category -> code (categorical only)
}

// ColumnState is what Fit learned about one input column.
//
// Numeric columns have one Part and datetime columns five (year, month, day,
// weekday, hour); a boolean column has one Part whose Fill is 0 or 1 and which
// is never scaled. A part's output is (x - Mean) / Scale after x is imputed
// with Fill; without scaling Mean is 0 and Scale 1.
//
// Categorical columns keep Categories (sorted bytewise); a missing value is
// replaced by Fill before encoding. With Other the training categories beyond
// MaxCategories, listed in Pooled (sorted), share one extra code,
// len(Categories). A category not seen in training gives all zeros with
// one-hot encoding; with ordinal encoding it takes the Other code when there
// is one, else UnknownCode (the code of the most frequent training category).
type ColumnState struct {
	Name        string       `json:"name"`
	Kind        dataset.Kind `json:"kind"`
	Parts       []PartState  `json:"parts,omitempty"`
	Categories  []string     `json:"categories,omitempty"`
	Other       bool         `json:"other,omitempty"`
	Pooled      []string     `json:"pooled,omitempty"`
	Fill        string       `json:"fill,omitempty"`
	UnknownCode int          `json:"unknown_code,omitempty"`
	// True and False list the cell texts (lower-cased) seen for a boolean
	// column in training, so TransformRow reads a raw value as Fit did.
	True  []string `json:"true,omitempty"`
	False []string `json:"false,omitempty"`
	// Layouts are the time layouts that reproduce the training cells of a
	// datetime column (for instance day-first "02/01/2006"), tried by
	// TransformRow after the ISO forms.
	Layouts []string `json:"layouts,omitempty"`
	// DecimalComma is set when the training cells of a numeric column wrote
	// decimals with a comma; TransformRow then accepts "1,5" as 1.5.
	DecimalComma bool `json:"decimal_comma,omitempty"`
}

// PartState is one imputed and optionally scaled numeric feature.
type PartState struct {
	Fill  float64 `json:"fill"`
	Mean  float64 `json:"mean"`
	Scale float64 `json:"scale"`
}

// Fit validates the spec and learns the pipeline from the given frame rows
// only (frame row indices; at least one). Each spec column must exist in the
// frame with the same kind.
func (s Spec) Fit(f *dataset.Frame, rows []int) (*Pipeline, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if f == nil {
		return nil, fmt.Errorf("preprocess: fit: nil frame")
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("preprocess: fit on %s: no training rows", f.Path)
	}
	if err := checkRows(f, rows); err != nil {
		return nil, fmt.Errorf("preprocess: fit: %w", err)
	}
	s = s.withDefaults()
	p := &Pipeline{Spec: s, Columns: make([]ColumnState, len(s.Columns)), TrainRows: len(rows)}
	for i, in := range s.Columns {
		col, err := frameColumn(f, in)
		if err != nil {
			return nil, fmt.Errorf("preprocess: fit: %w", err)
		}
		st := ColumnState{Name: in.Name, Kind: in.Kind}
		switch in.Kind {
		case dataset.Numeric:
			vals, err := numbers(f, col, rows, func(v float64) float64 { return v })
			if err != nil {
				return nil, fmt.Errorf("preprocess: fit: %w", err)
			}
			st.Parts = []PartState{fitPart(vals, s)}
			st.DecimalComma = commaDecimals(col, rows)
		case dataset.Datetime:
			st.Layouts = learnLayouts(col, rows)
			for k := range dateParts {
				vals, err := numbers(f, col, rows, func(v float64) float64 { return datePart(v, k) })
				if err != nil {
					return nil, fmt.Errorf("preprocess: fit: %w", err)
				}
				st.Parts = append(st.Parts, fitPart(vals, s))
			}
		case dataset.Boolean:
			if err := fitBoolean(&st, f, col, rows); err != nil {
				return nil, fmt.Errorf("preprocess: fit: %w", err)
			}
		case dataset.Categorical:
			fitCategorical(&st, col, rows, s)
		}
		p.Columns[i] = st
	}
	p.features = p.buildFeatures()
	p.lookup = p.buildLookup()
	return p, nil
}

// checkRows reports the first row index outside the frame.
func checkRows(f *dataset.Frame, rows []int) error {
	n := f.NumRows()
	for _, r := range rows {
		if r < 0 || r >= n {
			return fmt.Errorf("%s: row index %d out of range (frame has %d rows)", f.Path, r, n)
		}
	}
	return nil
}

// frameColumn finds the input's column and checks its kind and shape.
func frameColumn(f *dataset.Frame, in Input) (*dataset.Column, error) {
	col := f.Column(in.Name)
	if col == nil {
		return nil, fmt.Errorf("%s: column %q not found", f.Path, in.Name)
	}
	if col.Kind != in.Kind {
		return nil, fmt.Errorf("%s: column %q is %s, but the pipeline expects %s", f.Path, in.Name, col.Kind, in.Kind)
	}
	n := col.Len()
	if len(col.Missing) != n {
		return nil, fmt.Errorf("%s: column %q has %d missing flags for %d rows", f.Path, in.Name, len(col.Missing), n)
	}
	if in.Kind != dataset.Categorical && len(col.Num) != n {
		return nil, fmt.Errorf("%s: %s column %q has %d parsed values for %d rows", f.Path, in.Kind, in.Name, len(col.Num), n)
	}
	return col, nil
}

// numbers returns conv(value) for the non-missing rows, NaN counting as
// missing; a non-finite value is an error.
func numbers(f *dataset.Frame, col *dataset.Column, rows []int, conv func(float64) float64) ([]float64, error) {
	out := make([]float64, 0, len(rows))
	for _, r := range rows {
		v := col.Num[r]
		if col.Missing[r] || math.IsNaN(v) {
			out = append(out, math.NaN())
			continue
		}
		if math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: column %q, row %d: value %v is not finite", f.Path, col.Name, r, v)
		}
		out = append(out, conv(v))
	}
	return out, nil
}

// fitPart learns imputation and scaling for one numeric feature; vals holds
// NaN where a value is missing.
func fitPart(vals []float64, s Spec) PartState {
	present := make([]float64, 0, len(vals))
	for _, v := range vals {
		if !math.IsNaN(v) {
			present = append(present, v)
		}
	}
	p := PartState{Scale: 1}
	switch {
	case len(present) == 0:
		p.Fill = 0
	case s.NumericImpute == ImputeMedian:
		p.Fill = median(present)
	default:
		p.Fill = mean(present)
	}
	if !s.Scale {
		return p
	}
	for i, v := range vals {
		if math.IsNaN(v) {
			vals[i] = p.Fill
		}
	}
	m, v := meanVar(vals)
	p.Mean = m
	if !isConstant(v, m, len(vals)) {
		p.Scale = math.Sqrt(v)
	}
	return p
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// median sorts x in place.
func median(x []float64) float64 {
	sort.Float64s(x)
	n := len(x)
	if n%2 == 1 {
		return x[n/2]
	}
	return (x[n/2-1] + x[n/2]) / 2
}

// meanVar is the mean and population variance, with the same correction term
// as scikit-learn's _incremental_mean_and_var.
func meanVar(x []float64) (m, v float64) {
	m = mean(x)
	var sq, corr float64
	for _, xi := range x {
		d := xi - m
		corr += d
		sq += d * d
	}
	n := float64(len(x))
	v = (sq - corr*corr/n) / n
	return m, v
}

// isConstant mirrors scikit-learn's _is_constant_feature: a variance within
// rounding error of zero means the feature is constant and is scaled by 1.
func isConstant(v, m float64, n int) bool {
	const eps = 0x1p-52
	nf := float64(n)
	bound := nf*eps*v + (nf*m*eps)*(nf*m*eps)
	return v <= bound
}

// datePart returns part k of dateValues(t).
func datePart(t float64, k int) float64 { return dateValues(t)[k] }

// dateValues returns year, month, day, weekday (Monday = 0) and hour of Unix
// seconds t, in UTC.
func dateValues(t float64) [len(dateParts)]float64 {
	sec := math.Floor(t)
	tm := time.Unix(int64(sec), int64((t-sec)*1e9)).UTC()
	return [...]float64{
		float64(tm.Year()),
		float64(tm.Month()),
		float64(tm.Day()),
		float64((int(tm.Weekday()) + 6) % 7),
		float64(tm.Hour()),
	}
}

func fitBoolean(st *ColumnState, f *dataset.Frame, col *dataset.Column, rows []int) error {
	var n [2]int
	tokens := [2]map[string]bool{{}, {}}
	for _, r := range rows {
		v := col.Num[r]
		if col.Missing[r] || math.IsNaN(v) {
			continue
		}
		if v != 0 && v != 1 {
			return fmt.Errorf("%s: boolean column %q, row %d: value %v is not 0 or 1", f.Path, col.Name, r, v)
		}
		b := int(v)
		n[b]++
		tokens[b][strings.ToLower(col.String(r))] = true
	}
	fill := 0.0
	if n[1] > n[0] {
		fill = 1
	}
	st.Parts = []PartState{{Fill: fill, Scale: 1}}
	st.False = sortedKeys(tokens[0])
	st.True = sortedKeys(tokens[1])
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func fitCategorical(st *ColumnState, col *dataset.Column, rows []int, s Spec) {
	counts := make(map[string]int)
	missing := 0
	for _, r := range rows {
		if col.Missing[r] {
			missing++
			continue
		}
		counts[col.String(r)]++
	}
	st.Fill = s.FillValue
	if s.CategoricalImpute == ImputeMostFrequent && len(counts) > 0 {
		st.Fill = byFrequency(counts)[0].value
	}
	if missing > 0 {
		counts[st.Fill] += missing
	}
	ranked := byFrequency(counts)
	if s.MaxCategories > 0 && len(ranked) > s.MaxCategories {
		for _, vc := range ranked[s.MaxCategories:] {
			st.Pooled = append(st.Pooled, vc.value)
		}
		slices.Sort(st.Pooled)
		ranked = ranked[:s.MaxCategories]
		st.Other = true
	}
	st.Categories = make([]string, len(ranked))
	for i, vc := range ranked {
		st.Categories[i] = vc.value
	}
	slices.Sort(st.Categories)
	if !st.Other && s.Encoding == EncodeOrdinal {
		top := ranked[0].value
		st.UnknownCode, _ = slices.BinarySearch(st.Categories, top)
	}
}

type valueCount struct {
	value string
	count int
}

// byFrequency sorts by count descending, ties by value ascending.
func byFrequency(counts map[string]int) []valueCount {
	out := make([]valueCount, 0, len(counts))
	for v, c := range counts {
		out = append(out, valueCount{v, c})
	}
	slices.SortFunc(out, func(a, b valueCount) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	return out
}

// buildFeatures derives the output features from the fitted columns.
func (p *Pipeline) buildFeatures() []Feature {
	var fs []Feature
	for i, st := range p.Columns {
		switch st.Kind {
		case dataset.Numeric, dataset.Boolean:
			fs = append(fs, Feature{Name: st.Name, Source: i})
		case dataset.Datetime:
			for _, part := range dateParts {
				fs = append(fs, Feature{Name: st.Name + "_" + part, Source: i})
			}
		case dataset.Categorical:
			if p.Spec.Encoding == EncodeOrdinal {
				fs = append(fs, Feature{Name: st.Name, Source: i, Categorical: true, Cardinality: st.cardinality()})
				continue
			}
			for _, c := range st.Categories {
				fs = append(fs, Feature{Name: st.Name + "=" + c, Source: i})
			}
			if st.Other {
				fs = append(fs, Feature{Name: st.Name + "=" + OtherName, Source: i})
			}
		}
	}
	return fs
}

// cardinality is the number of codes of a categorical column.
func (st *ColumnState) cardinality() int {
	if st.Other {
		return len(st.Categories) + 1
	}
	return len(st.Categories)
}

// Features describes the output columns of Transform, in order.
func (p *Pipeline) Features() []Feature {
	if p.features == nil {
		return p.buildFeatures()
	}
	return slices.Clone(p.features)
}

// NumFeatures is the number of output columns of Transform.
func (p *Pipeline) NumFeatures() int {
	if p.features == nil {
		return len(p.buildFeatures())
	}
	return len(p.features)
}

// commaDecimals reports whether a present training cell of a numeric column
// holds a comma (which dataset only accepts as a decimal comma).
func commaDecimals(col *dataset.Column, rows []int) bool {
	for _, r := range rows {
		if !col.Missing[r] && strings.IndexByte(col.String(r), ',') >= 0 {
			return true
		}
	}
	return false
}

// layoutCandidates are the layouts Fit tries on datetime training cells.
var layoutCandidates = []string{
	"2006-01-02", "2006-01-02 15:04:05", "2006-01-02T15:04:05", time.RFC3339Nano,
	"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05Z07:00",
	"2006/01/02", "2006/01/02 15:04:05", "2006/01/02 15:04",
	"2/1/2006", "2/1/2006 15:04:05", "2/1/2006 15:04", "2.1.2006", "2.1.2006 15:04:05", "2.1.2006 15:04",
	"1/2/2006", "1/2/2006 15:04:05", "1/2/2006 15:04",
	"2-Jan-2006", "2 Jan 2006", "Jan 2, 2006", "2-Jan-2006 15:04:05", "2 January 2006", "January 2, 2006",
}

// learnLayouts returns, in order of first use, the candidate layouts that
// parse the first training cells of a datetime column to the value the frame
// holds, so that an ambiguous day/month order is read as in training.
func learnLayouts(col *dataset.Column, rows []int) []string {
	const sample = 200
	var found []string
	seen := 0
	for _, r := range rows {
		if col.Missing[r] || math.IsNaN(col.Num[r]) {
			continue
		}
		if seen++; seen > sample {
			break
		}
		if _, ok := parseISO(col.String(r)); ok {
			continue
		}
		for _, layout := range layoutCandidates {
			t, err := time.Parse(layout, col.String(r))
			if err != nil {
				continue
			}
			if math.Abs(float64(t.Unix())+float64(t.Nanosecond())/1e9-col.Num[r]) < 1e-3 {
				if !slices.Contains(found, layout) {
					found = append(found, layout)
				}
				break
			}
		}
	}
	return found
}
