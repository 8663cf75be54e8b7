package tree

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/dmitryikh/leaves"
)

// TestReadLightGBMRoundTrip: parsing what WriteLightGBM wrote gives the
// same raw outputs, bit for bit, and the same node statistics.
func TestReadLightGBMRoundTrip(t *testing.T) {
	for _, classes := range []int{2, 3} {
		X, y, cfg := synth(400, classes, true, 31)
		for name, m := range families(cfg, 6) {
			if err := m.Fit(context.Background(), X, y, nil); err != nil {
				t.Fatal(err)
			}
			e := m.Ensemble()
			var buf bytes.Buffer
			if err := e.WriteLightGBM(&buf); err != nil {
				t.Fatal(err)
			}
			r, err := ReadLightGBM(&buf, name)
			if err != nil {
				t.Fatalf("%s/%d: %v", name, classes, err)
			}
			if err := r.validate(); err != nil {
				t.Fatalf("%s/%d: parsed ensemble invalid: %v", name, classes, err)
			}
			a, b := make([]float64, e.Outputs), make([]float64, e.Outputs)
			for i := 0; i < 400; i++ {
				e.Raw(X.RawRowView(i), a)
				r.Raw(X.RawRowView(i), b)
				for k := range a {
					if a[k] != b[k] {
						t.Fatalf("%s/%d row %d: raw %v, parsed %v", name, classes, i, a, b)
					}
				}
			}
			// same multiset of node statistics in every tree
			for ti := range e.Trees {
				if len(e.Trees[ti].Nodes) != len(r.Trees[ti].Nodes) {
					t.Fatalf("%s: tree %d has %d nodes, parsed %d", name, ti, len(e.Trees[ti].Nodes), len(r.Trees[ti].Nodes))
				}
				var ca, cb, ga, gb float64
				for i := range e.Trees[ti].Nodes {
					ca += e.Trees[ti].Nodes[i].Cover * float64(e.Trees[ti].Nodes[i].Count)
					cb += r.Trees[ti].Nodes[i].Cover * float64(r.Trees[ti].Nodes[i].Count)
					ga += e.Trees[ti].Nodes[i].Gain
					gb += r.Trees[ti].Nodes[i].Gain
				}
				if math.Abs(ca-cb) > 1e-9*math.Abs(ca) || math.Abs(ga-gb) > 1e-9*math.Abs(ga) {
					t.Fatalf("%s: tree %d node statistics differ after parsing", name, ti)
				}
			}
		}
	}
}

func FuzzReadLightGBM(f *testing.F) {
	X, y, cfg := synth(60, 3, true, 1)
	for _, m := range []model{
		NewGBDT(GBDTParams{Rounds: 2, LearningRate: 0.3, NumLeaves: 4, MinDataInLeaf: 3, L2: 1, MaxBins: 255, CategoricalSplits: true}, cfg),
		NewRandomForest(ForestParams{Trees: 2, Criterion: "gini", MaxDepth: 3, MinSamplesLeaf: 2, Bootstrap: true, MaxBins: 255, CategoricalSplits: true}, cfg),
	} {
		if err := m.Fit(context.Background(), X, y, nil); err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		m.Ensemble().WriteLightGBM(&buf)
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ReadLightGBM(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		if err := e.validate(); err != nil {
			t.Fatalf("accepted an invalid ensemble: %v", err)
		}
		row := make([]float64, e.Features)
		out := make([]float64, e.Outputs)
		e.Raw(row, out)
		// whatever the parser accepts, leaves must load and score without panicking
		model, err := leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(data)), false)
		if err != nil {
			return
		}
		pred := make([]float64, model.NRawOutputGroups())
		if err := model.PredictDense(row, 1, len(row), pred, 0, 1); err != nil {
			return
		}
	})
}
