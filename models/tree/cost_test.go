package tree_test

import (
	"testing"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/tree"
)

// TestCostEstimates compares the tree families' cost estimates with fit
// times measured on this project's 2-core machine (trials of 60 s searches
// on samples of the 1,000,000 × 20 table of `make bench-data`, two trials
// at a time; the 600,000-row refit on both cores, counted twice): each
// estimate lies within a factor of 2.5 of the range measured.
func TestCostEstimates(t *testing.T) {
	shape := func(n int) models.Shape { return models.Shape{Rows: n, Features: 19, Classes: 2} }
	forest := func(trees int, crit string, leaves, minLeaf int, mf float64, boot, cats bool) *tree.ForestParams {
		return &tree.ForestParams{Trees: trees, Criterion: crit, MaxLeaves: leaves, MinSamplesLeaf: minLeaf, MaxFeatures: mf,
			Bootstrap: boot, MaxBins: 255, CategoricalSplits: cats}
	}
	boost := func(rounds, leaves, minData int, frac float64) *tree.GBDTParams {
		return &tree.GBDTParams{Rounds: rounds, LearningRate: 0.1, NumLeaves: leaves, MinDataInLeaf: minData,
			FeatureFraction: frac, BaggingFraction: frac, MaxBins: 255, EarlyStoppingRounds: 20}
	}
	for _, c := range []struct {
		name   string
		est    float64
		lo, hi float64 // measured fit seconds
	}{
		{"random forest, 20 trees of 64 leaves, 10,526 rows", tree.ForestCost(forest(20, "gini", 64, 1, 0, true, false), shape(10526)), 0.16, 0.23},
		{"extra trees, 20 trees of 64 leaves", tree.ForestCost(forest(20, "gini", 64, 1, 0, false, false), shape(10526)), 0.11, 0.19},
		{"random forest, 100 full trees", tree.ForestCost(forest(100, "gini", 0, 1, 0, true, false), shape(10526)), 1.13, 1.24},
		{"extra trees, 100 full trees", tree.ForestCost(forest(100, "gini", 0, 1, 0, false, false), shape(10526)), 1.96, 2.87},
		{"random forest, 300 trees, entropy, categories", tree.ForestCost(forest(300, "entropy", 0, 2, 0, true, true), shape(10526)), 4.41, 7.65},
		{"extra trees, 300 trees, entropy, categories", tree.ForestCost(forest(300, "entropy", 0, 2, 0, false, true), shape(10526)), 4.33, 4.33},
		{"extra trees, 212 trees of 37 leaves", tree.ForestCost(forest(212, "gini", 37, 15, 0.713, false, false), shape(10526)), 0.55, 0.55},
		{"boosting, 50 rounds of 4 leaves, 10,526 rows", tree.GBDTCost(boost(50, 4, 20, 1), shape(10526)), 0.22, 0.30},
		{"boosting, 50 rounds of 4 leaves, 31,578 rows", tree.GBDTCost(boost(50, 4, 20, 1), shape(31578)), 0.51, 1.36},
		{"boosting, 200 rounds of 31 leaves, 10,526 rows", tree.GBDTCost(boost(200, 31, 20, 1), shape(10526)), 0.41, 1.35},
		{"boosting, 200 rounds of 31 leaves, 94,734 rows", tree.GBDTCost(boost(200, 31, 20, 1), shape(94734)), 1.77, 3.79},
		{"boosting, 600 rounds of 15 leaves, 31,578 rows", tree.GBDTCost(boost(600, 15, 10, 0.8), shape(31578)), 3.47, 4.83},
		{"boosting, 200 rounds of 31 leaves, 600,000 rows", tree.GBDTCost(boost(200, 31, 20, 1), shape(600000)), 2 * 8.94, 2 * 10.59},
	} {
		if c.est < c.lo/2.5 || c.est > c.hi*2.5 {
			t.Errorf("%s: estimated %.2f s, measured %.2f to %.2f s", c.name, c.est, c.lo, c.hi)
		}
	}
	// Covertype's 54 columns (10 continuous, 44 indicators, most of them
	// rare) and 7 classes: 7,600 training rows, one core, fit only (the
	// boosted model on 1,900 validation rows stops after about 118 rounds).
	// The shape's bins and visited share are those AddColumn gives on
	// those rows.
	cover := models.Shape{Rows: 7600, Features: 54, Classes: 7, Bins: 2212, Active: 12}
	for _, c := range []struct {
		name     string
		est      float64
		measured float64
	}{
		{"covertype: random forest, 100 full trees", tree.ForestCost(forest(100, "gini", 0, 1, 0, true, false), cover), 0.69},
		{"covertype: extra trees, 100 full trees", tree.ForestCost(forest(100, "gini", 0, 1, 0, false, false), cover), 0.62},
		{"covertype: random forest, 300 trees, entropy", tree.ForestCost(forest(300, "entropy", 0, 2, 0, true, false), cover), 2.02},
		{"covertype: extra trees, 300 trees, entropy", tree.ForestCost(forest(300, "entropy", 0, 2, 0, false, false), cover), 1.67},
		{"covertype: boosting, 200 rounds of 31 leaves", tree.GBDTCost(boost(200, 31, 20, 1), cover), 1.20},
	} {
		if c.est < c.measured/2.5 || c.est > c.measured*2.5 {
			t.Errorf("%s: estimated %.2f s, measured %.2f s", c.name, c.est, c.measured)
		}
	}
	// Without the columns' bins and visited share, the same shape is
	// estimated as 54 dense columns of 255 bins: more than 3 times as
	// costly for the boosted model.
	dense := models.Shape{Rows: 7600, Features: 54, Classes: 7}
	if a, b := tree.GBDTCost(boost(200, 31, 20, 1), cover), tree.GBDTCost(boost(200, 31, 20, 1), dense); !(b > 2*a) {
		t.Errorf("boosting on covertype's columns %.2f s, on as many dense columns %.2f s", a, b)
	}
	// More trees, rows or rounds never cost less.
	small, big := tree.ForestCost(forest(100, "gini", 0, 1, 0, true, false), shape(10000)), tree.ForestCost(forest(300, "gini", 0, 1, 0, true, false), shape(10000))
	if !(big > small) || !(tree.ForestCost(forest(100, "gini", 0, 1, 0, true, false), shape(30000)) > small) {
		t.Error("a forest's estimate does not grow with its trees and rows")
	}
	if !(tree.GBDTCost(boost(400, 31, 20, 1), shape(10000)) > tree.GBDTCost(boost(100, 31, 20, 1), shape(10000))) {
		t.Error("a boosted model's estimate does not grow with its rounds")
	}
	if got := models.EstimateCost(models.Spec{Family: "no such family"}, shape(1000)); !(got > 0) {
		t.Errorf("estimate of an unknown family %v, want a positive default", got)
	}
}
