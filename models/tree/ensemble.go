package tree

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Node is one node of a fitted tree, a read-only view for explainers such
// as TreeSHAP. Leaves have Left == Right == -1.
type Node struct {
	Left  int `json:"left"`  // index of the left child in Tree.Nodes, -1 at leaves
	Right int `json:"right"` // index of the right child, -1 at leaves
	// Feature is the column the node splits on (-1 at leaves).
	Feature int `json:"feature"`
	// Threshold: numeric splits send x <= Threshold left.
	Threshold float64 `json:"threshold"`
	// DefaultLeft: numeric splits send missing values (NaN) left when set.
	DefaultLeft bool `json:"default_left"`
	// Categorical splits send the codes in Categories (sorted) left and
	// everything else (other codes, NaN, negative values) right. A value v
	// has code int(v) truncated towards zero, as LightGBM reads it.
	Categorical bool    `json:"categorical"`
	Categories  []int32 `json:"categories,omitempty"`
	// Value is the node's output: the leaf value at leaves; at internal
	// nodes the value the node would have had as a leaf. Boosted trees
	// include the learning rate.
	Value float64 `json:"value"`
	// Cover is the hessian sum (boosting) or the weighted number of
	// training rows (forests) reaching the node: TreeSHAP's cover.
	Cover float64 `json:"cover"`
	Count int     `json:"count"` // training rows reaching the node
	Gain  float64 `json:"gain"`  // split gain, 0 at leaves
}

// IsLeaf reports whether n is a leaf.
func (n *Node) IsLeaf() bool { return n.Left < 0 }

// GoesLeft reports whether value v of the split feature goes to the left
// child, with the same rules as LightGBM and leaves.
func (n *Node) GoesLeft(v float64) bool {
	if n.Categorical {
		c, ok := catCode(v)
		if !ok {
			return false
		}
		_, found := slices.BinarySearch(n.Categories, c)
		return found
	}
	if math.IsNaN(v) {
		return n.DefaultLeft
	}
	return v <= n.Threshold
}

// Tree is one fitted tree; Nodes[0] is the root.
type Tree struct {
	Nodes []Node `json:"nodes"`
}

// Leaf returns the index of the leaf row x falls into.
func (t *Tree) Leaf(x []float64) int {
	i := 0
	for {
		n := &t.Nodes[i]
		if n.Left < 0 {
			return i
		}
		if n.GoesLeft(x[n.Feature]) {
			i = n.Left
		} else {
			i = n.Right
		}
	}
}

// Link names how raw ensemble outputs become class probabilities.
type Link string

// The links.
const (
	// Logistic: one output, P(class 1) = 1/(1+exp(-raw)).
	Logistic Link = "logistic"
	// Softmax: one output per class, P = softmax(raw).
	Softmax Link = "softmax"
	// Identity: the outputs are probabilities; with one output it is
	// P(class 1) and P(class 0) = 1 - P(class 1).
	Identity Link = "identity"
)

// Ensemble is a read-only view of a fitted model. The raw output k of a
// row is InitScore[k] plus the sum of the leaf values of trees
// i*Outputs+k over the iterations i (their mean when Average is set);
// Link turns the raw outputs into class probabilities. Every fitted model
// of this package returns one from its Ensemble method.
type Ensemble struct {
	Trees     []Tree    `json:"trees"`   // iteration-major: tree i*Outputs+k feeds output k
	Outputs   int       `json:"outputs"` // raw outputs: 1 for binary problems, else Classes
	Classes   int       `json:"classes"`
	Features  int       `json:"features"`
	Average   bool      `json:"average"` // forests: mean over iterations instead of sum
	InitScore []float64 `json:"init_score"`
	Link      Link      `json:"link"`
}

// Iterations returns the number of boosting rounds or forest trees.
func (e *Ensemble) Iterations() int { return len(e.Trees) / e.Outputs }

// Raw writes the raw outputs of row x into out (length Outputs). The
// arithmetic is the one leaves performs on the saved model: the init score
// is folded into the first iteration's leaf values and averaged outputs
// are accumulated as value * (1/iterations).
func (e *Ensemble) Raw(x []float64, out []float64) {
	for k := range out[:e.Outputs] {
		out[k] = 0
	}
	coef := 1.0
	if e.Average {
		coef = 1 / float64(e.Iterations())
	}
	for i, t := range e.Trees {
		k := i % e.Outputs
		v := t.Nodes[t.Leaf(x)].Value
		if i < e.Outputs && e.InitScore != nil {
			v += e.InitScore[k]
		}
		out[k] += v * coef
	}
}

// Proba turns raw outputs into class probabilities p (length Classes).
func (e *Ensemble) Proba(raw []float64, p []float64) {
	linkProba(e.Link, raw[:e.Outputs], p[:e.Classes])
}

func linkProba(link Link, raw, p []float64) {
	switch {
	case link == Logistic:
		p1 := 1 / (1 + math.Exp(-raw[0]))
		p[0], p[1] = 1-p1, p1
	case link == Softmax:
		m := math.Inf(-1)
		for _, v := range raw {
			m = max(m, v)
		}
		sum := 0.0
		for k, v := range raw {
			p[k] = math.Exp(v - m)
			sum += p[k]
		}
		for k := range p {
			p[k] /= sum
		}
	case len(raw) == 1:
		p[0], p[1] = 1-raw[0], raw[0]
	default:
		copy(p, raw)
	}
}

// PredictProba returns one row of class probabilities per row of X,
// computed on up to workers goroutines.
func (e *Ensemble) PredictProba(X *mat.Dense, workers int) (*mat.Dense, error) {
	if err := checkPredict(X, e.Features); err != nil {
		return nil, err
	}
	n, _ := X.Dims()
	out := mat.NewDense(n, e.Classes, nil)
	const chunk = 256
	if n < chunk {
		// Few rows (a scoring request): row by row, without laying out the trees.
		raw := make([]float64, e.Outputs)
		for i := range n {
			e.Raw(X.RawRowView(i), raw)
			e.Proba(raw, out.RawRowView(i))
		}
		return out, nil
	}
	// Many rows: the trees laid out compactly (a pass over the nodes, well
	// under the cost of scoring a block), each tree applied to a block of
	// rows at a time while its nodes are in the cache.
	f := e.flatten()
	parallelFor((n+chunk-1)/chunk, workers, func(c int) {
		lo, hi := c*chunk, min(n, (c+1)*chunk)
		rows := make([][]float64, hi-lo)
		for i := range rows {
			rows[i] = X.RawRowView(lo + i)
		}
		raw := make([]float64, len(rows)*e.Outputs)
		e.rawBlock(f, rows, raw)
		for i := range rows {
			e.Proba(raw[i*e.Outputs:(i+1)*e.Outputs], out.RawRowView(lo+i))
		}
	})
	return out, nil
}

// validate checks the structure of an ensemble read from a file.
func (e *Ensemble) validate() error {
	if e.Outputs < 1 || e.Classes < 2 || len(e.Trees) == 0 || len(e.Trees)%e.Outputs != 0 {
		return fmt.Errorf("tree: ensemble with %d trees, %d outputs, %d classes", len(e.Trees), e.Outputs, e.Classes)
	}
	if e.InitScore != nil && len(e.InitScore) != e.Outputs {
		return fmt.Errorf("tree: ensemble with %d init scores for %d outputs", len(e.InitScore), e.Outputs)
	}
	for ti, t := range e.Trees {
		if len(t.Nodes) == 0 {
			return fmt.Errorf("tree: tree %d has no nodes", ti)
		}
		for ni, n := range t.Nodes {
			if (n.Left < 0) != (n.Right < 0) || n.Left >= len(t.Nodes) || n.Right >= len(t.Nodes) ||
				(n.Left >= 0 && (n.Left <= ni || n.Right <= ni || n.Feature < 0 || n.Feature >= e.Features)) {
				return fmt.Errorf("tree: tree %d node %d: bad children or feature", ti, ni)
			}
		}
	}
	return nil
}

// export converts the grown nodes into a Tree with leaf values from value
// and covers from the grower.
func (g *grower) export(value func(stats []float64) float64) Tree {
	t := Tree{Nodes: make([]Node, len(g.nodes))}
	for i := range g.nodes {
		gn := &g.nodes[i]
		n := Node{Left: gn.left, Right: gn.right, Feature: -1, Value: value(gn.stats),
			Cover: g.cover(gn.stats), Count: int(gn.stats[g.K])}
		if gn.left >= 0 {
			sp := &gn.sp
			ft := &g.d.feats[sp.feature]
			n.Feature, n.Gain = sp.feature, sp.gain
			if sp.cat {
				n.Categorical = true
				for b := range ft.binCodes {
					if sp.left(b, ft.nanBin) {
						n.Categories = append(n.Categories, ft.binCodes[b]...)
					}
				}
				slices.Sort(n.Categories)
			} else {
				n.Threshold, n.DefaultLeft = midpoint(ft.hi[sp.bin], ft.lo[sp.binR]), sp.nanLeft
				if ft.atCuts {
					n.Threshold = ft.upper[sp.bin]
				}
			}
		}
		t.Nodes[i] = n
	}
	return t
}
