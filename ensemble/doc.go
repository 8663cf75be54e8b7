// Package ensemble chooses a weighted ensemble of trained models from their
// held-out predictions, by the ensemble selection of Caruana, Niculescu-Mizil,
// Crew and Ksikes, "Ensemble Selection from Libraries of Models" (ICML 2004):
// greedy forward selection with replacement, started from the best few
// models, repeated over random halves of the library (bagging), with the
// selection counts as weights.
//
// It needs no refit: every candidate is a matrix of class probabilities on
// the same rows (validation or out-of-fold), and the ensemble's prediction is
// the weighted mean of the candidates' probabilities.
package ensemble
