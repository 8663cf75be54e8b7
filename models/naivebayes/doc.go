// Package naivebayes registers the naive_bayes family: Gaussian, categorical
// or mixed naive Bayes, as scikit-learn's GaussianNB and CategoricalNB.
package naivebayes
