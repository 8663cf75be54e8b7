package tree

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
)

// binSampleRows caps the rows used to find greedy bin edges, as
// LightGBM's bin_construct_sample_cnt does; every row is still binned.
const binSampleRows = 200000

// maxCode is the largest categorical code given its own bin; larger codes,
// negative codes and NaN go to the missing-value bin.
const maxCode = 1 << 20

// feature maps the values of one column to histogram bins.
type feature struct {
	categorical bool
	// upper holds the inclusive upper edge of each regular numeric bin: a
	// value v falls in the first bin b with v <= upper[b]; the last edge
	// is +Inf.
	upper []float64
	// lo and hi are the smallest and largest training values in each
	// regular numeric bin; split thresholds fall midway between the
	// values of the node's adjacent non-empty bins, unless atCuts is set.
	lo, hi []float64
	// atCuts (BinQuantile) places a split after bin b at upper[b]: values
	// below the next bin's cut go left, as in XGBoost.
	atCuts bool
	// nanBin is the bin of missing values (NaN; for categorical columns also
	// negative or huge codes), -1 when training had none.
	nanBin int
	bins   int // bins including the missing-value bin
	// codeBin maps a categorical code to its bin (-1: not seen in training).
	codeBin []int16
	// binCodes lists the categorical codes of each regular bin.
	binCodes [][]int32
}

// catCode returns the category code of v as leaves reads it (truncation
// towards zero) and whether v is a usable code.
func catCode(v float64) (int32, bool) {
	if math.IsNaN(v) || v <= -1 || v >= maxCode {
		return 0, false
	}
	return int32(v), true
}

// bin returns the bin of value v.
func (f *feature) bin(v float64) uint8 {
	if f.categorical {
		c, ok := catCode(v)
		if !ok || int(c) >= len(f.codeBin) || f.codeBin[c] < 0 {
			return uint8(f.nanBin)
		}
		return uint8(f.codeBin[c])
	}
	if math.IsNaN(v) {
		return uint8(f.nanBin)
	}
	lo, hi := 0, len(f.upper)-1
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if v <= f.upper[m] {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return uint8(lo)
}

// midpoint returns a finite threshold t with a <= t < b, halfway when
// possible, computed as scikit-learn does (a/2 + b/2).
func midpoint(a, b float64) float64 {
	m := a/2 + b/2
	switch {
	case math.IsInf(m, 0) || math.IsNaN(m):
		// an infinite side: stay finite (thresholds are written to JSON)
		if !math.IsInf(b, 0) {
			return math.Nextafter(b, math.Inf(-1))
		}
		if !math.IsInf(a, 0) {
			return a
		}
		return 0
	case !(m >= a && m < b):
		return a
	}
	return m
}

// Binning rules for numeric features (GBDTParams.Binning).
const (
	// BinGreedy: greedy equal-frequency bins in which a heavy value gets a
	// bin of its own and the rest are shared out again (as LightGBM does);
	// split thresholds fall midway between training values. What an empty
	// Binning means (forests and decision trees always use it).
	BinGreedy = "greedy"
	// BinQuantile: cuts at the training values of evenly spaced ranks, as
	// XGBoost's hist method takes them from its quantile summary; a value
	// goes left of a split when it is below the cut.
	BinQuantile = "quantile"
)

// numericFeature finds bin edges for the non-missing values vals (in row
// order; sorted in place) with at most maxBins regular bins, by the given
// rule.
func numericFeature(vals []float64, hasNaN bool, maxBins int, binning string) feature {
	f := feature{nanBin: -1}
	if binning == BinQuantile {
		f.atCuts = true
		for _, c := range quantileCuts(vals, maxBins) { // reads vals in row order
			f.upper = append(f.upper, math.Nextafter(c, math.Inf(-1)))
		}
		f.upper = append(f.upper, math.Inf(1))
		return f.withNaN(hasNaN)
	}
	slices.Sort(vals)
	// distinct values and their counts
	var dv []float64
	var dc []int
	for i, v := range vals {
		if i > 0 && v == vals[i-1] {
			dc[len(dc)-1]++
			continue
		}
		dv = append(dv, v)
		dc = append(dc, 1)
	}
	switch {
	case len(dv) == 0:
		f.upper = []float64{math.Inf(1)}
	case len(dv) <= maxBins:
		for i := 0; i+1 < len(dv); i++ {
			f.upper = append(f.upper, midpoint(dv[i], dv[i+1]))
		}
		f.upper = append(f.upper, math.Inf(1))
	default:
		// Greedy equal-frequency bins; the target size is recomputed after
		// each bin so heavy values do not starve the later bins.
		rest, left := len(vals), maxBins
		acc := 0
		for i := 0; i+1 < len(dv); i++ {
			acc += dc[i]
			if left == 1 {
				break
			}
			target := float64(rest) / float64(left)
			if float64(acc) >= target || float64(dc[i+1]) >= target {
				f.upper = append(f.upper, midpoint(dv[i], dv[i+1]))
				rest -= acc
				acc = 0
				left--
			}
		}
		f.upper = append(f.upper, math.Inf(1))
	}
	return f.withNaN(hasNaN)
}

// withNaN counts f's bins, adding the missing-value bin when hasNaN.
func (f feature) withNaN(hasNaN bool) feature {
	f.bins = len(f.upper)
	if hasNaN {
		f.nanBin = f.bins
		f.bins++
	}
	return f
}

// categoricalFeature gives each category code its own bin, most frequent
// first; beyond maxBins-1 codes the rarest share one bin.
func categoricalFeature(col []float64) feature {
	counts := map[int32]int{}
	missing := false
	for _, v := range col {
		c, ok := catCode(v)
		if !ok {
			missing = true
			continue
		}
		counts[c]++
	}
	type cc struct {
		code  int32
		count int
	}
	list := make([]cc, 0, len(counts))
	maxC := int32(-1)
	for c, n := range counts {
		list = append(list, cc{c, n})
		maxC = max(maxC, c)
	}
	slices.SortFunc(list, func(a, b cc) int {
		if a.count != b.count {
			return cmp.Compare(b.count, a.count)
		}
		return cmp.Compare(a.code, b.code)
	})
	f := feature{categorical: true, nanBin: -1, codeBin: make([]int16, maxC+1)}
	for i := range f.codeBin {
		f.codeBin[i] = -1
	}
	const own = 254 // codes with a bin of their own; the rest share bin 254
	for i, e := range list {
		b := min(i, own)
		if b == len(f.binCodes) {
			f.binCodes = append(f.binCodes, nil)
		}
		f.binCodes[b] = append(f.binCodes[b], e.code)
		f.codeBin[e.code] = int16(b)
	}
	for _, codes := range f.binCodes {
		slices.Sort(codes)
	}
	f.bins = len(f.binCodes)
	if missing || f.bins == 0 {
		f.nanBin = f.bins
		f.bins++
	}
	return f
}

// binned is the training matrix as bin indices, one byte column per
// feature, shared by every tree of an ensemble.
type binned struct {
	n     int
	feats []feature
	cols  [][]uint8
	off   []int // first histogram bin of each feature
	total int   // histogram bins over all features
	// mfb is each feature's most frequent bin; when skip is set, histogram
	// building leaves it out and derives it from the node's totals.
	mfb  []int
	skip []bool
	// rows holds the same bins row-major (n x d) for building the class
	// histograms of dense features; nil when not asked for.
	rows []uint8
}

// skipShare is the share of rows the most frequent bin must hold for
// histogram building to skip it (the cost estimates read it too).
const skipShare = models.SkipShare

// newBinned bins X, numeric columns by the rule binning. Columns flagged
// categorical get category bins when catSplits is set and are treated as
// numbers otherwise. rowMajor also keeps the bins row by row.
func newBinned(X *mat.Dense, cfg Config, maxBins int, binning string, catSplits, rowMajor bool, workers int) *binned {
	n, d := X.Dims()
	b := &binned{n: n, feats: make([]feature, d), cols: make([][]uint8, d), off: make([]int, d)}
	var sample []int
	if n > binSampleRows && binning != BinQuantile { // the sketch reads every row, as XGBoost's does
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x62696e73))
		sample = rng.Perm(n)[:binSampleRows]
		slices.Sort(sample)
	}
	raw := X.RawMatrix()
	parallelFor(d, workers, func(j int) {
		col := make([]float64, n)
		for i := range col {
			col[i] = raw.Data[i*raw.Stride+j]
		}
		if catSplits && j < len(cfg.Categorical) && cfg.Categorical[j] {
			b.feats[j] = categoricalFeature(col)
		} else {
			vals := make([]float64, 0, n)
			hasNaN := false
			if sample != nil {
				for _, i := range sample {
					if v := col[i]; math.IsNaN(v) {
						hasNaN = true
					} else {
						vals = append(vals, v)
					}
				}
				for _, v := range col {
					hasNaN = hasNaN || math.IsNaN(v)
				}
			} else {
				for _, v := range col {
					if math.IsNaN(v) {
						hasNaN = true
					} else {
						vals = append(vals, v)
					}
				}
			}
			b.feats[j] = numericFeature(vals, hasNaN, maxBins, binning)
		}
		f := &b.feats[j]
		out := make([]uint8, n)
		for i, v := range col {
			out[i] = f.bin(v)
		}
		b.cols[j] = out
		if !f.categorical {
			r := len(f.upper)
			f.lo, f.hi = make([]float64, r), make([]float64, r)
			for k := range f.lo {
				f.lo[k], f.hi[k] = math.Inf(1), math.Inf(-1)
			}
			for i, v := range col {
				if k := int(out[i]); k < r {
					f.lo[k] = min(f.lo[k], v)
					f.hi[k] = max(f.hi[k], v)
				}
			}
		}
	})
	b.mfb, b.skip = make([]int, d), make([]bool, d)
	parallelFor(d, workers, func(j int) {
		var counts [256]int
		for _, v := range b.cols[j] {
			counts[v]++
		}
		for k, c := range counts {
			if c > counts[b.mfb[j]] {
				b.mfb[j] = k
			}
		}
		b.skip[j] = float64(counts[b.mfb[j]]) >= skipShare*float64(n)
	})
	if rowMajor {
		b.rows = make([]uint8, n*d)
		const chunk = 4096
		parallelFor((n+chunk-1)/chunk, workers, func(c int) {
			for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
				row := b.rows[i*d : i*d+d]
				for j := range row {
					row[j] = b.cols[j][i]
				}
			}
		})
	}
	for j := range b.feats {
		b.off[j] = b.total
		b.total += b.feats[j].bins
	}
	return b
}

// parallelFor calls fn(i) for i in 0..n-1 on up to workers goroutines.
// Callers make fn's result independent of which goroutine runs it.
func parallelFor(n, workers int, fn func(i int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}
