// Package ensemble chooses a weighted ensemble of trained models from their
// held-out predictions, by the ensemble selection of Caruana, Niculescu-Mizil,
// Crew and Ksikes, "Ensemble Selection from Libraries of Models" (ICML 2004):
// greedy forward selection with replacement, started from the best few
// models (as many, up to Init, as make the best mean), repeated over random
// halves of the library (bagging), with the selection counts as weights.
// When the bags' sum scores below the best model (a small library with few
// strong models), one pass over the whole library takes its place.
//
// It needs no refit: every candidate is a matrix of class probabilities on
// the same rows (validation or out-of-fold), and the ensemble's prediction is
// the weighted mean of the candidates' probabilities.
package ensemble
