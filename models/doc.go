// Package models holds the classifiers behind an AutoML trial: the
// Classifier interface, Spec (a tagged union of per-family hyperparameters),
// the logistic regression, k-nearest-neighbours and naive Bayes families,
// and saving and loading of fitted models.
//
// The tree families (decision tree, random forest, extra trees, GBDT) live
// in package models/tree and are reached through the same Spec.
package models
