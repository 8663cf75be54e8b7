// Package logistic registers the logistic family: L2- or L1-penalised logistic
// regression (binary or multinomial) solved with L-BFGS or OWL-QN on gonum, as
// scikit-learn's LogisticRegression.
package logistic
