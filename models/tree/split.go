package tree

import (
	"math"
	"math/bits"
	"slices"
)

// Statistics modes of the grower.
const (
	modeGrad  = iota // gradient boosting: (gradient, hessian, count)
	modeClass        // classification trees: (class weights..., count)
)

// Criteria of classification trees.
const (
	critGini = iota
	critEntropy
)

// LightGBM's defaults for categorical splits.
const (
	maxCatOneHot    = 4  // up to this many categories: one category against the rest
	maxCatThreshold = 32 // at most this many categories on the left
	catSmooth       = 10 // added to the hessian when ordering categories
	catL2           = 10 // extra L2 regularisation of categorical splits
)

// split is a candidate split of a node in bin space.
type split struct {
	feature int
	gain    float64
	cat     bool
	bin     int       // numeric: bins <= bin go left
	binR    int       // numeric: the first non-empty bin on the right
	nanLeft bool      // numeric: the missing-value bin goes left
	mask    [4]uint64 // categorical: bins going left
	lstats  []float64 // statistics of the left child (stride slots)
	rstats  []float64
}

func (s *split) valid() bool { return s.feature >= 0 }

// left reports whether rows in bin b go to the left child.
func (s *split) left(b int, nanBin int) bool {
	if s.cat {
		return s.mask[b>>6]&(1<<(uint(b)&63)) != 0
	}
	if b == nanBin {
		return s.nanLeft
	}
	return b <= s.bin
}

// thresholdL1 soft-thresholds a gradient sum by the L1 penalty.
func thresholdL1(g, l1 float64) float64 {
	if l1 == 0 {
		return g
	}
	if g > l1 {
		return g - l1
	}
	if g < -l1 {
		return g + l1
	}
	return 0
}

// score is the quality of a node with statistics s; a split gains
// score(left) + score(right) - score(parent). extraL2 applies to
// categorical splits of gradient trees.
func (g *grower) score(s []float64, extraL2 float64) float64 {
	if g.mode == modeGrad {
		t := thresholdL1(s[0], g.p.l1)
		return t * t / (s[1] + g.p.l2 + extraL2)
	}
	W := 0.0
	for _, c := range s[:g.K] {
		W += c
	}
	if !(W > 0) {
		return 0
	}
	out := 0.0
	if g.p.crit == critGini {
		for _, c := range s[:g.K] {
			out += c * c
		}
		return out / W
	}
	for _, c := range s[:g.K] {
		if c > 0 {
			out += c * math.Log2(c/W)
		}
	}
	return out
}

// allowed reports whether a child with statistics s meets the leaf limits.
func (g *grower) allowed(s []float64) bool {
	if s[g.K] < float64(g.p.minCount) {
		return false
	}
	if g.mode == modeGrad {
		return s[1] >= g.p.minHess
	}
	W := 0.0
	for _, c := range s[:g.K] {
		W += c
	}
	return W > 0
}

// cover is the hessian sum (boosting) or the weight (classification) of s.
func (g *grower) cover(s []float64) float64 {
	if g.mode == modeGrad {
		return s[1]
	}
	W := 0.0
	for _, c := range s[:g.K] {
		W += c
	}
	return W
}

// worthIt reports whether gain beats the node's best and the floor; the
// floor filters gains that are rounding noise.
func (g *grower) worthIt(gain, sl, sr, sp float64, best *split) bool {
	if !(gain > g.minGain) || gain <= 1e-12*(math.Abs(sl)+math.Abs(sr)+math.Abs(sp)) {
		return false
	}
	return !best.valid() || gain > best.gain
}

// findBest scans the features feats of a node with totals tot and stores
// the best split in best (feature -1 when none). With a histogram it reads
// the node's bins from hist; without one (small nodes) it accumulates the
// bins of the node's rows directly, touching only the bins they use.
func (g *grower) findBest(hist []float64, rows []int32, tot []float64, feats []int, best *split) {
	best.feature = -1
	best.gain = 0
	if g.mode == modeGrad && !g.counted && tot[1] > 0 {
		g.cntFactor = tot[2] / tot[1]
	}
	s := g.stride
	for _, f := range feats {
		ft := &g.d.feats[f]
		var h []float64
		list := g.listBuf[:0]
		if hist != nil {
			h = hist[g.d.off[f]*s : (g.d.off[f]+ft.bins)*s]
			for b := 0; b < ft.bins; b++ {
				if b != ft.nanBin && g.nonEmpty(h, b) {
					list = append(list, b)
				}
			}
		} else {
			h = g.sparse[:ft.bins*s]
			list = g.accumulate(h, f, rows, tot, list)
		}
		if ft.categorical {
			g.scanCategorical(f, h, list, tot, best)
		} else {
			g.scanNumeric(f, h, list, tot, best)
		}
		if hist == nil {
			clear(h)
		}
		g.listBuf = list
	}
}

// accumulate adds the statistics of rows (totals tot) into the clean
// buffer h for feature f and returns the non-missing bins touched, in
// order. Like build, it skips the feature's most frequent bin and derives
// it from the totals.
func (g *grower) accumulate(h []float64, f int, rows []int32, tot []float64, list []int) []int {
	ft := &g.d.feats[f]
	s := g.stride
	col := g.d.cols[f]
	skip := -1
	if g.d.skip[f] {
		skip = g.d.mfb[f]
	}
	seen := &g.seen
	taken := 0
	for _, r := range rows {
		b := int(col[r])
		if b == skip {
			continue
		}
		taken++
		if !seen[b] {
			seen[b] = true
			list = append(list, b)
		}
		k := b * s
		if g.mode == modeGrad {
			h[k] += g.g[r]
			h[k+1] += g.h[r]
			if g.counted {
				h[k+2]++
			}
		} else {
			h[k+int(g.y[r])] += g.w[r]
			h[k+g.K]++
		}
	}
	for _, b := range list {
		seen[b] = false
	}
	if skip >= 0 && taken < len(rows) {
		g.derive(h, skip, list, tot)
		list = append(list, skip)
	}
	// drop the missing-value bin from the list
	for i, b := range list {
		if b == ft.nanBin {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	slices.Sort(list)
	return list
}

// derive sets bin skip of the feature histogram h to the totals tot minus
// the bins in others.
func (g *grower) derive(h []float64, skip int, others []int, tot []float64) {
	s := g.stride
	c := h[skip*s : skip*s+s]
	copy(c, tot)
	for _, b := range others {
		for k := range c {
			c[k] -= h[b*s+k]
		}
	}
}

// nonEmpty reports whether bin b of the feature histogram h has rows (in
// boosting every row has a positive hessian).
func (g *grower) nonEmpty(h []float64, b int) bool {
	if g.mode == modeGrad {
		return h[b*g.stride+1] > 0
	}
	return h[b*g.stride+g.K] > 0
}

// addBin adds bin b of the feature histogram h to the statistics L.
func (g *grower) addBin(L, h []float64, b int) {
	if g.mode == modeGrad {
		k := b * g.stride
		L[0] += h[k]
		L[1] += h[k+1]
		if g.counted {
			L[2] += h[k+2]
		} else {
			L[2] += h[k+1] * g.cntFactor
		}
		return
	}
	addTo(L, h[b*g.stride:(b+1)*g.stride])
}

// scanNumeric tries thresholds between the non-empty bins list of numeric
// feature f (histogram h); the missing-value bin is tried on both sides
// when it holds rows.
func (g *grower) scanNumeric(f int, h []float64, list []int, tot []float64, best *split) {
	ft := &g.d.feats[f]
	if len(list) < 2 {
		return
	}
	var nan []float64
	if ft.nanBin >= 0 && g.nonEmpty(h, ft.nanBin) {
		nan = g.nanBuf
		clear(nan)
		g.addBin(nan, h, ft.nanBin)
	}
	lo, hi := 0, len(list)-2 // thresholds tried: after list[lo..hi]
	if g.p.extra {
		t := g.rng.IntN(len(list) - 1)
		lo, hi = t, t
	}
	if g.mode == modeGrad && !g.p.extra {
		g.scanGrad(f, h, list, nan, tot, best)
		return
	}
	sp := g.score(tot, 0)
	L, R := g.bufL, g.bufR
	for side := 0; side < 2; side++ {
		nanLeft := side == 1
		if nanLeft && nan == nil {
			break
		}
		clear(L)
		if nanLeft {
			copy(L, nan)
		}
		for i := 0; i < lo; i++ {
			g.addBin(L, h, list[i])
		}
		for i := lo; i <= hi; i++ {
			b := list[i]
			g.addBin(L, h, b)
			for j := range R {
				R[j] = tot[j] - L[j]
			}
			if !g.allowed(L) || !g.allowed(R) {
				continue
			}
			sl, sr := g.score(L, 0), g.score(R, 0)
			gain := sl + sr - sp
			if !g.worthIt(gain, sl, sr, sp, best) {
				continue
			}
			g.take(best, f, gain, b, list[i+1], nanLeft, nan == nil, L, R)
		}
	}
}

// take records a numeric split as the node's best so far.
func (g *grower) take(best *split, f int, gain float64, b, bR int, nanLeft, noNaN bool, L, R []float64) {
	best.feature, best.gain, best.cat, best.bin, best.binR = f, gain, false, b, bR
	best.nanLeft = nanLeft
	if noNaN {
		// no missing values here: send them to the heavier side
		best.nanLeft = g.cover(L) > g.cover(R)
	}
	copy(best.lstats, L)
	copy(best.rstats, R)
}

// scanGrad is scanNumeric for boosting, on scalars.
func (g *grower) scanGrad(f int, h []float64, list []int, nan, tot []float64, best *split) {
	l1, l2 := g.p.l1, g.p.l2
	minN, minH := float64(g.p.minCount), g.p.minHess
	score := func(G, H float64) float64 {
		t := thresholdL1(G, l1)
		return t * t / (H + l2)
	}
	gp, hp, np := tot[0], tot[1], tot[2]
	cf, s, counted := g.cntFactor, g.stride, g.counted
	sp := score(gp, hp)
	for side := 0; side < 2; side++ {
		nanLeft := side == 1
		var gl, hl, nl float64
		if nanLeft {
			if nan == nil {
				break
			}
			gl, hl, nl = nan[0], nan[1], nan[2]
		}
		for i, b := range list[:len(list)-1] {
			c := h[b*s : b*s+2 : b*s+2]
			gl += c[0]
			hl += c[1]
			if counted {
				nl += h[b*s+2]
			} else {
				nl += c[1] * cf
			}
			if nl < minN || hl < minH {
				continue
			}
			gr, hr, nr := gp-gl, hp-hl, np-nl
			if nr < minN {
				break
			}
			if hr < minH {
				continue
			}
			sl, sr := score(gl, hl), score(gr, hr)
			gain := sl + sr - sp
			if !g.worthIt(gain, sl, sr, sp, best) {
				continue
			}
			L, R := g.bufL, g.bufR
			L[0], L[1], L[2] = gl, hl, nl
			R[0], R[1], R[2] = gr, hr, nr
			g.take(best, f, gain, b, list[i+1], nanLeft, nan == nil, L, R)
		}
	}
}

func addTo(dst, src []float64) {
	for i := range dst {
		dst[i] += src[i]
	}
}

// scanCategorical tries splits of categorical feature f the way LightGBM
// does: one category against the rest for few categories, else prefixes
// of the categories ordered by their statistics. Missing values go right.
func (g *grower) scanCategorical(f int, h []float64, present []int, tot []float64, best *split) {
	s := g.stride
	if len(present) < 2 {
		return
	}
	extraL2 := 0.0
	if g.mode == modeGrad {
		extraL2 = catL2
	}
	sp := g.score(tot, extraL2)
	L, R := g.bufL, g.bufR
	try := func(mask [4]uint64) {
		for i := range R {
			R[i] = tot[i] - L[i]
		}
		if !g.allowed(L) || !g.allowed(R) {
			return
		}
		sl, sr := g.score(L, extraL2), g.score(R, extraL2)
		gain := sl + sr - sp
		if !g.worthIt(gain, sl, sr, sp, best) {
			return
		}
		best.feature, best.gain, best.cat, best.mask = f, gain, true, mask
		copy(best.lstats, L)
		copy(best.rstats, R)
	}
	var mask [4]uint64
	set := func(b int) { mask[b>>6] |= 1 << (uint(b) & 63) }
	switch {
	case g.p.extra:
		for _, b := range present {
			if g.rng.IntN(2) == 0 {
				set(b)
			}
		}
		n := 0
		for _, m := range mask {
			n += bits.OnesCount64(m)
		}
		if n == 0 || n == len(present) {
			mask = [4]uint64{}
			set(present[g.rng.IntN(len(present))])
		}
		clear(L)
		for _, b := range present {
			if mask[b>>6]&(1<<(uint(b)&63)) != 0 {
				g.addBin(L, h, b)
			}
		}
		try(mask)
	case len(present) <= maxCatOneHot:
		for _, b := range present {
			mask = [4]uint64{}
			set(b)
			clear(L)
			g.addBin(L, h, b)
			try(mask)
		}
	default:
		key := g.keyBuf[:0]
		for _, b := range present {
			key = append(key, g.catKey(h[b*s:b*s+s], tot))
		}
		order := g.orderBuf[:0]
		for i := range present {
			order = append(order, i)
		}
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case key[a] < key[b]:
				return -1
			case key[a] > key[b]:
				return 1
			}
			return 0
		})
		limit := min(maxCatThreshold, (len(present)+1)/2)
		for _, dir := range []int{1, -1} {
			mask = [4]uint64{}
			clear(L)
			for i := 0; i < limit; i++ {
				j := i
				if dir < 0 {
					j = len(order) - 1 - i
				}
				b := present[order[j]]
				set(b)
				g.addBin(L, h, b)
				try(mask)
			}
		}
	}
}

// catKey orders categories: the mean gradient for boosting, the share of
// the node's majority class (class 1 for two classes) for classification.
func (g *grower) catKey(c, tot []float64) float64 {
	if g.mode == modeGrad {
		return c[0] / (c[1] + catSmooth)
	}
	k := 1
	if g.K > 2 {
		k = 0
		for i := 1; i < g.K; i++ {
			if tot[i] > tot[k] {
				k = i
			}
		}
	}
	W := 0.0
	for _, v := range c[:g.K] {
		W += v
	}
	if W == 0 {
		return 0
	}
	return c[k] / W
}
