package tree

import (
	"slices"
)

// flatNode is a node laid out for scoring: 24 bytes against a Node's ~100,
// so a tree's top levels stay in the cache. At a leaf, feature is -1 and
// value holds the leaf value.
type flatNode struct {
	value   float64 // threshold, or the leaf value
	feature int32
	left    int32 // the left child; the right one is left+1
	meta    int32 // bit 0: missing goes left; bit 1: categorical, the set is cats[meta>>2]
}

const (
	flatDefaultLeft = 1
	flatCategorical = 2
)

// flatEnsemble is an Ensemble's trees as flatNodes, each tree's nodes at
// offsets[t]: node indices within a tree are relative to its offset.
type flatEnsemble struct {
	nodes   []flatNode
	offsets []int32
	cats    [][]int32
}

// flatten lays out e's trees for scoring, the leaf values already holding
// what Raw adds for them: the init score folded into the first iteration's
// trees (the same additions, in the same order, as Raw's). Each node's two
// children are placed side by side (the right one at left+1), so a step
// down the tree is an addition, not a branch the processor must guess.
func (e *Ensemble) flatten() *flatEnsemble {
	total := 0
	for _, t := range e.Trees {
		total += len(t.Nodes)
	}
	f := &flatEnsemble{nodes: make([]flatNode, 0, total), offsets: make([]int32, len(e.Trees))}
	var order []int // order[new] = the node's index in t.Nodes
	for ti, t := range e.Trees {
		base := len(f.nodes)
		f.offsets[ti] = int32(base)
		order = append(order[:0], 0)
		for pos := 0; pos < len(order); pos++ {
			n := &t.Nodes[order[pos]]
			fn := flatNode{feature: -1}
			switch {
			case n.Left < 0:
				fn.value = n.Value
				if ti < e.Outputs && e.InitScore != nil {
					fn.value += e.InitScore[ti]
				}
			case n.Categorical:
				fn.feature = int32(n.Feature)
				fn.meta = flatCategorical | int32(len(f.cats))<<2
				f.cats = append(f.cats, n.Categories)
			default:
				fn.feature, fn.value = int32(n.Feature), n.Threshold
				if n.DefaultLeft {
					fn.meta = flatDefaultLeft
				}
			}
			if n.Left >= 0 {
				fn.left = int32(len(order))
				order = append(order, n.Left, n.Right)
			}
			f.nodes = append(f.nodes, fn)
		}
	}
	return f
}

// leafValue is Raw's value of tree ti for row x: as Tree.Leaf walks it.
func (f *flatEnsemble) leafValue(ti int, x []float64) float64 {
	nodes := f.nodes[f.offsets[ti]:]
	i := int32(0)
	for {
		n := &nodes[i]
		if n.feature < 0 {
			return n.value
		}
		v := x[n.feature]
		if n.meta&flatCategorical != 0 {
			left := false
			if c, ok := catCode(v); ok {
				_, left = slices.BinarySearch(f.cats[n.meta>>2], c)
			}
			i = n.left + 1 - b2i(left)
			continue
		}
		// v <= threshold goes left; NaN (v != v) goes left when the
		// node's default says so.
		left := v <= n.value || v != v && n.meta&flatDefaultLeft != 0
		i = n.left + 1 - b2i(left)
	}
}

func b2i(b bool) int32 {
	var i int32
	if b {
		i = 1
	}
	return i
}

// rawBlock writes the raw outputs of rows (each of length Features) into
// out (len(rows) × Outputs), tree by tree over the block: each row gets
// the same additions in the same order as Raw, so the same bits.
func (e *Ensemble) rawBlock(f *flatEnsemble, rows [][]float64, out []float64) {
	k := e.Outputs
	clear(out[:len(rows)*k])
	coef := 1.0
	if e.Average {
		coef = 1 / float64(e.Iterations())
	}
	for ti := range e.Trees {
		o := ti % k
		for r, x := range rows {
			out[r*k+o] += f.leafValue(ti, x) * coef
		}
	}
}
