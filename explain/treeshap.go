package explain

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models/tree"
)

// Contributions are SHAP values of a model's raw outputs for some rows.
// For each output k and row i, Base[k] plus the sum of row i of Phi[k]
// equals Raw[k][i] (to rounding).
type Contributions struct {
	// Phi holds one rows × features matrix per output.
	Phi []*mat.Dense
	// Base is the expected output per output: the value every row starts from.
	Base []float64
	// Raw is the model output explained, per output and row.
	Raw [][]float64
}

// TreeExplainer computes exact SHAP values of a tree ensemble's raw outputs
// with the polynomial-time path algorithm of Lundberg, Erion and Lee
// ("Consistent individualized feature attribution for tree ensembles",
// 2018, Algorithm 2). The conditional expectations follow the training
// covers recorded in the trees (Node.Cover), as in XGBoost's
// pred_contribs and shap's tree_path_dependent mode.
//
// The raw outputs are those of tree.Ensemble.Raw: log-odds (binary GBDT),
// per-class raw scores (multiclass GBDT), or averaged leaf values, that is
// probabilities (forests and decision trees).
type TreeExplainer struct {
	e        *tree.Ensemble
	coef     float64   // 1, or 1/iterations for averaged ensembles
	base     []float64 // expected raw output per output
	maxDepth int       // deepest path over all trees (edges)
	nodes    [][]node  // the trees, laid out for the walk
	inv      []float64 // inv[i] = 1/i for path lengths up to maxDepth+2
}

// NewTreeExplainer checks e and computes the expected outputs.
func NewTreeExplainer(e *tree.Ensemble) (*TreeExplainer, error) {
	if e == nil || e.Outputs < 1 || len(e.Trees) == 0 || len(e.Trees)%e.Outputs != 0 {
		return nil, fmt.Errorf("explain: not a fitted tree ensemble")
	}
	if e.InitScore != nil && len(e.InitScore) != e.Outputs {
		return nil, fmt.Errorf("explain: %d init scores for %d outputs", len(e.InitScore), e.Outputs)
	}
	x := &TreeExplainer{e: e, coef: 1, base: make([]float64, e.Outputs)}
	if e.Average {
		x.coef = 1 / float64(e.Iterations())
	}
	for ti := range e.Trees {
		t := &e.Trees[ti]
		if err := checkTree(t, e.Features); err != nil {
			return nil, fmt.Errorf("explain: tree %d: %w", ti, err)
		}
		x.maxDepth = max(x.maxDepth, depth(t, 0))
		x.base[ti%e.Outputs] += x.coef * expected(t, 0)
		x.nodes = append(x.nodes, compact(t, x.coef))
	}
	if e.InitScore != nil {
		for k, v := range e.InitScore {
			x.base[k] += x.coef * v
		}
	}
	x.inv = make([]float64, x.maxDepth+3)
	for i := 1; i < len(x.inv); i++ {
		x.inv[i] = 1 / float64(i)
	}
	return x, nil
}

// Base returns the expected raw output for each output.
func (x *TreeExplainer) Base() []float64 { return append([]float64(nil), x.base...) }

func checkTree(t *tree.Tree, features int) error {
	if len(t.Nodes) == 0 {
		return fmt.Errorf("no nodes")
	}
	for i, n := range t.Nodes {
		if n.Left < 0 != (n.Right < 0) {
			return fmt.Errorf("node %d has one child", i)
		}
		if n.Left < 0 {
			continue
		}
		if n.Left <= i || n.Right <= i || n.Left >= len(t.Nodes) || n.Right >= len(t.Nodes) {
			return fmt.Errorf("node %d: children %d, %d out of order", i, n.Left, n.Right)
		}
		if n.Feature < 0 || n.Feature >= features {
			return fmt.Errorf("node %d splits on feature %d of %d", i, n.Feature, features)
		}
	}
	return nil
}

func depth(t *tree.Tree, i int) int {
	n := &t.Nodes[i]
	if n.Left < 0 {
		return 0
	}
	return 1 + max(depth(t, n.Left), depth(t, n.Right))
}

// frac is the share of node i's cover that goes to child c. A node with no
// cover splits its weight evenly.
func frac(t *tree.Tree, i, c int) float64 {
	if cov := t.Nodes[i].Cover; cov > 0 {
		return t.Nodes[c].Cover / cov
	}
	return 0.5
}

// expected is the tree's output averaged over the training covers below
// node i: the value of the empty coalition.
func expected(t *tree.Tree, i int) float64 {
	n := &t.Nodes[i]
	if n.Left < 0 {
		return n.Value
	}
	return frac(t, i, n.Left)*expected(t, n.Left) + frac(t, i, n.Right)*expected(t, n.Right)
}

// step is one element of the path of features from the root to a node:
// the feature, the fraction of "zero" paths (feature unknown: weighted by
// cover) and of "one" paths (feature known: follows x) flowing through,
// and the permutation weight of paths with this many known features.
type step struct {
	feature   int
	zero, one float64
	w         float64
}

// extend adds a feature to path[:d], which must have room for d+1 steps.
func extend(path []step, d int, zero, one float64, feature int) {
	path = path[:d+1]
	path[d] = step{feature: feature, zero: zero, one: one}
	if d == 0 {
		path[0].w = 1
		return
	}
	r := 1 / float64(d+1)
	zr, or := zero*r, one*r
	for i := d - 1; i >= 0; i-- {
		wi := path[i].w
		path[i+1].w += or * wi * float64(i+1)
		path[i].w = zr * wi * float64(d-i)
	}
}

// unwind removes step k from path[:d+1], undoing its extend. inv[i] is 1/i.
func unwind(path []step, d, k int, inv []float64) {
	path = path[:d+1]
	one, zero := path[k].one, path[k].zero
	dd := float64(d + 1)
	next := path[d].w
	if one != 0 {
		up, down := dd/one, zero*inv[d+1]
		for i := d - 1; i >= 0; i-- {
			t := path[i].w
			path[i].w = next * up * inv[i+1]
			next = t - path[i].w*down*float64(d-i)
		}
	} else {
		c := dd / zero
		for i := d - 1; i >= 0; i-- {
			path[i].w *= c * inv[d-i]
		}
	}
	for i := k; i < d; i++ {
		path[i].feature, path[i].zero, path[i].one = path[i+1].feature, path[i+1].zero, path[i+1].one
	}
}

// unwoundSum is the total weight of path[:d+1] with step k unwound,
// without changing path. inv[i] is 1/i.
func unwoundSum(path []step, d, k int, inv []float64) float64 {
	path, inv = path[:d+1], inv[:d+2]
	one, zero := path[k].one, path[k].zero
	total := 0.0
	dd := float64(d + 1)
	if one != 0 {
		next := path[d].w
		up := dd / one
		down := zero * inv[d+1]
		for i := d - 1; i >= 0; i-- {
			t := next * up * inv[i+1]
			total += t
			next = path[i].w - t*down*float64(d-i)
		}
		return total
	}
	for i := d - 1; i >= 0; i-- {
		total += path[i].w * inv[d-i]
	}
	return total * dd / zero
}

// node is a tree node laid out for the walk: the child cover shares are
// computed once and leaf values carry the ensemble's averaging factor.
type node struct {
	left, right int32
	feature     int32
	cat         bool
	defLeft     bool
	threshold   float64
	value       float64
	fl, fr      float64 // shares of the cover going left and right
	cats        *tree.Node
}

func compact(t *tree.Tree, coef float64) []node {
	out := make([]node, len(t.Nodes))
	for i := range t.Nodes {
		n := &t.Nodes[i]
		c := node{left: int32(n.Left), right: int32(n.Right), feature: int32(n.Feature), value: n.Value * coef}
		if n.Left >= 0 {
			c.threshold, c.defLeft, c.cat = n.Threshold, n.DefaultLeft, n.Categorical
			c.fl, c.fr = frac(t, i, n.Left), frac(t, i, n.Right)
			if n.Categorical {
				c.cats = n
			}
		}
		out[i] = c
	}
	return out
}

func (n *node) goesLeft(v float64) bool {
	switch {
	case n.cat:
		return n.cats.GoesLeft(v)
	case v != v:
		return n.defLeft
	}
	return v <= n.threshold
}

// walker holds the scratch space of one goroutine.
type walker struct {
	inv   []float64 // inv[i] = 1/i
	buf   []step
	nodes []node
	x     []float64
	phi   []float64
}

// recurse visits node i with the parent's path, adding the contributions
// of the leaves below to w.phi. buf has room for this node's path and
// those of its descendants.
func (w *walker) recurse(i int32, parent []step, buf []step, zero, one float64, feature int32) {
	d := len(parent)
	path := buf[:d+1]
	copy(path, parent)
	extend(path, d, zero, one, int(feature))
	n := &w.nodes[i]
	if n.left < 0 {
		w.leaf(path, d, d, n.value)
		return
	}
	hot, cold, fh, fc := n.right, n.left, n.fr, n.fl
	if n.goesLeft(w.x[n.feature]) {
		hot, cold, fh, fc = n.left, n.right, n.fl, n.fr
	}
	inZero, inOne := 1.0, 1.0
	keep := d + 1
	for k := 1; k <= d; k++ {
		if path[k].feature == int(n.feature) {
			inZero, inOne = path[k].zero, path[k].one
			unwind(path, d, k, w.inv)
			keep = d
			break
		}
	}
	rest := buf[d+1:]
	if h, c := &w.nodes[hot], &w.nodes[cold]; h.left < 0 && c.left < 0 {
		w.leafPair(path[:keep], rest, h.value, c.value, fh*inZero, inOne, fc*inZero, n.feature)
		return
	}
	w.recurse(hot, path[:keep], rest, fh*inZero, inOne, n.feature)
	w.recurse(cold, path[:keep], rest, fc*inZero, 0, n.feature)
}

// leaf adds the contributions of steps 1..upto of path[:d+1], ending at a
// leaf worth value.
func (w *walker) leaf(path []step, d, upto int, value float64) {
	// Steps whose feature x does not follow here (one == 0) all get the
	// same contribution: unwinding one of them gives
	// (d+1)/zero * sum_i w_i/(d-i), times (0 - zero).
	cold := math.NaN()
	for k := 1; k <= upto; k++ {
		s := &path[k]
		if s.one == 0 {
			if cold != cold {
				cold = 0
				for i := d - 1; i >= 0; i-- {
					cold += path[i].w * w.inv[d-i]
				}
				cold *= -float64(d+1) * value
			}
			w.phi[s.feature] += cold
			continue
		}
		w.phi[s.feature] += unwoundSum(path, d, k, w.inv) * (s.one - s.zero) * value
	}
}

// leafPair handles a split whose two children are leaves (worth hv on the
// side x takes, cv on the other) in one pass. The weights extend makes
// are linear in the new step's fractions and the unwound sums are linear
// in the weights, so the two leaves' contributions for the earlier steps
// add up to those of one leaf worth 1 reached through a step with
// fractions (hv*hz + cv*cz, hv*ho). For the split's own step, unwinding
// it gives back the parent's weights on both sides.
func (w *walker) leafPair(parent, buf []step, hv, cv, hz, ho, cz float64, feature int32) {
	d := len(parent)
	path := buf[:d+1]
	copy(path, parent)
	extend(path, d, hv*hz+cv*cz, hv*ho, int(feature))
	w.leaf(path, d, d-1, 1)
	sum := 0.0
	for i := range parent {
		sum += parent[i].w
	}
	w.phi[feature] += sum * ((ho-hz)*hv - cz*cv)
}

// Row writes the SHAP values of row x into phi[k] (one slice of length
// Features per output), overwriting it; the base values are Base().
// scratch may be nil or the buffer a previous call returned.
func (x *TreeExplainer) Row(row []float64, phi [][]float64, scratch []step) []step {
	need := (x.maxDepth + 2) * (x.maxDepth + 3) / 2
	if cap(scratch) < need {
		scratch = make([]step, need)
	}
	for k := range phi {
		clear(phi[k])
	}
	w := walker{buf: scratch[:need], x: row, inv: x.inv}
	for ti := range x.nodes {
		w.nodes = x.nodes[ti]
		w.phi = phi[ti%x.e.Outputs]
		w.recurse(0, nil, w.buf, 1, 1, -1)
	}
	return scratch
}

// Explain computes the SHAP values of every row of X on up to workers
// goroutines (<= 0: all CPUs).
func (x *TreeExplainer) Explain(X *mat.Dense, workers int) (*Contributions, error) {
	return x.ExplainContext(context.Background(), X, workers)
}

// ExplainContext is Explain stopped by ctx: rows are taken in order, and
// when ctx ends the rows finished so far (a prefix of X's) are returned
// with ctx's cause as the error.
func (x *TreeExplainer) ExplainContext(ctx context.Context, X *mat.Dense, workers int) (*Contributions, error) {
	n, f := X.Dims()
	if f != x.e.Features {
		return nil, fmt.Errorf("explain: matrix has %d columns, the trees were grown on %d", f, x.e.Features)
	}
	c := &Contributions{Base: x.Base(), Phi: make([]*mat.Dense, x.e.Outputs), Raw: make([][]float64, x.e.Outputs)}
	for k := range c.Phi {
		c.Phi[k] = mat.NewDense(max(n, 1), f, nil)
		c.Raw[k] = make([]float64, n)
	}
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	var next atomic.Int64 // the next row to take
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []step
			phi := make([][]float64, x.e.Outputs)
			raw := make([]float64, x.e.Outputs)
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				for k := range phi {
					phi[k] = c.Phi[k].RawRowView(i)
				}
				row := X.RawRowView(i)
				scratch = x.Row(row, phi, scratch)
				x.e.Raw(row, raw)
				for k := range raw {
					c.Raw[k][i] = raw[k]
				}
			}
		}()
	}
	wg.Wait()
	var err error
	if done := min(n, int(next.Load())); done < n {
		// Stopped: rows below done were all taken, and a taken row is
		// always finished.
		err = context.Cause(ctx)
		for k := range c.Phi {
			c.Raw[k] = c.Raw[k][:done]
			if done > 0 {
				c.Phi[k] = c.Phi[k].Slice(0, done, 0, f).(*mat.Dense)
			}
		}
		n = done
	}
	if n == 0 {
		for k := range c.Phi {
			c.Phi[k] = &mat.Dense{}
		}
	}
	return c, err
}
