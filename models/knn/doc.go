// Package knn registers the knn family: k-nearest neighbours with an exact,
// parallel brute-force search, as scikit-learn's KNeighborsClassifier.
package knn
