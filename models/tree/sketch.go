package tree

import (
	"cmp"
	"math"
	"slices"
)

// The cut points of BinQuantile are the ones XGBoost 1.7's hist method
// takes from its weighted quantile sketch (Chen and Guestrin 2016, appendix
// A; WQuantileSketch in src/common/quantile.h), its operations
// reimplemented here so that a column gets the same bins from both. Ranks
// are float32 as there; every row weighs 1.

// qentry is one entry of a quantile summary: a value whose rank lies in
// [rmin, rmax], wmin the weight known to sit on the value itself.
type qentry struct {
	rmin, rmax, wmin float32
	value            float64
}

func (e qentry) rminNext() float32 { return e.rmin + e.wmin }
func (e qentry) rmaxPrev() float32 { return e.rmax - e.wmin }

// qsummary is a summary: entries in increasing value.
type qsummary []qentry

// summarize returns the exact summary of a buffer of (value, weight)
// pairs, reordering buf; vals is scratch space, returned grown.
//
// Entries of weight 1 (nearly all of them on a continuous column) sort as
// plain float64s, a third faster than sorting the entries with a
// comparison function; the others (runs of a value in row order) sort apart
// and the two merge. Weights are whole numbers, exact in float32, so the
// order in which a value's weights add up does not change the sums.
func summarize(buf []qentry, vals []float64) (qsummary, []float64) {
	vals = vals[:0]
	runs := buf[:0]
	for _, e := range buf {
		if e.wmin == 1 {
			vals = append(vals, e.value)
		} else {
			runs = append(runs, e)
		}
	}
	slices.Sort(vals) // no NaN here
	slices.SortFunc(runs, func(a, b qentry) int { return cmp.Compare(a.value, b.value) })
	out := make(qsummary, 0, len(vals)+len(runs))
	var sum float32
	for i, j := 0, 0; i < len(vals) || j < len(runs); {
		var v float64
		if j == len(runs) || (i < len(vals) && vals[i] < runs[j].value) {
			v = vals[i]
		} else {
			v = runs[j].value
		}
		var w float32
		for ; i < len(vals) && vals[i] == v; i++ {
			w++
		}
		for ; j < len(runs) && runs[j].value == v; j++ {
			w += runs[j].wmin
		}
		out = append(out, qentry{rmin: sum, rmax: sum + w, wmin: w, value: v})
		sum += w
	}
	return out, vals
}

// prune keeps at most size entries of s: the first, the last, and between
// them the entries whose rank intervals hold size-2 ranks spaced evenly
// from the first entry's rmax to the last entry's rmin (a value picked
// twice is kept once).
func (s qsummary) prune(size int) qsummary {
	if len(s) <= size {
		return slices.Clone(s)
	}
	m := len(s)
	begin := s[0].rmax
	span := s[m-1].rmin - s[0].rmax
	n := size - 1
	out := make(qsummary, 1, size)
	out[0] = s[0]
	i, last := 1, 0
	for k := 1; k < n; k++ {
		d2 := 2 * (float32(k)*span/float32(n) + begin)
		for i < m-1 && d2 >= s[i+1].rmax+s[i+1].rmin {
			i++
		}
		if i == m-1 {
			break
		}
		pick := i + 1
		if d2 < s[i].rminNext()+s[i+1].rmaxPrev() {
			pick = i
		}
		if pick != last {
			out = append(out, s[pick])
			last = pick
		}
	}
	if last != m-1 {
		out = append(out, s[m-1])
	}
	return out
}

// combine merges summaries a and b of two disjoint parts of the data.
func combine(a, b qsummary) qsummary {
	if len(a) == 0 {
		return slices.Clone(b)
	}
	if len(b) == 0 {
		return slices.Clone(a)
	}
	out := make(qsummary, 0, len(a)+len(b))
	var aPrev, bPrev float32 // rmin bounds just past the last merged entry of each
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x, y := a[i], b[j]
		switch {
		case x.value == y.value:
			out = append(out, qentry{x.rmin + y.rmin, x.rmax + y.rmax, x.wmin + y.wmin, x.value})
			aPrev, bPrev = x.rminNext(), y.rminNext()
			i++
			j++
		case x.value < y.value:
			out = append(out, qentry{x.rmin + bPrev, x.rmax + y.rmaxPrev(), x.wmin, x.value})
			aPrev = x.rminNext()
			i++
		default:
			out = append(out, qentry{y.rmin + aPrev, y.rmax + x.rmaxPrev(), y.wmin, y.value})
			bPrev = y.rminNext()
			j++
		}
	}
	for ; i < len(a); i++ {
		x := a[i]
		out = append(out, qentry{x.rmin + bPrev, x.rmax + b[len(b)-1].rmax, x.wmin, x.value})
	}
	for ; j < len(b); j++ {
		y := b[j]
		out = append(out, qentry{y.rmin + aPrev, y.rmax + a[len(a)-1].rmax, y.wmin, y.value})
	}
	// restore the invariants rounding may break: rmin and rmax never
	// decrease, and rmax >= rmin + wmin
	var prevMin, prevMax float32
	for k := range out {
		e := &out[k]
		if e.rmin < prevMin {
			e.rmin = prevMin
		} else {
			prevMin = e.rmin
		}
		if e.rmax < prevMax {
			e.rmax = prevMax
		}
		if e.rmax < e.rminNext() {
			e.rmax = e.rminNext()
		}
		prevMax = e.rmax
	}
	return out
}

// sketch is a streaming quantile sketch of one column: values are buffered
// (a run of equal values shares one slot) and every full buffer's exact
// summary, pruned to limit entries, is merged up a ladder of levels.
type sketch struct {
	limit  int
	buf    []qentry // cap 2*limit
	levels []qsummary
	vals   []float64 // summarize's scratch
}

// newSketch sizes a sketch for n values at error eps: the fewest levels l
// whose 2^l summaries of limit = ceil(l/eps)+1 entries cover n values.
func newSketch(n int, eps float64) *sketch {
	limit := 0
	for l := 1; ; l++ {
		limit = min(n, int(math.Ceil(float64(l)/eps))+1)
		if limit<<l >= n {
			break
		}
	}
	return &sketch{limit: limit, buf: make([]qentry, 0, 2*limit)}
}

func (sk *sketch) push(v float64) {
	if len(sk.buf) == cap(sk.buf) {
		var s qsummary
		s, sk.vals = summarize(sk.buf, sk.vals)
		sk.buf = sk.buf[:0]
		sk.pushSummary(s)
	}
	if n := len(sk.buf); n > 0 && sk.buf[n-1].value == v {
		sk.buf[n-1].wmin++
		return
	}
	sk.buf = append(sk.buf, qentry{wmin: 1, value: v})
}

// pushSummary carries a buffer's summary up the levels: into the first
// empty one, merging with each full level on the way while the merge
// stays over limit entries.
func (sk *sketch) pushSummary(t qsummary) {
	for l := 0; ; l++ {
		if l == len(sk.levels) {
			sk.levels = append(sk.levels, nil)
		}
		if len(sk.levels[l]) == 0 {
			sk.levels[l] = t.prune(sk.limit)
			return
		}
		t = combine(t.prune(sk.limit), sk.levels[l])
		if len(t) > sk.limit {
			sk.levels[l] = nil
			continue
		}
		sk.levels[l] = t
		return
	}
}

// summary returns the sketch's summary of everything pushed, at most limit
// entries.
func (sk *sketch) summary() qsummary {
	out, _ := summarize(sk.buf, sk.vals)
	if len(sk.levels) == 0 {
		return out.prune(sk.limit)
	}
	acc := out.prune(sk.limit)
	for _, lv := range sk.levels {
		if len(lv) == 0 {
			continue
		}
		if len(acc) == 0 {
			acc = slices.Clone(lv)
			continue
		}
		acc = combine(acc, lv).prune(sk.limit)
	}
	return acc
}

// quantileCuts returns the cuts of BinQuantile for the non-missing values
// vals of a column, read in row order: bin 0 holds v < c[0], bin j holds
// c[j-1] <= v < c[j], the last bin v >= c[len(c)-1]. The column's sketch
// (error 1/(8b), b = min(maxBins, values)) is pruned to 8*maxBins entries
// (at most the number of values), then to b+1; the entries after the first
// (the smallest value) are the cuts.
func quantileCuts(vals []float64, maxBins int) []float64 {
	n := len(vals)
	b := min(maxBins, n)
	sk := newSketch(n, 1/(float64(float32(b))*8))
	for _, v := range vals {
		sk.push(v)
	}
	s := sk.summary().prune(min(n, 8*maxBins)).prune(b + 1)
	cuts := make([]float64, 0, b)
	for k := 1; k < min(len(s), b); k++ {
		cuts = append(cuts, s[k].value)
	}
	return cuts
}
