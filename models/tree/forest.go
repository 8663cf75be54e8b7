package tree

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Forest is a classification tree or an average of them: a decision tree
// (one tree on every row and feature), a random forest (bootstrap rows,
// features drawn at each node) or extra trees (one random threshold per
// tried feature). Its probability is the mean over trees of the class
// frequencies of the leaf a row falls into.
type Forest struct {
	fitted
	fp    ForestParams
	extra bool
	kind  string
	// minGain is TreeParams.MinGain (forests have none)
	minGain float64
}

// NewDecisionTree returns an unfitted classification tree.
func NewDecisionTree(p TreeParams, cfg Config) *Forest {
	fp := ForestParams{Trees: 1, Criterion: p.Criterion, MaxDepth: p.MaxDepth, MaxLeaves: p.MaxLeaves,
		MinSamplesLeaf: p.MinSamplesLeaf, MaxFeatures: 1, MaxBins: p.MaxBins, CategoricalSplits: p.CategoricalSplits}
	return &Forest{fp: fp, fitted: fitted{cfg: cfg}, kind: "decision tree", minGain: p.MinGain}
}

// NewRandomForest returns an unfitted random forest.
func NewRandomForest(p ForestParams, cfg Config) *Forest {
	return &Forest{fp: p, fitted: fitted{cfg: cfg}, kind: "random forest"}
}

// NewExtraTrees returns an unfitted extra-trees ensemble.
func NewExtraTrees(p ForestParams, cfg Config) *Forest {
	return &Forest{fp: p, fitted: fitted{cfg: cfg}, extra: true, kind: "extra trees"}
}

// Fit grows the trees on X, y with sample weights w (nil: unit weights),
// checking ctx between trees.
func (m *Forest) Fit(ctx context.Context, X *mat.Dense, y []int, w []float64) error {
	ts, err := checkTrain(m.cfg, X, y, w)
	if err != nil {
		return err
	}
	p := m.fp
	crit := critGini
	switch p.Criterion {
	case "", "gini":
	case "entropy":
		crit = critEntropy
	default:
		return fmt.Errorf("tree: %s: criterion %q, want gini or entropy", m.kind, p.Criterion)
	}
	if p.Trees < 1 {
		return fmt.Errorf("tree: %s: %d trees, want at least 1", m.kind, p.Trees)
	}
	workers := m.cfg.workers()
	n, d := X.Dims()
	K := m.cfg.Classes
	frac := p.MaxFeatures
	if frac <= 0 {
		frac = math.Sqrt(float64(d)) / float64(d)
	}
	gp := growParams{maxLeaves: p.MaxLeaves, maxDepth: p.MaxDepth, minCount: p.MinSamplesLeaf,
		minGain: m.minGain, leafwise: p.MaxLeaves > 0, nodeFrac: frac, extra: m.extra, crit: crit}
	bd := newBinned(X, m.cfg, maxBinsOf(p.MaxBins), BinGreedy, p.CategoricalSplits, true, workers)
	g := newGrower(bd, gp, modeClass, K, workers)
	outs := K
	if K == 2 {
		outs = 1
	}
	ens := &Ensemble{Outputs: outs, Classes: K, Features: d, Average: true, Link: Identity}
	y32 := make([]int32, n)
	for i, c := range ts.y {
		y32[i] = int32(c)
	}
	g.y = y32
	feats := intRange(d)
	// rows of weight 0 never enter a tree
	all := make([]int32, 0, n)
	for i, v := range ts.w {
		if v > 0 {
			all = append(all, int32(i))
		}
	}
	wt := make([]float64, n)
	counts := make([]int32, n)
	for t := 0; t < p.Trees; t++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("tree: %s: stopped at tree %d: %w", m.kind, t, context.Cause(ctx))
		}
		rng := rand.New(rand.NewPCG(m.cfg.Seed, uint64(t)+1))
		rows, identity := all, len(all) == n
		g.w = ts.w
		if p.Bootstrap {
			draws := n
			if p.MaxSamples > 0 && p.MaxSamples < 1 {
				draws = max(1, int(p.MaxSamples*float64(n)+0.5))
			}
			clear(counts)
			for i := 0; i < draws; i++ {
				counts[rng.IntN(n)]++
			}
			rows = rows[:0:0]
			for i, c := range counts {
				wt[i] = ts.w[i] * float64(c)
				if c > 0 && ts.w[i] > 0 {
					rows = append(rows, int32(i))
				}
			}
			g.w, identity = wt, false
		}
		g.grow(rows, identity, feats, rng)
		for k := 0; k < outs; k++ {
			class := k
			if outs == 1 {
				class = 1
			}
			ens.Trees = append(ens.Trees, g.export(func(s []float64) float64 {
				W := 0.0
				for _, c := range s[:K] {
					W += c
				}
				if !(W > 0) {
					return 0
				}
				return s[class] / W
			}))
		}
	}
	m.ens = ens
	return nil
}
