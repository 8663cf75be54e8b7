// Package explain explains fitted classifiers: exact TreeSHAP for tree
// ensembles, a seeded permutation-sampling SHAP estimator for every other
// model, importances on the user's columns, evaluation curves and plots
// (gonum/plot, PNG and SVG), and the files of a trial's explain/ folder.
package explain
