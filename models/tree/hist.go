package tree

// A histogram holds, for every bin of every feature, the node's statistics
// of the rows in that bin: stride float64 slots per bin, the last of which
// is the row count. Gradient boosting keeps (gradient, hessian, count);
// classification trees keep (weight of class 0, ..., weight of class K-1,
// count).

// histPool recycles histogram buffers. It never refuses a buffer; limit
// only bounds how many the grower keeps for later subtraction.
type histPool struct {
	size  int
	limit int
	out   int // buffers handed out and not returned
	free  [][]float64
}

func (p *histPool) get() []float64 {
	p.out++
	if n := len(p.free); n > 0 {
		h := p.free[n-1]
		p.free = p.free[:n-1]
		return h
	}
	return make([]float64, p.size)
}

func (p *histPool) put(h []float64) {
	if h == nil {
		return
	}
	p.out--
	if len(p.free) < p.limit {
		p.free = append(p.free, h)
	}
}

// full reports whether the pool should stop lending buffers to be kept.
func (p *histPool) full() bool { return p.out >= p.limit }

// minParallelWork is the number of bin updates below which a histogram is
// built on one goroutine.
const minParallelWork = 1 << 15

// build fills hist for the features feats over rows. identity means rows
// are 0..n-1 in order, which saves the gathers.
func (g *grower) build(hist []float64, rows []int32, feats []int, identity bool) {
	m := len(rows)
	if !identity {
		g.gather(rows)
	}
	workers := g.workers
	if m*len(feats) < minParallelWork {
		workers = 1
	}
	s := g.stride
	parallelFor(len(feats), workers, func(i int) {
		f := feats[i]
		off := g.d.off[f] * s
		h := hist[off : off+g.d.feats[f].bins*s]
		clear(h)
		col := g.d.cols[f]
		switch {
		case g.mode == modeGrad && identity:
			buildGradIdentity(h, col, g.g, g.h)
		case g.mode == modeGrad:
			buildGrad(h, col, rows, g.og[:m], g.oh[:m])
		case identity:
			buildClassIdentity(h, col, g.y, g.w, g.K)
		default:
			buildClass(h, col, rows, g.oy[:m], g.ow[:m], g.K)
		}
	})
}

// gather copies the per-row statistics of rows into contiguous buffers.
func (g *grower) gather(rows []int32) {
	if g.mode == modeGrad {
		og, oh := g.og[:len(rows)], g.oh[:len(rows)]
		for i, r := range rows {
			og[i] = g.g[r]
			oh[i] = g.h[r]
		}
		return
	}
	oy, ow := g.oy[:len(rows)], g.ow[:len(rows)]
	for i, r := range rows {
		oy[i] = g.y[r]
		ow[i] = g.w[r]
	}
}

func buildGradIdentity(h []float64, col []uint8, gr, hs []float64) {
	hs = hs[:len(col)]
	gr = gr[:len(col)]
	for i, b := range col {
		k := int(b) * 3
		c := h[k : k+3 : k+3]
		c[0] += gr[i]
		c[1] += hs[i]
		c[2]++
	}
}

func buildGrad(h []float64, col []uint8, rows []int32, og, oh []float64) {
	og = og[:len(rows)]
	oh = oh[:len(rows)]
	for i, r := range rows {
		k := int(col[r]) * 3
		c := h[k : k+3 : k+3]
		c[0] += og[i]
		c[1] += oh[i]
		c[2]++
	}
}

func buildClassIdentity(h []float64, col []uint8, y []int32, w []float64, K int) {
	s := K + 1
	y = y[:len(col)]
	w = w[:len(col)]
	for i, b := range col {
		k := int(b) * s
		h[k+int(y[i])] += w[i]
		h[k+K]++
	}
}

func buildClass(h []float64, col []uint8, rows []int32, oy []int32, ow []float64, K int) {
	s := K + 1
	oy = oy[:len(rows)]
	ow = ow[:len(rows)]
	for i, r := range rows {
		k := int(col[r]) * s
		h[k+int(oy[i])] += ow[i]
		h[k+K]++
	}
}

// subtract sets parent -= child over the features feats, turning the
// parent's histogram into the sibling's.
func (g *grower) subtract(parent, child []float64, feats []int) {
	s := g.stride
	for _, f := range feats {
		off := g.d.off[f] * s
		end := off + g.d.feats[f].bins*s
		p, c := parent[off:end], child[off:end]
		for i := range p {
			p[i] -= c[i]
		}
	}
}
