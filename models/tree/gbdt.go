package tree

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// GBDT is a gradient-boosted tree classifier: binary log loss with one
// tree per round, or softmax with one tree per class per round.
type GBDT struct {
	fitted
	p    GBDTParams
	valX *mat.Dense
	valY []int
	// BestRound is the number of rounds kept after early stopping.
	BestRound int
	// grown holds every tree Fit grew, the rounds after the best one
	// included (early stopping grows its patience past it), so that
	// KeepRounds can score with more or fewer rounds than the best. It is
	// not saved: a loaded model has only the rounds it kept.
	grown []Tree
}

// NewGBDT returns an unfitted booster.
func NewGBDT(p GBDTParams, cfg Config) *GBDT { return &GBDT{p: p, fitted: fitted{cfg: cfg}} }

// SetValidation gives the rows early stopping watches (validation log
// loss); it is used only when EarlyStoppingRounds > 0.
func (m *GBDT) SetValidation(X *mat.Dense, y []int) { m.valX, m.valY = X, y }

// Fit boosts trees on X, y with sample weights w (nil: unit weights).
// It checks ctx between rounds.
func (m *GBDT) Fit(ctx context.Context, X *mat.Dense, y []int, w []float64) error {
	ts, err := checkTrain(m.cfg, X, y, w)
	if err != nil {
		return err
	}
	p := m.p
	if p.Rounds < 1 || !(p.LearningRate > 0) || p.NumLeaves < 2 {
		return fmt.Errorf("tree: gbdt: rounds %d, learning rate %v, num_leaves %d: want >= 1, > 0, >= 2",
			p.Rounds, p.LearningRate, p.NumLeaves)
	}
	if p.Growth != "" && p.Growth != "leafwise" && p.Growth != "depthwise" {
		return fmt.Errorf("tree: gbdt: growth %q, want leafwise or depthwise", p.Growth)
	}
	var val *mat.Dense
	if p.EarlyStoppingRounds > 0 && m.valX != nil {
		val = m.valX
		if err := checkPredict(val, X.RawMatrix().Cols); err != nil {
			return fmt.Errorf("tree: gbdt: validation set: %w", err)
		}
		if r, _ := val.Dims(); r != len(m.valY) {
			return fmt.Errorf("tree: gbdt: validation set has %d rows and %d labels", r, len(m.valY))
		}
		for i, c := range m.valY {
			if c < 0 || c >= m.cfg.Classes {
				return fmt.Errorf("tree: gbdt: validation row %d: class index %d, want 0..%d", i, c, m.cfg.Classes-1)
			}
		}
	}
	workers := m.cfg.workers()
	n, d := X.Dims()
	K := m.cfg.Classes
	outs := K
	link := Softmax
	if K == 2 {
		outs, link = 1, Logistic
	}
	bd := newBinned(X, m.cfg, maxBinsOf(p.MaxBins), p.Binning, p.CategoricalSplits, false, workers)
	gp := growParams{maxLeaves: p.NumLeaves, maxDepth: p.MaxDepth, minCount: p.MinDataInLeaf,
		minHess: p.MinSumHessian, minGain: p.MinGainToSplit, l1: p.L1, l2: p.L2,
		leafwise: p.Growth != "depthwise", nodeFrac: p.FeatureFractionByNode}
	g := newGrower(bd, gp, modeGrad, 2, workers)
	ens := &Ensemble{Outputs: outs, Classes: K, Features: d, Link: link, InitScore: initScores(ts.y, ts.w, K)}

	score := make([]float64, n*outs) // raw outputs of the training rows
	for i := 0; i < n; i++ {
		copy(score[i*outs:], ens.InitScore)
	}
	grad := make([][]float64, outs)
	hess := make([][]float64, outs)
	for k := range grad {
		grad[k], hess[k] = make([]float64, n), make([]float64, n)
	}
	var vs *valScores
	if val != nil {
		vs = newValScores(val, m.valY, ens)
	}
	rng := rand.New(rand.NewPCG(m.cfg.Seed, 1))
	// rows of weight 0 never enter a tree: every row in a histogram has a
	// positive hessian
	all := make([]int32, 0, n)
	for i, v := range ts.w {
		if v > 0 {
			all = append(all, int32(i))
		}
	}
	allFeats := make([]int, d)
	for j := range allFeats {
		allFeats[j] = j
	}
	bag, identity := all, len(all) == n
	inBag := make([]bool, n)
	for _, r := range all {
		inBag[r] = true
	}
	bagging := p.BaggingFraction > 0 && p.BaggingFraction < 1 && p.BaggingFreq > 0
	bestLoss, best := math.Inf(1), 0
	for round := 0; round < p.Rounds; round++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("tree: gbdt: stopped at round %d: %w", round, context.Cause(ctx))
		}
		gradients(score, ts.y, ts.w, outs, grad, hess, workers)
		if bagging && round%p.BaggingFreq == 0 {
			k := max(1, int(p.BaggingFraction*float64(len(all))+0.5))
			idx := sampleSorted(rng, intRange(len(all)), k)
			bag = make([]int32, k)
			clear(inBag)
			for i, j := range idx {
				bag[i] = all[j]
				inBag[all[j]] = true
			}
			identity = false
		}
		for k := 0; k < outs; k++ {
			feats := allFeats
			if f := p.FeatureFraction; f > 0 && f < 1 {
				feats = sampleSorted(rng, allFeats, max(1, int(f*float64(d)+0.5)))
			}
			g.g, g.h = grad[k], hess[k]
			g.grow(bag, identity, feats, rng)
			lr := p.LearningRate
			t := g.export(func(s []float64) float64 {
				den := s[1] + p.L2
				if !(den > 0) {
					return 0
				}
				return -thresholdL1(s[0], p.L1) / den * lr
			})
			ens.Trees = append(ens.Trees, t)
			// training outputs: rows in the bag by leaf ranges, others by walking the tree
			for i := range g.nodes {
				nd := &g.nodes[i]
				if nd.left >= 0 {
					continue
				}
				v := t.Nodes[i].Value
				for _, r := range g.rows[nd.lo:nd.hi] {
					score[int(r)*outs+k] += v
				}
			}
			if !identity {
				for r := 0; r < n; r++ {
					if !inBag[r] {
						score[r*outs+k] += t.Nodes[t.Leaf(X.RawRowView(r))].Value
					}
				}
			}
		}
		if vs != nil {
			loss := vs.add(ens.Trees[len(ens.Trees)-outs:], workers)
			if loss < bestLoss {
				bestLoss, best = loss, round+1
			} else if round+1-best >= p.EarlyStoppingRounds {
				break
			}
		}
	}
	m.grown = ens.Trees
	if vs != nil {
		ens.Trees = ens.Trees[: best*outs : best*outs]
	}
	m.BestRound = len(ens.Trees) / outs
	m.ens = ens
	return nil
}

// KeepRounds makes the model score with its first n rounds, or with every
// round it grew when it grew fewer, and returns how many it now uses. After
// cross-validation, each fold's model is scored at the rounds the refit on
// every row gets (the folds' mean best round), not at the round that fold's
// own validation rows chose: a fold scored at its own best round scores
// the rows that picked it, which flatters early-stopped boosting against
// families that choose nothing on them. It makes GBDT a
// models.RoundsKeeper.
func (m *GBDT) KeepRounds(n int) int {
	if m.ens == nil {
		return 0
	}
	if m.grown == nil { // loaded, not fitted here
		m.grown = m.ens.Trees
	}
	outs := m.ens.Outputs
	r := min(max(n, 1), len(m.grown)/outs)
	m.ens.Trees = m.grown[: r*outs : r*outs]
	m.BestRound = r
	return r
}

func intRange(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// clampP keeps a probability away from 0 and 1 for logs.
func clampP(p float64) float64 { return min(max(p, 1e-15), 1-1e-15) }

// initScores starts boosting from the weighted class frequencies, as
// LightGBM's boost_from_average does.
func initScores(y []int, w []float64, K int) []float64 {
	cw := make([]float64, K)
	W := 0.0
	for i, c := range y {
		cw[c] += w[i]
		W += w[i]
	}
	if K == 2 {
		p := clampP(cw[1] / W)
		return []float64{math.Log(p / (1 - p))}
	}
	out := make([]float64, K)
	for k := range out {
		out[k] = math.Log(clampP(cw[k] / W))
	}
	return out
}

// gradients computes the log-loss gradients and hessians of every output.
func gradients(score []float64, y []int, w []float64, outs int, grad, hess [][]float64, workers int) {
	n := len(y)
	const chunk = 4096
	parallelFor((n+chunk-1)/chunk, workers, func(c int) {
		if outs == 1 {
			g, h := grad[0], hess[0]
			for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
				p := 1 / (1 + math.Exp(-score[i]))
				g[i] = (p - float64(y[i])) * w[i]
				h[i] = max(p*(1-p), 1e-16) * w[i]
			}
			return
		}
		p := make([]float64, outs)
		factor := float64(outs) / float64(outs-1)
		for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
			linkProba(Softmax, score[i*outs:(i+1)*outs], p)
			for k := 0; k < outs; k++ {
				t := 0.0
				if y[i] == k {
					t = 1
				}
				grad[k][i] = (p[k] - t) * w[i]
				hess[k][i] = max(factor*p[k]*(1-p[k]), 1e-16) * w[i]
			}
		}
	})
}

// valScores tracks the raw outputs of the validation rows.
type valScores struct {
	X     *mat.Dense
	y     []int
	outs  int
	link  Link
	score []float64
}

func newValScores(X *mat.Dense, y []int, e *Ensemble) *valScores {
	n, _ := X.Dims()
	v := &valScores{X: X, y: y, outs: e.Outputs, link: e.Link, score: make([]float64, n*e.Outputs)}
	for i := 0; i < n; i++ {
		copy(v.score[i*e.Outputs:], e.InitScore)
	}
	return v
}

// add adds one round of trees and returns the mean validation log loss.
func (v *valScores) add(trees []Tree, workers int) float64 {
	n := len(v.y)
	const chunk = 1024
	parts := make([]float64, (n+chunk-1)/chunk)
	K := max(2, v.outs)
	parallelFor(len(parts), workers, func(c int) {
		p := make([]float64, K)
		for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
			x := v.X.RawRowView(i)
			s := v.score[i*v.outs : (i+1)*v.outs]
			for k := range trees {
				s[k] += trees[k].Nodes[trees[k].Leaf(x)].Value
			}
			linkProba(v.link, s, p)
			parts[c] -= math.Log(clampP(p[v.y[i]]))
		}
	})
	sum := 0.0
	for _, p := range parts {
		sum += p
	}
	return sum / float64(n)
}

// BestIteration is the number of rounds kept after early stopping (0
// before Fit); it makes GBDT a models.BestIterationer.
func (m *GBDT) BestIteration() int { return m.BestRound }
