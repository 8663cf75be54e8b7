package dataset

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/goautoml/automl/internal/floatsort"
)

// Quantiles of a numeric column, interpolated linearly between order
// statistics as numpy.quantile's default method ("linear") does.
type Quantiles struct {
	P5  float64 `json:"p5"`
	P25 float64 `json:"p25"`
	P50 float64 `json:"p50"`
	P75 float64 `json:"p75"`
	P95 float64 `json:"p95"`
}

// ValueCount is one value and the number of rows holding it.
type ValueCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// HistBin is one equal-width histogram bin, [Lo, Hi) except the last, which
// includes Hi.
type HistBin struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Count int     `json:"count"`
}

// Alert is a finding about a column worth a user's attention.
type Alert struct {
	Column  string `json:"column"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ColumnProfile summarises one column.
//
// Count is the number of rows (cells), Missing how many of them are missing,
// Distinct the number of distinct present values. Min, Max, Mean and Std
// (sample standard deviation, n-1, as pandas' describe) are set for numeric,
// boolean and datetime (Unix seconds) columns and are NaN otherwise; JSON
// omits them then. Quantiles and Histogram are set for numeric columns
// (Quantiles also for datetime).
type ColumnProfile struct {
	Name      string       `json:"name"`
	Kind      Kind         `json:"kind"`
	Count     int          `json:"count"`
	Missing   int          `json:"missing"`
	Distinct  int          `json:"distinct"`
	Min       float64      `json:"min"`
	Max       float64      `json:"max"`
	Mean      float64      `json:"mean"`
	Std       float64      `json:"std"`
	Quantiles *Quantiles   `json:"quantiles,omitempty"`
	Top       []ValueCount `json:"top,omitempty"`       // up to 10 most frequent values (ties broken by value)
	Histogram []HistBin    `json:"histogram,omitempty"` // up to 20 equal-width bins for numeric columns
	Alerts    []Alert      `json:"alerts,omitempty"`
}

// Profile summarises a frame. Alerts gathers every column's alerts.
type Profile struct {
	Rows    int             `json:"rows"`
	Columns []ColumnProfile `json:"columns"`
	Alerts  []Alert         `json:"alerts"`
}

// Alert codes used by ProfileFrame.
const (
	AlertFewDistinctNumeric = "few_distinct_numeric"
	AlertNumbersAsStrings   = "numbers_as_strings"
	AlertDatetime           = "datetime"
	AlertHighCardinality    = "high_cardinality"
	AlertConstant           = "constant"
	AlertIDLike             = "id_like"
	AlertMostlyMissing      = "mostly_missing"
	AlertMissingValues      = "missing_values"
	AlertText               = "text"
)

// HighCardinality is the distinct-value count above which a categorical
// column gets the high_cardinality alert.
const HighCardinality = 50

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// MarshalJSON writes the profile, omitting Min, Max, Mean and Std when they
// are not finite, so the JSON never holds NaN or Inf.
func (p ColumnProfile) MarshalJSON() ([]byte, error) {
	type plain ColumnProfile
	return json.Marshal(struct {
		plain
		Min  *float64 `json:"min,omitempty"`
		Max  *float64 `json:"max,omitempty"`
		Mean *float64 `json:"mean,omitempty"`
		Std  *float64 `json:"std,omitempty"`
	}{plain(p), finite(p.Min), finite(p.Max), finite(p.Mean), finite(p.Std)})
}

// UnmarshalJSON reads what MarshalJSON wrote; absent statistics become NaN.
func (p *ColumnProfile) UnmarshalJSON(b []byte) error {
	type plain ColumnProfile
	v := plain{Min: math.NaN(), Max: math.NaN(), Mean: math.NaN(), Std: math.NaN()}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = ColumnProfile(v)
	return nil
}

// ProfileFrame computes per-column statistics and alerts.
func ProfileFrame(f *Frame) *Profile {
	p, _ := ProfileContext(context.Background(), f)
	return p
}

// ProfileContext is ProfileFrame bounded by ctx: columns not started when
// ctx ends are skipped and the error wraps context.Cause(ctx).
func ProfileContext(ctx context.Context, f *Frame) (*Profile, error) {
	p := &Profile{Rows: f.NumRows(), Columns: make([]ColumnProfile, len(f.Columns)), Alerts: []Alert{}}
	// Each worker keeps one sorted copy of a column and its sort buffer for
	// all the columns it profiles: growing a copy per column by appends
	// left twice the column's size as garbage (80 MB on a 1,000,000 × 20
	// table, the peak of `automl profile`), and a sync.Pool, whose
	// per-processor caches miss as goroutines move, made up to twice the
	// copies.
	var scratch []sortScratch
	parallelWorkers(len(f.Columns), f.NumRows()*len(f.Columns) >= 20000, func(workers int) { scratch = make([]sortScratch, workers) },
		func(w, j int) {
			if ctx.Err() != nil {
				return
			}
			p.Columns[j] = profileColumn(f.Columns[j], f.DecimalComma, &scratch[w])
		})
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: profiling stopped: %w", f.Path, context.Cause(ctx))
	}
	for j := range f.Columns {
		p.Alerts = append(p.Alerts, p.Columns[j].Alerts...)
	}
	return p, nil
}

// sortScratch is a sorted copy of a column and the radix sort's buffer.
type sortScratch struct{ vals, buf []float64 }

func profileColumn(c *Column, comma bool, scratch *sortScratch) ColumnProfile {
	cp := ColumnProfile{Name: c.Name, Kind: c.Kind, Count: c.Len(),
		Min: math.NaN(), Max: math.NaN(), Mean: math.NaN(), Std: math.NaN()}
	var counts map[string]int
	var sorted []float64
	sortedValues := func() {
		if cap(scratch.vals) < len(c.Num) {
			scratch.vals = make([]float64, 0, len(c.Num))
			scratch.buf = make([]float64, len(c.Num))
		}
		sorted = scratch.vals[:0]
		for _, v := range c.Num {
			if !math.IsNaN(v) {
				sorted = append(sorted, v)
			}
		}
		scratch.buf = floatsort.Sort(sorted, scratch.buf)
	}
	if c.formatted() {
		// Texts are the values formatted one way: count runs of equal values
		// and format only the values that can enter the top 10.
		for _, m := range c.Missing {
			if m {
				cp.Missing++
			}
		}
		sortedValues()
		cp.Distinct, cp.Top = topRuns(sorted, 10, &c.text)
		if cp.Distinct <= 10 {
			counts = make(map[string]int, cp.Distinct)
			for _, vc := range topAll(sorted, &c.text) {
				counts[vc.Value] = vc.Count
			}
		}
	} else {
		counts, cp.Missing = c.valueCounts()
		cp.Distinct = len(counts)
		cp.Top = top(counts, 10)
	}

	if c.Num != nil && (c.Kind == Numeric || c.Kind == Boolean || c.Kind == Datetime) {
		if sorted == nil {
			sortedValues()
		}
		if n := len(sorted); n > 0 {
			cp.Min, cp.Max = sorted[0], sorted[n-1]
			cp.Mean, cp.Std = meanStd(sorted)
			if c.Kind != Boolean {
				cp.Quantiles = &Quantiles{quantile(sorted, 0.05), quantile(sorted, 0.25),
					quantile(sorted, 0.5), quantile(sorted, 0.75), quantile(sorted, 0.95)}
			}
			if c.Kind == Numeric {
				cp.Histogram = histogram(sorted, min(20, cp.Distinct))
			}
		}
	}
	if c.Kind != Numeric && c.Kind != Boolean && c.Kind != Datetime {
		sorted = nil
	}
	cp.Alerts = alerts(c, &cp, sorted, counts, comma)
	return cp
}

// formatted reports whether the column's texts are its values formatted one
// way (so equal texts are equal values and the other way round).
func (c *Column) formatted() bool {
	return c.Str == nil && c.Num != nil && !c.text.dictionary() && len(c.text.except) == 0
}

// runs calls fn for each distinct value of sorted with its count, in
// order; -0 and 0, equal as numbers but written differently, are apart.
func runs(sorted []float64, fn func(v float64, n int)) {
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		if sorted[i] == 0 {
			neg := 0
			for _, v := range sorted[i:j] {
				if math.Signbit(v) {
					neg++
				}
			}
			if neg > 0 {
				fn(math.Copysign(0, -1), neg)
			}
			if neg < j-i {
				fn(0, j-i-neg)
			}
		} else {
			fn(sorted[i], j-i)
		}
		i = j
	}
}

// topRuns returns the number of distinct values of sorted and the k most
// frequent as texts, ties by text, as top would from a map of texts.
func topRuns(sorted []float64, k int, t *cellText) (int, []ValueCount) {
	best := make([]ValueCount, 0, k+1)
	var buf []byte
	distinct := 0
	runs(sorted, func(v float64, n int) {
		distinct++
		if len(best) == k && n < best[k-1].Count {
			return
		}
		buf = appendNum(buf[:0], v, t)
		if len(best) == k && n == best[k-1].Count && string(buf) >= best[k-1].Value {
			return
		}
		vc := ValueCount{Value: string(buf), Count: n}
		at, _ := slices.BinarySearchFunc(best, vc, func(a, b ValueCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
		})
		best = slices.Insert(best, at, vc)
		if len(best) > k {
			best = best[:k]
		}
	})
	return distinct, best
}

// topAll returns every distinct value of sorted with its count.
func topAll(sorted []float64, t *cellText) []ValueCount {
	var out []ValueCount
	runs(sorted, func(v float64, n int) {
		out = append(out, ValueCount{Value: string(appendNum(nil, v, t)), Count: n})
	})
	return out
}

func appendNum(buf []byte, v float64, t *cellText) []byte {
	start := len(buf)
	buf = strconv.AppendFloat(buf, v, 'f', t.digits(), 64)
	if t.sep == ',' {
		for i := start; i < len(buf); i++ {
			if buf[i] == '.' {
				buf[i] = ','
			}
		}
	}
	return buf
}

// top returns the k most frequent values, ties by value.
func top(counts map[string]int, k int) []ValueCount {
	all := make([]ValueCount, 0, len(counts))
	for v, n := range counts {
		all = append(all, ValueCount{v, n})
	}
	slices.SortFunc(all, func(a, b ValueCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	return all[:min(k, len(all))]
}

func meanStd(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}

// quantile interpolates linearly at position q*(n-1) of sorted values, with
// numpy's lerp (which steps back from the upper value when t >= 0.5).
func quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	pos := q * float64(n-1)
	lo := int(math.Floor(pos))
	if lo >= n-1 {
		return sorted[n-1]
	}
	t := pos - float64(lo)
	a, b := sorted[lo], sorted[lo+1]
	d := b - a
	if t >= 0.5 {
		return b - d*(1-t)
	}
	return a + d*t
}

// histogram counts sorted values into bins equal-width bins over [min, max].
func histogram(sorted []float64, bins int) []HistBin {
	lo, hi := sorted[0], sorted[len(sorted)-1]
	if bins < 1 || lo == hi {
		return []HistBin{{Lo: lo, Hi: hi, Count: len(sorted)}}
	}
	w := (hi - lo) / float64(bins)
	out := make([]HistBin, bins)
	for b := range out {
		out[b].Lo = lo + float64(b)*w
		out[b].Hi = lo + float64(b+1)*w
	}
	out[bins-1].Hi = hi
	for _, v := range sorted {
		b := min(int((v-lo)/w), bins-1)
		out[b].Count++
	}
	return out
}

func alerts(c *Column, cp *ColumnProfile, sorted []float64, counts map[string]int, comma bool) []Alert {
	var out []Alert
	add := func(code, format string, args ...any) {
		out = append(out, Alert{Column: c.Name, Code: code, Message: fmt.Sprintf(format, args...)})
	}
	n := cp.Count
	switch {
	case cp.Missing == n:
		add(AlertConstant, "every value is missing")
	case cp.Distinct == 1:
		add(AlertConstant, "a single value %q in every present row", cp.Top[0].Value)
	}
	switch {
	case cp.Missing > n/2:
		add(AlertMostlyMissing, "%d of %d values (%.1f%%) are missing", cp.Missing, n, pct(cp.Missing, n))
	case cp.Missing > 0:
		add(AlertMissingValues, "%d of %d values (%.1f%%) are missing", cp.Missing, n, pct(cp.Missing, n))
	}
	switch c.Kind {
	case Numeric:
		if cp.Distinct >= 2 && cp.Distinct <= fewDistinctNumeric && integers(sorted) {
			add(AlertFewDistinctNumeric, "only %d distinct integer values (%s): possibly a coded category; kept numeric, consider treating it as categorical", cp.Distinct, listValues(counts))
		}
	case Categorical:
		numbers, present := 0, n-cp.Missing
		var other []string
		for v, k := range counts {
			if _, _, ok := parseNumber(v, comma); ok {
				numbers += k
			} else if len(other) < 3 {
				other = append(other, strconv.Quote(v))
			}
		}
		if numbers > 0 && float64(numbers) >= numbersAsStrings*float64(present) {
			slices.Sort(other)
			add(AlertNumbersAsStrings, "%d of %d present values are numbers, but others are not (e.g. %s): read as categorical; clean the non-numbers or mark them missing", numbers, present, strings.Join(other, ", "))
		}
		if cp.Distinct > HighCardinality {
			add(AlertHighCardinality, "%d distinct values", cp.Distinct)
		}
	case Datetime:
		add(AlertDatetime, "parsed as dates/times (from %s to %s)", unixText(cp.Min), unixText(cp.Max))
	case ID:
		add(AlertIDLike, "a distinct value in every row (%d): an identifier, not a feature", cp.Distinct)
	case Text:
		add(AlertText, "free text: %d distinct values, mostly several words long", cp.Distinct)
	}
	return out
}

func pct(a, b int) float64 { return 100 * float64(a) / float64(b) }

func integers(x []float64) bool {
	for _, v := range x {
		if v != math.Trunc(v) {
			return false
		}
	}
	return len(x) > 0
}

// listValues lists up to 10 values, sorted numerically when they are numbers.
func listValues(counts map[string]int) string {
	vals := make([]string, 0, len(counts))
	for v := range counts {
		vals = append(vals, v)
	}
	sortLabels(vals, false)
	if len(vals) > 10 {
		vals = append(vals[:10], "…")
	}
	return strings.Join(vals, ", ")
}

func unixText(sec float64) string {
	if math.IsNaN(sec) {
		return "?"
	}
	return unixTime(sec).Format("2006-01-02 15:04:05")
}

// DuplicateRows counts the rows identical to an earlier row on the columns
// cols (indices into f.Columns; nil or empty means all columns). Missing
// cells are equal to each other and differ from every present value.
func DuplicateRows(f *Frame, cols []int) int {
	n, _ := DuplicateRowsContext(context.Background(), f, cols)
	return n
}

// DuplicateRowsContext is DuplicateRows bounded by ctx, checked every
// 65,536 rows; the error wraps context.Cause(ctx).
func DuplicateRowsContext(ctx context.Context, f *Frame, cols []int) (int, error) {
	if len(cols) == 0 {
		cols = make([]int, len(f.Columns))
		for j := range cols {
			cols[j] = j
		}
	}
	// Each row's key is hashed (in parallel blocks); rows are sorted by
	// hash, and only rows of equal hash compare their keys. So the keys are
	// never all held at once (a map of 1M keys of 20 cells took ~250 MB).
	n := f.NumRows()
	rowKey := func(key []byte, i int) []byte {
		for _, j := range cols {
			key = f.Columns[j].appendKey(key, i)
		}
		return key
	}
	seed := maphash.MakeSeed()
	hashes := make([]uint64, n)
	const block = 1 << 14
	stopped := func() error {
		return fmt.Errorf("%s: looking for duplicate rows stopped: %w", f.Path, context.Cause(ctx))
	}
	parallel((n+block-1)/block, n > block, func(b int) {
		if ctx.Err() != nil {
			return
		}
		var key []byte
		for i := b * block; i < min(n, (b+1)*block); i++ {
			key = rowKey(key[:0], i)
			hashes[i] = maphash.Bytes(seed, key)
		}
	})
	if ctx.Err() != nil {
		return 0, stopped()
	}
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(hashes[a], hashes[b]) })
	dup := 0
	var a, b []byte
	for lo, checked := 0, 0; lo < n; {
		if lo-checked >= 1<<16 {
			if ctx.Err() != nil {
				return 0, stopped()
			}
			checked = lo
		}
		hi := lo + 1
		for hi < n && hashes[order[hi]] == hashes[order[lo]] {
			hi++
		}
		if hi-lo > 1 {
			// Rows of one hash: count those equal to an earlier one.
			distinct := [][]byte{}
			for _, i := range order[lo:hi] {
				a = rowKey(a[:0], int(i))
				if slices.ContainsFunc(distinct, func(k []byte) bool { return bytes.Equal(k, a) }) {
					dup++
					continue
				}
				b = append([]byte(nil), a...)
				distinct = append(distinct, b)
			}
		}
		lo = hi
	}
	return dup, nil
}

// valueCounts counts the rows of each present text and the missing rows.
func (c *Column) valueCounts() (map[string]int, int) {
	counts := make(map[string]int)
	missing := 0
	switch {
	case c.Str == nil && c.text.dictionary():
		n := make([]int, len(c.text.dict))
		for i := range c.text.codes.n() {
			k := c.text.codes.at(i)
			n[k]++
		}
		missing = n[0]
		for k, s := range c.text.dict[1:] {
			counts[s] = n[k+1]
		}
	default:
		for i := range c.Len() {
			if c.Missing[i] {
				missing++
				continue
			}
			counts[c.String(i)]++
		}
	}
	return counts, missing
}

func hasNegZero(x []float64) bool {
	for _, v := range x {
		if v == 0 && math.Signbit(v) {
			return true
		}
	}
	return false
}

// appendKey appends a key of row i's text, one-to-one on texts within the
// column (missing cells share one key), for comparing rows.
func (c *Column) appendKey(key []byte, i int) []byte {
	if c.Missing[i] {
		return append(key, 0xff) // not a valid UTF-8 length prefix byte
	}
	switch {
	case c.Str == nil && c.text.dictionary():
		return binary.LittleEndian.AppendUint32(append(key, 'c'), c.text.codes.at(i))
	case c.Str == nil && c.Num != nil:
		if s, ok := c.text.except[int32(i)]; ok {
			return appendText(append(key, 't'), s)
		}
		return binary.LittleEndian.AppendUint64(append(key, 'b'), math.Float64bits(c.Num[i]))
	}
	return appendText(key, c.String(i))
}

func appendText(key []byte, s string) []byte {
	key = strconv.AppendInt(key, int64(len(s)), 10)
	key = append(key, ':')
	return append(key, s...)
}

// parallel runs fn(0..n-1) on GOMAXPROCS goroutines when wide, else in turn.
func parallel(n int, wide bool, fn func(int)) {
	parallelWorkers(n, wide, func(int) {}, func(_, j int) { fn(j) })
}

// parallelWorkers is parallel telling fn which worker (0 to workers-1)
// runs it; start is told the number of workers first.
func parallelWorkers(n int, wide bool, start func(workers int), fn func(w, j int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if !wide || workers < 2 {
		start(1)
		for j := range n {
			fn(0, j)
		}
		return
	}
	start(workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for j := int(next.Add(1) - 1); j < n; j = int(next.Add(1) - 1) {
				fn(w, j)
			}
		})
	}
	wg.Wait()
}
