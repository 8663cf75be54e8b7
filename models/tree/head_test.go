package tree

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestSaveLoadSameEnsemble: Save, Load and Ensemble give back the fitted
// model's view exactly (node order, values before the init score, every
// node field) for every kind of model the package fits, with missing
// values and native categorical splits.
func TestSaveLoadSameEnsemble(t *testing.T) {
	type fitter interface {
		Fit(context.Context, *mat.Dense, []int, []float64) error
		Ensemble() *Ensemble
	}
	forest := ForestParams{Trees: 5, Criterion: "gini", MinSamplesLeaf: 2, Bootstrap: true, MaxBins: 63, CategoricalSplits: true}
	leafwise := forest
	leafwise.MaxLeaves, leafwise.Criterion = 12, "entropy"
	gbdt := GBDTParams{Rounds: 8, LearningRate: 0.2, NumLeaves: 9, MinDataInLeaf: 5, L2: 1, MaxBins: 63, CategoricalSplits: true}
	depthwise := gbdt
	depthwise.Growth, depthwise.MaxDepth = "depthwise", 3
	for _, c := range []struct {
		name    string
		classes int
		m       func(Config) fitter
	}{
		{"random forest binary", 2, func(c Config) fitter { return NewRandomForest(forest, c) }},
		{"random forest multiclass", 3, func(c Config) fitter { return NewRandomForest(forest, c) }},
		{"random forest max leaves", 3, func(c Config) fitter { return NewRandomForest(leafwise, c) }},
		{"extra trees binary", 2, func(c Config) fitter { return NewExtraTrees(forest, c) }},
		{"extra trees multiclass", 3, func(c Config) fitter { return NewExtraTrees(leafwise, c) }},
		{"gbdt binary", 2, func(c Config) fitter { return NewGBDT(gbdt, c) }},
		{"gbdt multiclass", 3, func(c Config) fitter { return NewGBDT(gbdt, c) }},
		{"gbdt depthwise", 3, func(c Config) fitter { return NewGBDT(depthwise, c) }},
		{"decision tree", 3, func(c Config) fitter {
			return NewDecisionTree(TreeParams{Criterion: "gini", MinSamplesLeaf: 3, MaxBins: 63, CategoricalSplits: true}, c)
		}},
		{"decision tree max leaves", 2, func(c Config) fitter {
			return NewDecisionTree(TreeParams{Criterion: "gini", MaxLeaves: 10, MinSamplesLeaf: 1, MaxBins: 63, CategoricalSplits: true}, c)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			X, y, cfg := synth(400, c.classes, true, 21)
			m := c.m(cfg)
			if err := m.Fit(context.Background(), X, y, nil); err != nil {
				t.Fatal(err)
			}
			want := m.Ensemble()
			dir := t.TempDir()
			if err := Save(dir, want); err != nil {
				t.Fatal(err)
			}
			s, err := Load(dir, 1)
			if err != nil {
				t.Fatal(err)
			}
			got := s.Ensemble()
			if err := s.EnsembleError(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("the loaded view differs from the fitted one: %s", firstDiff(got, want))
			}
			// the test covers what it says
			var cats, nanLeft int
			for _, tr := range want.Trees {
				for _, n := range tr.Nodes {
					if n.Categorical {
						cats++
					}
					if n.DefaultLeft {
						nanLeft++
					}
				}
			}
			if cats == 0 || nanLeft == 0 {
				t.Errorf("%d categorical splits, %d numeric splits sending NaN left: want some of each", cats, nanLeft)
			}
		})
	}
}

// firstDiff describes where two ensembles first differ.
func firstDiff(a, b *Ensemble) string {
	if len(a.Trees) != len(b.Trees) {
		return fmt.Sprintf("%d trees, want %d", len(a.Trees), len(b.Trees))
	}
	for ti := range a.Trees {
		an, bn := a.Trees[ti].Nodes, b.Trees[ti].Nodes
		if len(an) != len(bn) {
			return fmt.Sprintf("tree %d: %d nodes, want %d", ti, len(an), len(bn))
		}
		for i := range an {
			if !reflect.DeepEqual(an[i], bn[i]) {
				return fmt.Sprintf("tree %d node %d: %+v, want %+v", ti, i, an[i], bn[i])
			}
		}
	}
	return fmt.Sprintf("header %d/%d/%d/%t/%v/%q, want %d/%d/%d/%t/%v/%q",
		a.Outputs, a.Classes, a.Features, a.Average, a.InitScore, a.Link,
		b.Outputs, b.Classes, b.Features, b.Average, b.InitScore, b.Link)
}

// TestHeadMustDescribeModel: a head that does not fit the parsed model
// beside it is refused, and the parsed view is left as it was.
func TestHeadMustDescribeModel(t *testing.T) {
	X, y, cfg := synth(300, 3, true, 8)
	m := NewGBDT(GBDTParams{Rounds: 3, LearningRate: 0.3, NumLeaves: 6, MinDataInLeaf: 5, L2: 1, MaxBins: 63, CategoricalSplits: true}, cfg)
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := m.Ensemble().WriteLightGBM(&text); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		change func(h *head)
		want   string
	}{
		{"outputs", func(h *head) { h.Outputs = 1 }, "does not describe"},
		{"link", func(h *head) { h.Link = Identity }, "does not describe"},
		{"nodes", func(h *head) { h.Nodes-- }, "does not describe"},
		{"layout length", func(h *head) { h.Layout = h.Layout[1:] }, "layout of"},
		{"root not first", func(h *head) { h.Layout[0] |= 1 }, "tree 0: layout"},
		// the first tree's second internal node and its last node (a
		// leaf) swap kinds: its last internal node goes after its children
		{"child before parent", func(h *head) {
			nodes := m.Ensemble().Trees[0].Nodes
			i := 1
			for nodes[i].IsLeaf() {
				i++
			}
			last := len(nodes) - 1
			h.Layout[i/8] |= 1 << (i % 8)
			h.Layout[last/8] &^= 1 << (last % 8)
		}, "before its parent"},
		{"init scores", func(h *head) { h.InitScore = h.InitScore[:2] }, "init scores"},
		{"first trees without init", func(h *head) { h.InitScore = nil }, "without init"},
		{"first tree values", func(h *head) { h.First[1] = h.First[1][1:] }, "first tree 1 has"},
		{"first tree value", func(h *head) { h.First[2][0] += 1e-9 }, "is not the text's"},
		{"init score", func(h *head) { h.InitScore[0] += 1e-9 }, "is not the text's"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := ReadLightGBM(bytes.NewReader(text.Bytes()), "text")
			if err != nil {
				t.Fatal(err)
			}
			parsed, _ := ReadLightGBM(bytes.NewReader(text.Bytes()), "text")
			h := headOf(m.Ensemble())
			c.change(h)
			err = h.apply(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
			if !reflect.DeepEqual(p, parsed) {
				t.Fatal("a refused head changed the parsed view")
			}
		})
	}
}

// FuzzHead: whatever head is beside a model, putting it back never
// panics, and a head accepted gives a valid view that scores as the text.
func FuzzHead(f *testing.F) {
	X, y, cfg := synth(60, 3, true, 1)
	m := NewGBDT(GBDTParams{Rounds: 2, LearningRate: 0.3, NumLeaves: 4, MinDataInLeaf: 3, L2: 1, MaxBins: 255, CategoricalSplits: true}, cfg)
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		f.Fatal(err)
	}
	var text bytes.Buffer
	if err := m.Ensemble().WriteLightGBM(&text); err != nil {
		f.Fatal(err)
	}
	data, err := json.Marshal(headOf(m.Ensemble()))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		var h head
		if json.Unmarshal(data, &h) != nil {
			return
		}
		p, err := ReadLightGBM(bytes.NewReader(text.Bytes()), "text")
		if err != nil {
			t.Fatal(err)
		}
		if h.apply(p) != nil {
			return
		}
		if err := p.validate(); err != nil {
			t.Fatalf("accepted a head that gives an invalid view: %v", err)
		}
	})
}
