package tree

import (
	"math"

	"github.com/goautoml/automl/models"
)

// The tree families' cost estimates (models.Cost): seconds on one core,
// fitted by hand to trials of 60 s searches on samples of 10,526 to
// 94,734 rows of a 1,000,000 × 20 table. A forest's tree costs a pass of
// its rows over the features tried at each depth, plus a histogram scan
// (features tried × bins) at each node, which is what fully grown trees
// spend most on; entropy costs half as much again as Gini; every node also
// costs its share of scoring and of the bundle. A boosted model costs its
// rounds (early stopping keeps about 60 %) times a pass over the rows and
// features of the round plus each leaf's histogram scan. Both bin their
// cells once per fit, and native category splits order the categories at
// each node. Within a factor of 2.5 of what was measured (TestCostEstimates),
// which is what scheduling needs.
const (
	binCell               = 500e-9 // binning one cell, once per fit
	forestRowFeatureLevel = 5e-9   // a row's visit of one feature at one depth
	forestBinScan         = 1.1e-9 // one bin of one feature's histogram at one node
	forestNode            = 0.5e-6 // a node kept: scoring, the bundle
	boostRowFeature       = 12e-9
	boostHistogramBin     = 3e-9
	boostRound            = 1e-3
	treeRowFeatureLevel   = 40e-9
)

// depthOf is the depth a tree reaches on n rows with leaves of at least
// minLeaf rows, at most maxLeaves leaves and maxDepth levels (0: no limit).
func depthOf(n float64, minLeaf, maxLeaves, maxDepth int) (depth, leaves float64) {
	leaves = max(1, n/float64(2*max(1, minLeaf)))
	if maxLeaves > 0 {
		leaves = min(leaves, float64(maxLeaves))
	}
	depth = math.Log2(leaves) + 1
	if maxDepth > 0 {
		depth = min(depth, float64(maxDepth))
		leaves = min(leaves, math.Exp2(float64(maxDepth)))
	}
	return depth, leaves
}

// ForestCost is the random_forest and extra_trees families' models.Cost.
func ForestCost(p models.Params, s models.Shape) float64 {
	q, ok := p.(*ForestParams)
	if !ok {
		return 0
	}
	n := float64(max(1, s.Rows))
	if q.Bootstrap {
		frac := q.MaxSamples
		if frac <= 0 || frac > 1 {
			frac = 1
		}
		n *= 0.63 * frac // distinct rows of a bootstrap sample
	}
	feats := float64(max(1, s.Features))
	tried := math.Sqrt(feats)
	if q.MaxFeatures > 0 {
		tried = max(1, q.MaxFeatures*feats)
	}
	depth, leaves := depthOf(n, q.MinSamplesLeaf, q.MaxLeaves, q.MaxDepth)
	// a node's histogram holds, per bin, each class's weight and a count
	scan := 2 * leaves * tried * s.MeanBins(q.MaxBins) * forestBinScan * classSlots(s.Classes)
	if q.Criterion == "entropy" {
		scan *= 1.5
	}
	if q.CategoricalSplits {
		scan *= 1.5 // categories ordered at each node
	}
	trees := float64(max(1, q.Trees))
	return float64(s.Rows)*feats*binCell +
		trees*(n*depth*tried*s.ActiveShare()*forestRowFeatureLevel+scan+2*leaves*forestNode)
}

// classSlots is a classification histogram's width (the classes' weights
// and a count) relative to a binary one's.
func classSlots(classes int) float64 { return float64(max(2, classes)+1) / 3 }

// GBDTCost is the gbdt family's models.Cost.
func GBDTCost(p models.Params, s models.Shape) float64 {
	q, ok := p.(*GBDTParams)
	if !ok {
		return 0
	}
	rounds := float64(max(1, q.Rounds))
	if q.EarlyStoppingRounds > 0 {
		rounds = min(rounds, float64(q.EarlyStoppingRounds)+0.6*rounds)
	}
	n := float64(max(1, s.Rows))
	if q.BaggingFraction > 0 && q.BaggingFraction < 1 {
		n *= q.BaggingFraction
	}
	feats := float64(max(1, s.Features))
	if q.FeatureFraction > 0 && q.FeatureFraction < 1 {
		feats *= q.FeatureFraction
	}
	leaves := min(float64(max(2, q.NumLeaves)), max(2, n/float64(max(1, q.MinDataInLeaf))))
	outputs := 1.0
	if s.Classes > 2 {
		outputs = float64(s.Classes)
	}
	return float64(s.Rows)*float64(max(1, s.Features))*binCell +
		rounds*outputs*(n*feats*s.ActiveShare()*boostRowFeature+leaves*feats*s.MeanBins(q.MaxBins)*boostHistogramBin+boostRound)
}

// TreeCost is the decision_tree family's models.Cost.
func TreeCost(p models.Params, s models.Shape) float64 {
	q, ok := p.(*TreeParams)
	if !ok {
		return 0
	}
	n := float64(max(1, s.Rows))
	depth, _ := depthOf(n, q.MinSamplesLeaf, q.MaxLeaves, q.MaxDepth)
	return n * depth * float64(max(1, s.Features)) * treeRowFeatureLevel
}
