package tree

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// head is what the Ensemble view holds that the LightGBM text of the same
// model does not give back as it was: every node field is in the text,
// written so that it parses back to the same bits, but
//   - ReadLightGBM numbers a tree's internal nodes first and its leaves
//     after them, where the grower interleaves them (the text keeps each
//     kind's order, not how the two interleave): Layout;
//   - the init score is folded into the first iteration's values:
//     InitScore and First.
//
// The other fields repeat the text's so that a head beside another model
// is told apart. Save writes it as EnsembleHeadFile; Scorer.Ensemble puts
// it back into the parsed view.
type head struct {
	Outputs  int  `json:"outputs"`
	Classes  int  `json:"classes"`
	Features int  `json:"features"`
	Average  bool `json:"average"`
	Link     Link `json:"link"`
	Trees    int  `json:"trees"`
	Nodes    int  `json:"nodes"` // over all trees
	// InitScore is Ensemble.InitScore (null when nil).
	InitScore []float64 `json:"init_score"`
	// First holds, when InitScore is set, the values of the first
	// iteration's trees (one list per tree, node by node) before the init
	// score was added: (v+init)-init need not be v.
	First [][]float64 `json:"first,omitempty"`
	// Layout has one bit per node, over the trees in order (bit i of the
	// whole is bit i%8 of byte i/8): set for leaves.
	Layout []byte `json:"layout"`
}

// headOf returns the head of e.
func headOf(e *Ensemble) *head {
	h := &head{Outputs: e.Outputs, Classes: e.Classes, Features: e.Features, Average: e.Average,
		Link: e.Link, Trees: len(e.Trees), InitScore: e.InitScore}
	for _, t := range e.Trees {
		h.Nodes += len(t.Nodes)
	}
	h.Layout = make([]byte, (h.Nodes+7)/8)
	i := 0
	for _, t := range e.Trees {
		for j := range t.Nodes {
			if t.Nodes[j].IsLeaf() {
				h.Layout[i/8] |= 1 << (i % 8)
			}
			i++
		}
	}
	if e.InitScore != nil {
		for _, t := range e.Trees[:min(e.Outputs, len(e.Trees))] {
			v := make([]float64, len(t.Nodes))
			for j := range t.Nodes {
				v[j] = t.Nodes[j].Value
			}
			h.First = append(h.First, v)
		}
	}
	return h
}

// readHead reads the head at path and puts it back into p, the view
// parsed from the LightGBM text beside it, which it must describe. p is
// changed only when the head is used.
func readHead(path string, p *Ensemble) error {
	data, err := readModelFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // the view parsed from the model file will do
	}
	if err != nil {
		return fmt.Errorf("tree: load: %w", err)
	}
	var h head
	if err := json.Unmarshal(data, &h); err != nil {
		return fmt.Errorf("tree: load %s: %w", path, err)
	}
	if err := h.apply(p); err != nil {
		return fmt.Errorf("tree: load %s: %w", path, err)
	}
	return nil
}

// apply checks that h describes p, the view parsed from a LightGBM text,
// and then reorders p's nodes and restores its init score and first trees.
func (h *head) apply(p *Ensemble) error {
	nodes, largest := 0, 0
	for _, t := range p.Trees {
		nodes += len(t.Nodes)
		largest = max(largest, len(t.Nodes))
	}
	if h.Outputs != p.Outputs || h.Classes != p.Classes || h.Features != p.Features || h.Average != p.Average ||
		h.Link != p.Link || h.Trees != len(p.Trees) || h.Nodes != nodes {
		return fmt.Errorf("head (%d trees, %d nodes, %d outputs, %d classes, %d features, average %t, link %q) does not describe the LightGBM model beside it (%d, %d, %d, %d, %d, %t, %q)",
			h.Trees, h.Nodes, h.Outputs, h.Classes, h.Features, h.Average, h.Link,
			len(p.Trees), nodes, p.Outputs, p.Classes, p.Features, p.Average, p.Link)
	}
	if len(h.Layout) != (nodes+7)/8 {
		return fmt.Errorf("layout of %d bytes for %d nodes", len(h.Layout), nodes)
	}
	if h.InitScore != nil && (len(h.InitScore) != p.Outputs || len(h.First) != p.Outputs) {
		return fmt.Errorf("%d init scores and %d first trees for %d outputs", len(h.InitScore), len(h.First), p.Outputs)
	}
	if h.InitScore == nil && h.First != nil {
		return errors.New("first trees without init scores")
	}
	// First every check, then every change: a head that fails leaves p
	// as it was parsed.
	pos := make([][]int32, len(p.Trees)) // pos[t][i]: where parsed node i goes
	at := 0
	for ti, t := range p.Trees {
		ps, err := layout(t.Nodes, h.Layout, at)
		if err != nil {
			return fmt.Errorf("tree %d: %w", ti, err)
		}
		pos[ti] = ps
		at += len(t.Nodes)
		if ti >= len(h.First) {
			continue
		}
		if len(h.First[ti]) != len(t.Nodes) {
			return fmt.Errorf("first tree %d has %d values for %d nodes", ti, len(h.First[ti]), len(t.Nodes))
		}
		for i, n := range t.Nodes {
			// WriteLightGBM wrote v+init, which parses back to the same bits
			if v := h.First[ti][ps[i]]; v+h.InitScore[ti] != n.Value {
				return fmt.Errorf("first tree %d: value %v plus init score %v is not the text's %v", ti, v, h.InitScore[ti], n.Value)
			}
		}
	}
	scratch := make([]Node, 0, largest)
	for ti, t := range p.Trees {
		ps := pos[ti]
		scratch = append(scratch[:0], t.Nodes...)
		for i, n := range scratch {
			if n.Left >= 0 {
				n.Left, n.Right = int(ps[n.Left]), int(ps[n.Right])
			}
			if ti < len(h.First) {
				n.Value = h.First[ti][ps[i]]
			}
			t.Nodes[ps[i]] = n
		}
	}
	p.InitScore = h.InitScore
	return nil
}

// layout returns where each node of a parsed tree (internal nodes first,
// then leaves, each in its order) goes under the layout bits from bit at
// on, checking that the root stays first and children after parents.
func layout(nodes []Node, bits []byte, at int) ([]int32, error) {
	internal := 0
	for internal < len(nodes) && !nodes[internal].IsLeaf() {
		internal++
	}
	pos := make([]int32, len(nodes))
	ni, nl := 0, internal
	for k := range nodes {
		b := at + k
		if bits[b/8]&(1<<(b%8)) != 0 {
			if nl == len(nodes) {
				return nil, fmt.Errorf("layout has more than %d leaves", len(nodes)-internal)
			}
			pos[nl] = int32(k)
			nl++
		} else {
			if ni == internal {
				return nil, fmt.Errorf("layout has more than %d internal nodes", internal)
			}
			pos[ni] = int32(k)
			ni++
		}
	}
	if pos[0] != 0 {
		return nil, errors.New("layout does not put the root first")
	}
	for i, n := range nodes[:internal] {
		if pos[n.Left] <= pos[i] || pos[n.Right] <= pos[i] {
			return nil, fmt.Errorf("layout puts node %d before its parent", pos[i])
		}
	}
	return pos, nil
}
