package calibrate

import (
	"sort"

	"github.com/goautoml/automl/internal/floatsort"
)

// Monotone is a fitted monotone (non-decreasing) map, linear between its
// knots and constant beyond them.
type Monotone struct {
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

// At is the calibrated probability of score f.
func (s Monotone) At(f float64) float64 {
	n := len(s.X)
	switch {
	case n == 0:
		return f
	case f <= s.X[0]:
		return s.Y[0]
	case f >= s.X[n-1]:
		return s.Y[n-1]
	}
	j := sort.SearchFloat64s(s.X, f) // s.X[j-1] < f <= s.X[j]
	if s.X[j] == f {
		return s.Y[j]
	}
	x0, x1, y0, y1 := s.X[j-1], s.X[j], s.Y[j-1], s.Y[j]
	return y0 + (f-x0)*(y1-y0)/(x1-x0)
}

// FitIsotonic fits a non-decreasing map from scores f to labels y (1 for
// positive) with optional weights, as scikit-learn's IsotonicRegression does:
// equal scores are first merged into their weighted mean label, then
// pool-adjacent-violators makes the means monotone, and only the knots at
// the ends of each flat run are kept.
func FitIsotonic(f []float64, y []bool, w []float64) Monotone {
	// The order of a stable sort by score, by a radix sort (several times
	// faster than the comparison sort).
	idx := floatsort.Order(f)
	// Merge equal scores.
	var xs, ys, ws []float64
	for k := 0; k < len(idx); {
		x := f[idx[k]]
		var sw, swy float64
		for ; k < len(idx) && f[idx[k]] == x; k++ {
			wi := weight(w, idx[k])
			sw += wi
			if y[idx[k]] {
				swy += wi
			}
		}
		xs, ys, ws = append(xs, x), append(ys, swy/sw), append(ws, sw)
	}
	// Pool adjacent violators over blocks.
	type block struct {
		y, w       float64
		start, end int // indices into xs, inclusive
	}
	var st []block
	for i := range xs {
		b := block{y: ys[i], w: ws[i], start: i, end: i}
		for len(st) > 0 && st[len(st)-1].y >= b.y {
			top := st[len(st)-1]
			st = st[:len(st)-1]
			w := top.w + b.w
			b = block{y: (top.y*top.w + b.y*b.w) / w, w: w, start: top.start, end: b.end}
		}
		st = append(st, b)
	}
	fitted := make([]float64, len(xs))
	for _, b := range st {
		for i := b.start; i <= b.end; i++ {
			fitted[i] = b.y
		}
	}
	// Keep the first and last point and every point where the fitted value
	// changes on either side.
	var out Monotone
	for i := range xs {
		if i == 0 || i == len(xs)-1 || fitted[i] != fitted[i-1] || fitted[i] != fitted[i+1] {
			out.X = append(out.X, xs[i])
			out.Y = append(out.Y, fitted[i])
		}
	}
	return out
}
