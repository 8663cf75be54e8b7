// Package tree grows histogram-based classification trees and ensembles of
// them (decision tree, random forest, extra trees, gradient boosting), and
// writes them in LightGBM's text model format for scoring through leaves.
//
// Every family shares one grower: features are binned into at most 255
// quantile bins per column (missing values in a bin of their own, with a
// learned default direction at each split; categorical codes in bins of
// their own for native categorical splits ordered by gradient statistics,
// as LightGBM does), node histograms are summed on all cores and the
// larger child's histogram is the parent's minus the smaller child's.
// Trees grow best-first (leaf-wise) or level by level. Results depend on
// the seed only, never on the number of workers: each feature's histogram
// is summed by one goroutine in row order.
//
// A fitted model's Ensemble method returns a read-only view of its trees
// (children, split feature, threshold, default direction, categories, leaf
// values, covers) for explainers such as TreeSHAP. Save writes a model
// directory (LightGBM text model, version v3, and what the Ensemble holds
// beyond it as JSON); Load reads it back as a Scorer whose predictions go
// through github.com/dmitryikh/leaves and agree with the trainer's to
// 1e-12, and whose Ensemble is the fitted model's.
package tree
