package onnx

import (
	"math"

	"github.com/goautoml/automl/models/tree"
)

// ai.onnx.ml TreeEnsemble node modes.
const (
	branchLEQ    = 0
	branchMember = 6
)

// treeAttrs accumulates the attributes of one TreeEnsemble node (ai.onnx.ml
// opset 5): interior nodes and leaves of every tree in flat arrays, children
// addressed as node or leaf indices.
type treeAttrs struct {
	featureIDs, trueIDs, falseIDs, trueLeaf, falseLeaf, missingTrue []int64
	splits                                                          []float64
	modes                                                           []byte
	members                                                         []float64
	leafTarget                                                      []int64
	leafWeight                                                      []float64
	roots                                                           []int64
}

// trees adds the ensemble's raw outputs and its link function. Leaf values
// are the ones Ensemble.Raw adds: the init score folded into the first
// iteration's trees and averaged models scaled by 1/iterations, summed.
func (g *graph) trees(x string, e *tree.Ensemble) (string, error) {
	var a treeAttrs
	coef := 1.0
	if e.Average {
		coef = 1 / float64(e.Iterations())
	}
	for ti := range e.Trees {
		k := ti % e.Outputs
		init := 0.0
		if ti < e.Outputs && e.InitScore != nil {
			init = e.InitScore[k]
		}
		a.add(&e.Trees[ti], int64(k), func(v float64) float64 { return (v + init) * coef })
	}
	attrs := []attr{
		intAttr("n_targets", int64(e.Outputs)),
		intAttr("aggregate_function", 1), // SUM
		intAttr("post_transform", 0),     // NONE
		intsAttr("tree_roots", a.roots),
		intsAttr("nodes_featureids", a.featureIDs),
		tensorAttr("nodes_splits", doubleTensor([]int64{int64(len(a.splits))}, a.splits)),
		tensorAttr("nodes_modes", uint8Tensor(a.modes)),
		intsAttr("nodes_truenodeids", a.trueIDs),
		intsAttr("nodes_falsenodeids", a.falseIDs),
		intsAttr("nodes_trueleafs", a.trueLeaf),
		intsAttr("nodes_falseleafs", a.falseLeaf),
		intsAttr("nodes_missing_value_tracks_true", a.missingTrue),
		intsAttr("leaf_targetids", a.leafTarget),
		tensorAttr("leaf_weights", doubleTensor([]int64{int64(len(a.leafWeight))}, a.leafWeight)),
	}
	if len(a.members) > 0 {
		attrs = append(attrs, tensorAttr("membership_values", doubleTensor([]int64{int64(len(a.members))}, a.members)))
	}
	raw := g.ml("TreeEnsemble", []string{x}, attrs...)
	switch {
	case e.Link == tree.Logistic:
		return g.binary(g.node("Sigmoid", []string{raw})), nil
	case e.Link == tree.Softmax:
		return g.node("Softmax", []string{raw}, intAttr("axis", 1)), nil
	case e.Outputs == 1:
		return g.binary(raw), nil
	}
	return raw, nil
}

// add appends tree t, whose leaves feed target k with value(leaf value).
func (a *treeAttrs) add(t *tree.Tree, k int64, value func(float64) float64) {
	root := t.Nodes[0]
	if root.IsLeaf() {
		// A one-leaf tree: a split whose two sides are leaves of the same
		// value (TreeEnsemble has no leaf roots).
		n := int64(len(a.featureIDs))
		l := int64(len(a.leafWeight))
		a.roots = append(a.roots, n)
		a.interior(0, 0, branchLEQ, false, l, true, l+1, true)
		v := value(root.Value)
		a.leafTarget = append(a.leafTarget, k, k)
		a.leafWeight = append(a.leafWeight, v, v)
		return
	}
	// Number interior nodes and leaves in node order; the root comes first.
	firstNode, firstLeaf := int64(len(a.featureIDs)), int64(len(a.leafWeight))
	ids := make([]int64, len(t.Nodes))
	ni, li := firstNode, firstLeaf
	for i := range t.Nodes {
		if t.Nodes[i].IsLeaf() {
			ids[i], li = li, li+1
		} else {
			ids[i], ni = ni, ni+1
		}
	}
	// ONNX Runtime reads a root whose two child ids are equal as a leaf,
	// whatever their leaf flags say; an unused leaf in front of this tree's
	// leaves moves the ids apart.
	l, r := &t.Nodes[root.Left], &t.Nodes[root.Right]
	if ids[root.Left] == ids[root.Right] && l.IsLeaf() != r.IsLeaf() {
		a.leafTarget = append(a.leafTarget, k)
		a.leafWeight = append(a.leafWeight, 0)
		for i := range t.Nodes {
			if t.Nodes[i].IsLeaf() {
				ids[i]++
			}
		}
	}
	a.roots = append(a.roots, firstNode)
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if n.IsLeaf() {
			a.leafTarget = append(a.leafTarget, k)
			a.leafWeight = append(a.leafWeight, value(n.Value))
			continue
		}
		lt, rt := &t.Nodes[n.Left], &t.Nodes[n.Right]
		if n.Categorical {
			// Codes in Categories go left; NaN and every other value right.
			for _, c := range n.Categories {
				a.members = append(a.members, float64(c))
			}
			a.members = append(a.members, math.NaN())
			a.interior(n.Feature, 0, branchMember, false, ids[n.Left], lt.IsLeaf(), ids[n.Right], rt.IsLeaf())
			continue
		}
		a.interior(n.Feature, n.Threshold, branchLEQ, n.DefaultLeft, ids[n.Left], lt.IsLeaf(), ids[n.Right], rt.IsLeaf())
	}
}

func (a *treeAttrs) interior(feature int, split float64, mode byte, missingTrue bool, left int64, leftLeaf bool, right int64, rightLeaf bool) {
	a.featureIDs = append(a.featureIDs, int64(feature))
	a.splits = append(a.splits, split)
	a.modes = append(a.modes, mode)
	a.missingTrue = append(a.missingTrue, b2i(missingTrue))
	a.trueIDs = append(a.trueIDs, left)
	a.trueLeaf = append(a.trueLeaf, b2i(leftLeaf))
	a.falseIDs = append(a.falseIDs, right)
	a.falseLeaf = append(a.falseLeaf, b2i(rightLeaf))
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
