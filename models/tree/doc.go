// Package tree grows histogram-based classification trees and ensembles of
// them (decision tree, random forest, extra trees, gradient boosting), and
// writes them in LightGBM's text model format for scoring through leaves.
package tree
